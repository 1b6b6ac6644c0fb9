// X.509 certificates (RFC 5280 Section 4.1), parsed from DER.
//
// Why typetls parses certificates itself, and leaves only keys and signatures to node:crypto:
// - The bytes come from the peer, in the middle of a handshake. They are read with DerReader
//   (der.ts), which is built on the same wire Reader as the TLS messages: every read is bounded,
//   every constructed value is read to its end, and DER is enforced, not BER tolerated: definite
//   lengths in their fewest octets, minimal INTEGERs and subidentifiers, BOOLEAN TRUE as 0xff, zero
//   unused bits, RFC 5280 times. A failure is TlsError(bad_certificate) naming the field, the
//   error style of the rest of the library. asn1js (under pkijs and @peculiar/x509) decodes BER
//   (its entry point is fromBER), so DER's rules would have to be checked again on top of it.
// - Path validation runs inside the synchronous handshake (verify.ts, called from the state that
//   receives Certificate). pkijs and @peculiar/x509 check signatures through WebCrypto, whose every
//   operation returns a Promise; node:crypto's X509Certificate is Node-only, and the core imports no
//   node:* module, and it builds no paths.
// - What the parser cannot do well by hand it does not do: a public key is the SubjectPublicKeyInfo
//   DER handed to CryptoProvider.loadPublicKey, and a certificate signature is checked with
//   CryptoProvider.verify (node:crypto, in src/crypto/node.ts). Private keys are loaded there too.
//   The node API alone uses X509Certificate, in src/node/peer-certificate.ts, for the strings
//   node:tls formats through OpenSSL (fingerprints, validity dates), never to decide trust.
// No dependency is added for it: the only runtime dependency stays @noble/post-quantum (ML-KEM).

import { NamedGroup, SignatureScheme } from '../wire/enums.js';
import {
  DerReader,
  Tag,
  bytesEqual,
  checkInteger,
  contextTag,
  decodeOid,
  decodeString,
  malformed,
  parseBitString,
  toHex,
  type DerElement,
} from './der.js';

export interface NameAttribute {
  readonly oid: string; // "2.5.4.3"
  readonly shortName: string | undefined; // "CN", "O", "OU", "C", "ST", "L", "emailAddress", ...
  readonly value: string;
}

export interface Name {
  /** The DER encoding of the Name (for issuer/subject matching and CertificateRequest). */
  readonly raw: Uint8Array;
  readonly attributes: readonly NameAttribute[];
}

export interface SubjectAltName {
  readonly dnsNames: readonly string[];
  /** 4 or 16 bytes each. */
  readonly ipAddresses: readonly Uint8Array[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
  /** directoryName entries. */
  readonly directoryNames: readonly Name[];
  /** The type-id of each otherName entry. */
  readonly otherNames: readonly string[];
  /** The other forms present (x400Address, ediPartyName, registeredID), by name. */
  readonly otherForms: readonly string[];
}

export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface Certificate {
  readonly raw: Uint8Array;
  /** The DER TBSCertificate, what the issuer signed. */
  readonly tbsCertificate: Uint8Array;
  readonly version: number; // 1, 2 or 3
  readonly serialNumber: Uint8Array; // big-endian, as encoded
  /** The signature algorithm OID and, where it maps to one, the TLS SignatureScheme used to verify it. */
  readonly signatureAlgorithm: { readonly oid: string; readonly scheme: number | undefined };
  readonly signatureValue: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKeyAlgorithm: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'unknown';
  /** NamedGroup of an EC key's curve. */
  readonly namedCurve: number | undefined;
  readonly extensions: readonly CertificateExtension[];
  readonly basicConstraints: { readonly ca: boolean; readonly pathLenConstraint: number | undefined } | undefined;
  /** KeyUsage bits, bit 0 = digitalSignature (RFC 5280 Section 4.2.1.3), or undefined when absent. */
  readonly keyUsage: number | undefined;
  /** ExtendedKeyUsage OIDs, or undefined when absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltName: SubjectAltName | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  /** The keyIdentifier of the authorityKeyIdentifier extension. */
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /** Which fields the authorityKeyIdentifier extension holds, when present. */
  readonly authorityKeyIdentifierFields: { readonly keyIdentifier: boolean; readonly issuer: boolean; readonly serial: boolean } | undefined;
  /** The nameConstraints extension (RFC 5280 Section 4.2.1.10), or undefined when absent. */
  readonly nameConstraints: NameConstraints | undefined;
  /** An RSA key's modulus length in bits (the significant bits of n). */
  readonly rsaModulusBits: number | undefined;
  /** An EC key's parameters: a named curve, explicit parameters (RFC 5480 forbids them) or anything else. */
  readonly ecParameters: 'named' | 'explicit' | 'other' | undefined;
}

/** One side (permitted or excluded) of a nameConstraints extension, by name form. */
export interface GeneralSubtrees {
  /** dNSName bases: "example.com" (the name and its subdomains), "" (every name). */
  readonly dnsNames: readonly string[];
  /** iPAddress bases: address and mask of the same length (4 or 16 bytes each). */
  readonly ipRanges: readonly { readonly address: Uint8Array; readonly mask: Uint8Array }[];
  /** rfc822Name bases: a mailbox ("a@example.com"), a host ("example.com") or a domain (".example.com"). */
  readonly emails: readonly string[];
  /** uniformResourceIdentifier bases: a host ("example.com") or a domain (".example.com"). */
  readonly uris: readonly string[];
  /** directoryName bases. */
  readonly directoryNames: readonly Name[];
  /** otherName bases, by type-id: a name of such a type cannot be compared, so it is refused. */
  readonly otherNames: readonly string[];
  /** The other GeneralName forms present ("x400Address", "ediPartyName", "registeredID"). */
  readonly otherForms: readonly string[];
  /** Why a base is malformed (a dNSName that is not a name, an iPAddress mask that is not a prefix, ...). */
  readonly malformed: readonly string[];
}

export interface NameConstraints {
  readonly permitted: GeneralSubtrees | undefined;
  readonly excluded: GeneralSubtrees | undefined;
}

// ---------------------------------------------------------------------------

/** Object identifiers used by the parser, the verifier and the builder. */
export const Oid = {
  // RFC 8017 Appendix A, RFC 4055
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // RFC 5480, RFC 5758
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  // RFC 8410
  ed25519: '1.3.101.112',
  // RFC 5280 Section 4.2.1
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  // RFC 5280 Section 4.2.2.1
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // RFC 5280 Section 5.2, 5.3
  cRLNumber: '2.5.29.20',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
  // RFC 6960
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
} as const;

/** KeyUsage bits as this module numbers them: bit n of the BIT STRING is 1 << n (RFC 5280 Section 4.2.1.3). */
export const KeyUsage = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** Attribute short names (RFC 4514 Section 3, RFC 4519, PKCS #9). */
const attributeNames: ReadonlyArray<readonly [string, string]> = [
  ['2.5.4.3', 'CN'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'street'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.12', 'title'],
  ['2.5.4.42', 'GN'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
];
const shortNameOf = new Map(attributeNames);
export const attributeOid = new Map(attributeNames.map(([oid, name]) => [name, oid] as const));

const namedCurves = new Map<string, number>([
  [Oid.prime256v1, NamedGroup.secp256r1],
  [Oid.secp384r1, NamedGroup.secp384r1],
  [Oid.secp521r1, NamedGroup.secp521r1],
]);

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (RFC 5280 Section 4.1.1.2). */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly params: DerElement | undefined;
  readonly raw: Uint8Array;
}

export function readAlgorithmIdentifier(r: DerReader, field: string): AlgorithmIdentifier {
  const el = r.expectElement(Tag.SEQUENCE, field);
  return DerReader.readAll(el.contents, `${r.context}.${field}`, (a) => {
    const oid = a.oid('algorithm');
    const params = a.empty() ? undefined : a.element('parameters');
    return { oid, params, raw: el.raw };
  });
}

function isNullOrAbsent(params: DerElement | undefined): boolean {
  return params === undefined || (params.tag === Tag.NULL && params.contents.length === 0);
}

const hashOfOid = new Map<string, { name: string; length: number }>([
  [Oid.sha1, { name: 'sha1', length: 20 }],
  [Oid.sha256, { name: 'sha256', length: 32 }],
  [Oid.sha384, { name: 'sha384', length: 48 }],
  [Oid.sha512, { name: 'sha512', length: 64 }],
]);

const pssSchemeOfHash = new Map<string, number>([
  ['sha256', SignatureScheme.rsa_pss_rsae_sha256],
  ['sha384', SignatureScheme.rsa_pss_rsae_sha384],
  ['sha512', SignatureScheme.rsa_pss_rsae_sha512],
]);

/**
 * The TLS SignatureScheme that verifies a certificate signature made with this
 * algorithm, or undefined when there is none (the signature then fails to verify).
 */
export function signatureSchemeOf(alg: AlgorithmIdentifier): number | undefined {
  switch (alg.oid) {
    // RFC 4055 Section 5: the parameters are NULL (absent is accepted, as most do).
    case Oid.sha1WithRSAEncryption:
      return isNullOrAbsent(alg.params) ? SignatureScheme.rsa_pkcs1_sha1 : undefined;
    case Oid.sha256WithRSAEncryption:
      return isNullOrAbsent(alg.params) ? SignatureScheme.rsa_pkcs1_sha256 : undefined;
    case Oid.sha384WithRSAEncryption:
      return isNullOrAbsent(alg.params) ? SignatureScheme.rsa_pkcs1_sha384 : undefined;
    case Oid.sha512WithRSAEncryption:
      return isNullOrAbsent(alg.params) ? SignatureScheme.rsa_pkcs1_sha512 : undefined;
    // RFC 5758 Section 3.2: the parameters are absent. The TLS scheme names a curve, but a
    // certificate signature is made by the issuer's key whatever its curve.
    case Oid.ecdsaWithSHA1:
      return alg.params === undefined ? SignatureScheme.ecdsa_sha1 : undefined;
    case Oid.ecdsaWithSHA256:
      return alg.params === undefined ? SignatureScheme.ecdsa_secp256r1_sha256 : undefined;
    case Oid.ecdsaWithSHA384:
      return alg.params === undefined ? SignatureScheme.ecdsa_secp384r1_sha384 : undefined;
    case Oid.ecdsaWithSHA512:
      return alg.params === undefined ? SignatureScheme.ecdsa_secp521r1_sha512 : undefined;
    // RFC 8410 Section 3: the parameters are absent.
    case Oid.ed25519:
      return alg.params === undefined ? SignatureScheme.ed25519 : undefined;
    case Oid.rsassaPss:
      return alg.params?.tag === Tag.SEQUENCE ? pssScheme(alg.params.contents) : undefined;
    default:
      return undefined;
  }
}

/**
 * RSASSA-PSS-params (RFC 4055 Section 3.1). TLS's rsa_pss_* schemes fix MGF1 with
 * the same hash, a salt as long as the hash, and the trailer 0xbc; anything else
 * has no scheme.
 */
function pssScheme(params: Uint8Array): number | undefined {
  return DerReader.readAll(params, 'RSASSA-PSS-params', (r) => {
    let hash = 'sha1';
    let mgfHash = 'sha1';
    let saltLength = 20;
    let trailer = 1;
    const h = r.explicit(0, 'hashAlgorithm');
    if (h) {
      const alg = readAlgorithmIdentifier(h, 'hashAlgorithm');
      h.end();
      const info = hashOfOid.get(alg.oid);
      if (!info || !isNullOrAbsent(alg.params)) return undefined;
      hash = info.name;
    }
    const m = r.explicit(1, 'maskGenAlgorithm');
    if (m) {
      const alg = readAlgorithmIdentifier(m, 'maskGenAlgorithm');
      m.end();
      if (alg.oid !== Oid.mgf1 || alg.params?.tag !== Tag.SEQUENCE) return undefined;
      const inner = DerReader.readAll(alg.params.raw, 'maskGenAlgorithm', (x) => readAlgorithmIdentifier(x, 'parameters'));
      const info = hashOfOid.get(inner.oid);
      if (!info || !isNullOrAbsent(inner.params)) return undefined;
      mgfHash = info.name;
    }
    const s = r.explicit(2, 'saltLength');
    if (s) {
      saltLength = s.smallInteger('saltLength');
      s.end();
    }
    const t = r.explicit(3, 'trailerField');
    if (t) {
      trailer = t.smallInteger('trailerField');
      t.end();
    }
    const hashLength = [...hashOfOid.values()].find((x) => x.name === hash)!.length;
    if (mgfHash !== hash || saltLength !== hashLength || trailer !== 1) return undefined;
    return pssSchemeOfHash.get(hash);
  });
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (RFC 5280 Section 4.1.2.4). */
export function readName(r: DerReader, field: string): Name {
  const el = r.expectElement(Tag.SEQUENCE, field);
  const attributes: NameAttribute[] = [];
  const names = new DerReader(el.contents, `${r.context}.${field}`);
  while (!names.empty()) {
    // RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
    const rdn = names.set('RelativeDistinguishedName');
    if (rdn.empty()) throw malformed(`${names.context} has an empty RelativeDistinguishedName`);
    while (!rdn.empty()) {
      const atv = rdn.sequence('AttributeTypeAndValue');
      const oid = atv.oid('type');
      const value = atv.element('value');
      atv.end();
      const text = decodeString(value.tag, value.contents, `${atv.context}.value`) ?? `#${toHex(value.raw)}`;
      attributes.push({ oid, shortName: shortNameOf.get(oid), value: text });
    }
  }
  return { raw: el.raw, attributes };
}

/**
 * Parsed certificates by content. A server's chain (and a client's, with mutual TLS) comes back
 * on every handshake: parsing it again cost a TLS 1.3 client about 5 % of its CPU. A Certificate is
 * immutable, so one object serves every connection; a hit is checked byte for byte, and entries
 * hold their own copy of the DER, never a view of a record or a read buffer.
 */
const PARSED_CACHE_SIZE = 256;
const parsedCache = new Map<number, Certificate>();

/**
 * FNV-1a over the bytes: the cache's key (collisions only cost a parse, the hit check is exact).
 * The offset basis is taken as a signed 32-bit value, as Math.imul gives the rest: starting from
 * the unsigned one (above 2^31, a double to V8) made the optimised loop give up on its 32-bit
 * arithmetic ("lost precision") and be compiled again, over and over.
 */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Parses one DER certificate. Throws TlsError(bad_certificate) naming what is malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  const key = fnv1a(der);
  const hit = parsedCache.get(key);
  if (hit !== undefined && bytesEqual(hit.raw, der)) {
    // Most recently used last, so that the oldest entry is the first one out.
    parsedCache.delete(key);
    parsedCache.set(key, hit);
    return hit;
  }
  const parsed = parseCertificateUncached(der.slice());
  if (parsedCache.size >= PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(key, parsed);
  return parsed;
}

function parseCertificateUncached(der: Uint8Array): Certificate {
  return DerReader.readAll(der, 'certificate', (outer) => {
    const certEl = outer.expectElement(Tag.SEQUENCE, 'Certificate');
    const c = new DerReader(certEl.contents, 'Certificate');
    // RFC 5280 Section 4.1
    const tbsEl = c.expectElement(Tag.SEQUENCE, 'tbsCertificate');
    const signatureAlgorithm = readAlgorithmIdentifier(c, 'signatureAlgorithm');
    const signature = c.bitString('signatureValue');
    c.end();
    if (signature.unusedBits !== 0) throw malformed('Certificate.signatureValue is not a whole number of bytes');

    const t = new DerReader(tbsEl.contents, 'TBSCertificate');
    // RFC 5280 Section 4.1.2.1: version [0] EXPLICIT Version DEFAULT v1
    let version = 1;
    const v = t.explicit(0, 'version');
    if (v) {
      const n = v.smallInteger('version');
      v.end();
      if (n > 2) throw malformed(`TBSCertificate.version is ${n}`);
      version = n + 1;
    }
    const serialNumber = t.integer('serialNumber');
    // RFC 5280 Section 4.1.2.2: at most 20 octets (a leading 0x00 that only keeps the number positive
    // is not counted, as webpki does). Negative and zero serials are non-conforming but accepted: the
    // RFC asks users to handle them gracefully, and OpenSSL and node:tls accept them.
    const magnitude = serialNumber.length > 1 && serialNumber[0] === 0 ? serialNumber.length - 1 : serialNumber.length;
    if (magnitude > 20) throw malformed(`TBSCertificate.serialNumber is ${magnitude} octets, more than 20`);
    const tbsSignature = readAlgorithmIdentifier(t, 'signature');
    // RFC 5280 Section 4.1.1.2: the same algorithm identifier as the signatureAlgorithm field.
    if (!bytesEqual(tbsSignature.raw, signatureAlgorithm.raw)) {
      throw malformed('TBSCertificate.signature differs from Certificate.signatureAlgorithm');
    }
    const issuer = readName(t, 'issuer');
    const validity = t.sequence('validity');
    const notBefore = validity.time('notBefore');
    const notAfter = validity.time('notAfter');
    validity.end();
    const subject = readName(t, 'subject');
    const spkiEl = t.expectElement(Tag.SEQUENCE, 'subjectPublicKeyInfo');
    const { publicKeyAlgorithm, namedCurve, rsaModulusBits, ecParameters } = readSubjectPublicKeyInfo(spkiEl.contents);
    // RFC 5280 Section 4.1.2.8: unique identifiers only in v2 and v3.
    // UniqueIdentifier ::= BIT STRING, [1] and [2] IMPLICIT (primitive in DER).
    const issuerUid = t.implicit(1, 'issuerUniqueID');
    if (issuerUid) parseBitString(issuerUid, 'TBSCertificate.issuerUniqueID');
    const subjectUid = t.implicit(2, 'subjectUniqueID');
    if (subjectUid) parseBitString(subjectUid, 'TBSCertificate.subjectUniqueID');
    if ((issuerUid || subjectUid) && version < 2) throw malformed('a v1 certificate has unique identifiers');
    const extensions: CertificateExtension[] = [];
    const e = t.explicit(3, 'extensions');
    if (e) {
      // RFC 5280 Section 4.1.2.9: extensions only in v3.
      if (version !== 3) throw malformed(`a v${version} certificate has extensions`);
      extensions.push(...readExtensions(e, 'Extensions'));
      e.end();
      if (extensions.length === 0) throw malformed('TBSCertificate.extensions is empty');
    }
    t.end();

    const parsed = parseExtensions(extensions);
    return {
      raw: certEl.raw,
      tbsCertificate: tbsEl.raw,
      version,
      serialNumber,
      signatureAlgorithm: { oid: signatureAlgorithm.oid, scheme: signatureSchemeOf(signatureAlgorithm) },
      signatureValue: signature.bytes,
      issuer,
      subject,
      notBefore,
      notAfter,
      subjectPublicKeyInfo: spkiEl.raw,
      publicKeyAlgorithm,
      namedCurve,
      rsaModulusBits,
      ecParameters,
      extensions,
      ...parsed,
    };
  });
}

/** Extensions ::= SEQUENCE OF Extension (RFC 5280 Section 4.1, 5.1): certificates', CRLs' and CRL entries'. */
export function readExtensions(r: DerReader, field: string): CertificateExtension[] {
  const list = r.sequence(field);
  const out: CertificateExtension[] = [];
  while (!list.empty()) {
    const ext = list.sequence('Extension');
    const oid = ext.oid('extnID');
    const critical = ext.peekTag() === Tag.BOOLEAN ? ext.boolean('critical') : false;
    const value = ext.octetString('extnValue');
    ext.end();
    // RFC 5280 Section 4.2: a certificate MUST NOT include more than one instance of an extension (5.2 for CRLs).
    if (out.some((x) => x.oid === oid)) throw malformed(`extension ${oid} appears twice`);
    out.push({ oid, critical, value });
  }
  return out;
}

/** SubjectPublicKeyInfo (RFC 5280 Section 4.1.2.7): the key's algorithm and, for EC keys, its curve. */
function readSubjectPublicKeyInfo(contents: Uint8Array): Pick<Certificate, 'publicKeyAlgorithm' | 'namedCurve' | 'rsaModulusBits' | 'ecParameters'> {
  return DerReader.readAll(contents, 'SubjectPublicKeyInfo', (r) => {
    const alg = readAlgorithmIdentifier(r, 'algorithm');
    const key = r.bitString('subjectPublicKey');
    const none = { namedCurve: undefined, rsaModulusBits: undefined, ecParameters: undefined };
    switch (alg.oid) {
      case Oid.rsaEncryption:
        return { ...none, publicKeyAlgorithm: 'rsa', rsaModulusBits: rsaModulusBits(key.bytes) };
      case Oid.rsassaPss:
        return { ...none, publicKeyAlgorithm: 'rsa-pss', rsaModulusBits: rsaModulusBits(key.bytes) };
      case Oid.ed25519:
        return { ...none, publicKeyAlgorithm: 'ed25519' };
      case Oid.ecPublicKey: {
        // RFC 5480 Section 2.1.1: ECParameters ::= CHOICE { namedCurve OID, implicitCurve NULL, specifiedCurve SEQUENCE };
        // only namedCurve is allowed in certificates.
        const curve =
          alg.params?.tag === Tag.OID ? decodeOid(alg.params.contents, 'SubjectPublicKeyInfo.namedCurve') : undefined;
        const ecParameters = curve !== undefined ? 'named' : alg.params?.tag === Tag.SEQUENCE ? 'explicit' : 'other';
        return { ...none, publicKeyAlgorithm: 'ec', namedCurve: curve === undefined ? undefined : namedCurves.get(curve), ecParameters };
      }
      default:
        return { ...none, publicKeyAlgorithm: 'unknown' };
    }
  });
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 Appendix A.1.1): n's length in bits. */
function rsaModulusBits(key: Uint8Array): number | undefined {
  try {
    return DerReader.readAll(key, 'RSAPublicKey', (r) => {
      const s = r.sequence('RSAPublicKey');
      const n = s.integer('modulus');
      s.integer('publicExponent');
      s.end();
      let i = 0;
      while (i < n.length && n[i] === 0) i++;
      if (i === n.length) return 0;
      return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
    });
  } catch {
    return undefined; // node:crypto refuses to load such a key; no size to report
  }
}

type ParsedExtensions = Pick<
  Certificate,
  | 'basicConstraints'
  | 'keyUsage'
  | 'extKeyUsage'
  | 'subjectAltName'
  | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier'
  | 'authorityKeyIdentifierFields'
  | 'nameConstraints'
>;

function parseExtensions(extensions: readonly CertificateExtension[]): ParsedExtensions {
  const out: {
    -readonly [K in keyof ParsedExtensions]: ParsedExtensions[K];
  } = {
    basicConstraints: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    subjectAltName: undefined,
    subjectKeyIdentifier: undefined,
    authorityKeyIdentifier: undefined,
    authorityKeyIdentifierFields: undefined,
    nameConstraints: undefined,
  };
  for (const ext of extensions) {
    switch (ext.oid) {
      case Oid.basicConstraints:
        // RFC 5280 Section 4.2.1.9: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
        out.basicConstraints = DerReader.readAll(ext.value, 'basicConstraints', (r) => {
          const s = r.sequence('BasicConstraints');
          const ca = s.peekTag() === Tag.BOOLEAN ? s.boolean('cA') : false;
          const pathLenConstraint = s.empty() ? undefined : s.smallInteger('pathLenConstraint');
          s.end();
          return { ca, pathLenConstraint };
        });
        break;
      case Oid.keyUsage:
        // RFC 5280 Section 4.2.1.3: KeyUsage ::= BIT STRING; bit 0 is the first (most significant) bit.
        out.keyUsage = DerReader.readAll(ext.value, 'keyUsage', (r) => {
          const { bytes } = r.bitString('KeyUsage');
          if (bytes.length > 2) throw malformed('keyUsage has more than 16 bits');
          let bits = 0;
          for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits |= 1 << i;
          return bits;
        });
        break;
      case Oid.extKeyUsage:
        // RFC 5280 Section 4.2.1.12: SEQUENCE SIZE (1..MAX) OF KeyPurposeId
        out.extKeyUsage = DerReader.readAll(ext.value, 'extKeyUsage', (r) => {
          const s = r.sequence('ExtKeyUsageSyntax');
          const oids: string[] = [];
          while (!s.empty()) oids.push(s.oid('KeyPurposeId'));
          if (oids.length === 0) throw malformed('extKeyUsage is empty');
          return oids;
        });
        break;
      case Oid.subjectAltName:
        out.subjectAltName = DerReader.readAll(ext.value, 'subjectAltName', readGeneralNames);
        break;
      case Oid.subjectKeyIdentifier:
        // RFC 5280 Section 4.2.1.2: KeyIdentifier ::= OCTET STRING
        out.subjectKeyIdentifier = DerReader.readAll(ext.value, 'subjectKeyIdentifier', (r) => r.octetString('KeyIdentifier'));
        break;
      case Oid.authorityKeyIdentifier:
        // RFC 5280 Section 4.2.1.1: SEQUENCE { keyIdentifier [0] IMPLICIT, authorityCertIssuer [1], authorityCertSerialNumber [2] }
        DerReader.readAll(ext.value, 'authorityKeyIdentifier', (r) => {
          const s = r.sequence('AuthorityKeyIdentifier');
          const keyIdentifier = s.implicit(0, 'keyIdentifier');
          const issuer = s.optional(contextTag(1, true), 'authorityCertIssuer');
          const serial = s.implicit(2, 'authorityCertSerialNumber');
          if (serial) checkInteger(serial, 'authorityKeyIdentifier.authorityCertSerialNumber');
          s.end();
          out.authorityKeyIdentifier = keyIdentifier;
          out.authorityKeyIdentifierFields = { keyIdentifier: keyIdentifier !== undefined, issuer: issuer !== undefined, serial: serial !== undefined };
        });
        break;
      case Oid.nameConstraints:
        out.nameConstraints = DerReader.readAll(ext.value, 'nameConstraints', readNameConstraints);
        break;
    }
  }
  return out;
}


/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 * excludedSubtrees [1] GeneralSubtrees OPTIONAL } (RFC 5280 Section 4.2.1.10).
 * What DER cannot encode is refused here; what is well-formed DER but not a valid constraint
 * (a dNSName base with a leading period, a mask that is not a prefix) is kept in `malformed`,
 * so that validation refuses the path with its own code instead of the parser refusing the certificate.
 */
function readNameConstraints(r: DerReader): NameConstraints {
  const s = r.sequence('NameConstraints');
  const permittedEl = s.optional(contextTag(0, true), 'permittedSubtrees');
  const excludedEl = s.optional(contextTag(1, true), 'excludedSubtrees');
  s.end();
  // RFC 5280 Section 4.2.1.10: conforming CAs MUST NOT issue an empty nameConstraints.
  if (!permittedEl && !excludedEl) throw malformed('nameConstraints is empty');
  const subtrees = (el: DerElement | undefined, field: string): GeneralSubtrees | undefined => {
    if (!el) return undefined;
    const list = new DerReader(el.contents, `nameConstraints.${field}`);
    // GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
    if (list.empty()) throw malformed(`nameConstraints.${field} is empty`);
    const out = {
      dnsNames: [] as string[],
      ipRanges: [] as { address: Uint8Array; mask: Uint8Array }[],
      emails: [] as string[],
      uris: [] as string[],
      directoryNames: [] as Name[],
      otherNames: [] as string[],
      otherForms: [] as string[],
      malformed: [] as string[],
    };
    while (!list.empty()) {
      // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
      const subtree = list.sequence('GeneralSubtree');
      const base = subtree.element('base');
      // RFC 5280 Section 4.2.1.10: minimum MUST be zero (so absent in DER) and maximum MUST be absent.
      if (!subtree.empty()) throw malformed(`nameConstraints.${field} has a minimum or maximum`);
      const name = readGeneralName(base, `nameConstraints.${field}`);
      switch (name.form) {
        case 'dNSName':
          // RFC 5280 Section 4.2.1.10: a host name; zero or more labels added on the left satisfy it.
          // The leading-period form belongs to rfc822Name and URI, not to dNSName (as webpki and pyca read it).
          if (name.value !== '' && !isDnsName(name.value)) out.malformed.push(`dNSName constraint "${name.value}" is not a DNS name`);
          out.dnsNames.push(name.value);
          break;
        case 'iPAddress': {
          // RFC 5280 Section 4.2.1.10: the address followed by its mask, 8 octets for IPv4, 32 for IPv6.
          const n = name.value.length;
          if (n !== 8 && n !== 32) throw malformed(`nameConstraints.${field}.iPAddress has ${n} bytes`);
          const mask = name.value.subarray(n / 2);
          if (!isPrefixMask(mask)) out.malformed.push(`iPAddress constraint has a mask that is not a prefix`);
          out.ipRanges.push({ address: name.value.subarray(0, n / 2), mask });
          break;
        }
        case 'rfc822Name':
          if (!/^([^@\s]+@)?\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(name.value)) {
            out.malformed.push(`rfc822Name constraint "${name.value}" is not a mailbox, host or domain`);
          }
          out.emails.push(name.value);
          break;
        case 'uniformResourceIdentifier':
          if (!/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(name.value)) {
            out.malformed.push(`uniformResourceIdentifier constraint "${name.value}" is not a host or domain`);
          }
          out.uris.push(name.value);
          break;
        case 'directoryName':
          out.directoryNames.push(name.value);
          break;
        case 'otherName':
          out.otherNames.push(name.typeId);
          break;
        default:
          out.otherForms.push(name.form);
      }
    }
    return out;
  };
  return { permitted: subtrees(permittedEl, 'permittedSubtrees'), excluded: subtrees(excludedEl, 'excludedSubtrees') };
}

/** A host name in the preferred name syntax (RFC 1034 Section 3.5, RFC 1123 Section 2.1): LDH labels of 1..63, no empty label. */
export function isDnsName(name: string): boolean {
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  return name.length <= 253 && labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

function isPrefixMask(mask: Uint8Array): boolean {
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return false;
      if (!set) ended = true;
    }
  }
  return true;
}

type GeneralName =
  | { readonly form: 'rfc822Name' | 'dNSName' | 'uniformResourceIdentifier'; readonly value: string }
  | { readonly form: 'iPAddress'; readonly value: Uint8Array }
  | { readonly form: 'directoryName'; readonly value: Name }
  | { readonly form: 'otherName'; readonly typeId: string }
  | { readonly form: 'x400Address' | 'ediPartyName' | 'registeredID' };

/**
 * GeneralName (RFC 5280 Section 4.2.1.6): otherName [0], rfc822Name [1] IA5String, dNSName [2] IA5String,
 * x400Address [3], directoryName [4] EXPLICIT Name, ediPartyName [5], uniformResourceIdentifier [6] IA5String,
 * iPAddress [7] OCTET STRING, registeredID [8] OID.
 */
function readGeneralName(el: DerElement, field: string): GeneralName {
  const ia5 = (form: string) => decodeString(Tag.IA5String, el.contents, `${field}.${form}`)!;
  switch (el.tag) {
    case contextTag(0, true): {
      // AnotherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
      const r = new DerReader(el.contents, `${field}.otherName`);
      const typeId = r.oid('type-id');
      r.expectElement(contextTag(0, true), 'value');
      r.end();
      return { form: 'otherName', typeId };
    }
    case contextTag(1, false):
      return { form: 'rfc822Name', value: ia5('rfc822Name') };
    case contextTag(2, false):
      return { form: 'dNSName', value: ia5('dNSName') };
    case contextTag(3, true):
      return { form: 'x400Address' };
    case contextTag(4, true): {
      const r = new DerReader(el.contents, `${field}.directoryName`);
      const value = readName(r, 'Name');
      r.end();
      return { form: 'directoryName', value };
    }
    case contextTag(5, true):
      return { form: 'ediPartyName' };
    case contextTag(6, false):
      return { form: 'uniformResourceIdentifier', value: ia5('uniformResourceIdentifier') };
    case contextTag(7, false):
      return { form: 'iPAddress', value: el.contents };
    case contextTag(8, false):
      decodeOid(el.contents, `${field}.registeredID`);
      return { form: 'registeredID' };
    default:
      throw malformed(`${field} holds a GeneralName with tag 0x${el.tag.toString(16)}`);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (RFC 5280 Section 4.2.1.6). */
function readGeneralNames(r: DerReader): SubjectAltName {
  const s = r.sequence('GeneralNames');
  const san = {
    dnsNames: [] as string[],
    ipAddresses: [] as Uint8Array[],
    emails: [] as string[],
    uris: [] as string[],
    directoryNames: [] as Name[],
    otherNames: [] as string[],
    otherForms: [] as string[],
  };
  if (s.empty()) throw malformed('subjectAltName is empty');
  while (!s.empty()) {
    const name = readGeneralName(s.element('GeneralName'), 'subjectAltName');
    switch (name.form) {
      case 'rfc822Name':
        san.emails.push(name.value);
        break;
      case 'dNSName':
        san.dnsNames.push(name.value);
        break;
      case 'uniformResourceIdentifier':
        san.uris.push(name.value);
        break;
      case 'iPAddress':
        // iPAddress [7] OCTET STRING: 4 or 16 octets
        if (name.value.length !== 4 && name.value.length !== 16) {
          throw malformed(`subjectAltName.iPAddress has ${name.value.length} bytes`);
        }
        san.ipAddresses.push(name.value);
        break;
      case 'directoryName':
        san.directoryNames.push(name.value);
        break;
      case 'otherName':
        san.otherNames.push(name.typeId);
        break;
      default:
        san.otherForms.push(name.form);
    }
  }
  return san;
}

/** The subject's or issuer's attribute value by short name ("CN"), or undefined. */
export function nameAttribute(name: Name, shortName: string): string | undefined {
  const oid = attributeOid.get(shortName) ?? shortName;
  return name.attributes.find((a) => a.oid === oid)?.value;
}

/**
 * A one-line form of a Name, e.g. "CN=localhost, O=Example": RFC 4514 order
 * (the last RDN first), ", " between attributes, special characters escaped.
 */
export function formatName(name: Name): string {
  return [...name.attributes]
    .reverse()
    .map((a) => `${a.shortName ?? a.oid}=${a.value.startsWith('#') && a.shortName === undefined ? a.value : escapeDn(a.value)}`)
    .join(', ');
}

// RFC 4514 Section 2.4
function escapeDn(value: string): string {
  return value
    .replace(/[\\",+;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

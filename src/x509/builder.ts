// Builds X.509 v3 certificates (RFC 5280 Section 4.1) for the demo and the tests.

import { TlsError } from '../errors.js';
import type { CryptoProvider, PrivateKey } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/enums.js';
import type { Name } from './certificate.js';
import { Oid, KeyUsage } from './certificate.js';
import { DerReader, der } from './der.js';
import { parseIpAddress } from './identity.js';

export interface NameTemplate {
  readonly CN: string;
  readonly O?: string;
}

export interface CertificateTemplate {
  /** The subject: a name to encode, or a parsed Name (an empty one: `{ raw: der.sequence(), attributes: [] }`). */
  readonly subject: NameTemplate | Name;
  /** The issuer: a name to encode, or a parsed Name whose DER is copied exactly. Absent: self-issued. */
  readonly issuer?: NameTemplate | Name;
  /** Big-endian, unsigned; 16 random bytes with the top bit cleared by default. */
  readonly serialNumber?: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo of the subject's key. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly isCA?: boolean;
  readonly pathLenConstraint?: number;
  /** KeyUsage bits (bit 0 = digitalSignature, see KeyUsage); a CA gets keyCertSign | cRLSign by default. */
  readonly keyUsage?: number;
  /** ExtendedKeyUsage purpose OIDs. */
  readonly extKeyUsage?: readonly string[];
  /** nameConstraints (RFC 5280 Section 4.2.1.10), critical unless `critical: false`. */
  readonly nameConstraints?: NameConstraintsTemplate;
  /** rfc822Name and URI entries of the subjectAltName. */
  readonly emails?: readonly string[];
  readonly uris?: readonly string[];
  /** Mark the subjectAltName critical (RFC 5280 Section 4.2.1.6: required when the subject is empty). */
  readonly subjectAltNameCritical?: boolean;
  /** basicConstraints criticality; critical in a CA, not in an end entity, by default. */
  readonly basicConstraintsCritical?: boolean;
  /** Extensions to leave out, by OID (e.g. Oid.subjectKeyIdentifier), for tests of certificates without them. */
  readonly omitExtensions?: readonly string[];
  /** The authorityKeyIdentifier marked critical (RFC 5280 forbids it; for tests). */
  readonly authorityKeyIdentifierCritical?: boolean;
  /** The Validity SEQUENCE as given, DER (for tests of odd time encodings); notBefore/notAfter otherwise. */
  readonly validityDer?: Uint8Array;
  /** A v1 certificate: no extensions at all. */
  readonly version1?: boolean;
  /** Further extensions, DER values, appended as given (for tests of unknown or odd extensions). */
  readonly extraExtensions?: readonly { readonly oid: string; readonly critical: boolean; readonly value: Uint8Array }[];
}

export interface SubtreesTemplate {
  /** dNSName bases ("example.com"). */
  readonly dns?: readonly string[];
  /** iPAddress bases in CIDR form ("10.0.0.0/8", "2001:db8::/32"). */
  readonly ip?: readonly string[];
  /** rfc822Name bases ("a@example.com", "example.com", ".example.com"). */
  readonly email?: readonly string[];
  /** uniformResourceIdentifier bases ("example.com", ".example.com"). */
  readonly uri?: readonly string[];
  /** directoryName bases. */
  readonly dirName?: readonly NameTemplate[];
  /** otherName bases by type-id (the value an empty UTF8String). */
  readonly otherName?: readonly string[];
}

export interface NameConstraintsTemplate {
  readonly permitted?: SubtreesTemplate;
  readonly excluded?: SubtreesTemplate;
  readonly critical?: boolean;
}

/** NameConstraints DER (RFC 5280 Section 4.2.1.10): GeneralSubtree bases only, minimum and maximum absent. */
export function encodeNameConstraints(nc: NameConstraintsTemplate): Uint8Array {
  const text = (s: string) => new TextEncoder().encode(s);
  const subtrees = (t: SubtreesTemplate): Uint8Array[] => [
    ...(t.dns ?? []).map((d) => der.sequence(der.implicit(2, text(d)))),
    ...(t.email ?? []).map((d) => der.sequence(der.implicit(1, text(d)))),
    ...(t.uri ?? []).map((d) => der.sequence(der.implicit(6, text(d)))),
    ...(t.dirName ?? []).map((n) => der.sequence(der.explicit(4, encodeName(n)))),
    ...(t.otherName ?? []).map((oid) => der.sequence(der.explicit(0, der.oid(oid), der.explicit(0, der.utf8String(''))))),
    ...(t.ip ?? []).map((cidr) => {
      const [addr, bits] = cidr.split('/');
      const address = parseIpAddress(addr ?? '');
      const prefix = Number(bits);
      if (!address || !Number.isInteger(prefix) || prefix < 0 || prefix > address.length * 8) {
        throw new TlsError('api_misuse', `${cidr} is not an address range`);
      }
      const mask = new Uint8Array(address.length);
      for (let i = 0; i < prefix; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
      const both = new Uint8Array(address.length * 2);
      both.set(address.map((b, i) => b & mask[i]!));
      both.set(mask, address.length);
      return der.sequence(der.implicit(7, both));
    }),
  ];
  const parts: Uint8Array[] = [];
  if (nc.permitted) parts.push(der.explicit(0, ...subtrees(nc.permitted)));
  if (nc.excluded) parts.push(der.explicit(1, ...subtrees(nc.excluded)));
  return der.sequence(...parts);
}

/** X.501 Name: one attribute per RDN, O before CN (the conventional order). */
export function encodeName(name: NameTemplate | Name): Uint8Array {
  if ('raw' in name) return name.raw;
  const rdn = (oid: string, value: string) => der.set(der.sequence(der.oid(oid), der.utf8String(value)));
  const rdns: Uint8Array[] = [];
  if (name.O !== undefined) rdns.push(rdn('2.5.4.10', name.O));
  rdns.push(rdn('2.5.4.3', name.CN));
  return der.sequence(...rdns);
}

/** The AlgorithmIdentifier for a signature made with a TLS SignatureScheme (RFC 4055, RFC 5758, RFC 8410). */
export function signatureAlgorithmIdentifier(scheme: number): Uint8Array {
  const pss = (hashOid: string, saltLength: number) =>
    der.sequence(
      der.oid(Oid.rsassaPss),
      // RFC 4055 Section 3.1: RSASSA-PSS-params, the trailer field at its default.
      der.sequence(
        der.explicit(0, der.sequence(der.oid(hashOid), der.null())),
        der.explicit(1, der.sequence(der.oid(Oid.mgf1), der.sequence(der.oid(hashOid), der.null()))),
        der.explicit(2, der.smallInteger(saltLength)),
      ),
    );
  switch (scheme) {
    // SHA-1 only so that tests can show such certificates are refused.
    case SignatureScheme.rsa_pkcs1_sha1:
      return der.sequence(der.oid(Oid.sha1WithRSAEncryption), der.null());
    case SignatureScheme.ecdsa_sha1:
      return der.sequence(der.oid(Oid.ecdsaWithSHA1));
    case SignatureScheme.rsa_pkcs1_sha256:
      return der.sequence(der.oid(Oid.sha256WithRSAEncryption), der.null());
    case SignatureScheme.rsa_pkcs1_sha384:
      return der.sequence(der.oid(Oid.sha384WithRSAEncryption), der.null());
    case SignatureScheme.rsa_pkcs1_sha512:
      return der.sequence(der.oid(Oid.sha512WithRSAEncryption), der.null());
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return der.sequence(der.oid(Oid.ecdsaWithSHA256));
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return der.sequence(der.oid(Oid.ecdsaWithSHA384));
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return der.sequence(der.oid(Oid.ecdsaWithSHA512));
    case SignatureScheme.ed25519:
      return der.sequence(der.oid(Oid.ed25519));
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_pss_sha256:
      return pss(Oid.sha256, 32);
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_pss_sha384:
      return pss(Oid.sha384, 48);
    case SignatureScheme.rsa_pss_rsae_sha512:
    case SignatureScheme.rsa_pss_pss_sha512:
      return pss(Oid.sha512, 64);
    default:
      throw new TlsError('api_misuse', `cannot sign certificates with signature scheme 0x${scheme.toString(16)}`);
  }
}

/** RFC 5280 Section 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(provider: CryptoProvider, spki: Uint8Array): Uint8Array {
  const key = DerReader.readAll(spki, 'SubjectPublicKeyInfo', (r) => {
    const s = r.sequence('SubjectPublicKeyInfo');
    s.sequence('algorithm');
    const { bytes } = s.bitString('subjectPublicKey');
    s.end();
    return bytes;
  });
  return provider.hash('sha1', key);
}

/** KeyUsage bits as a DER BIT STRING with no trailing zero bits (X.690 Section 11.2.2). */
function keyUsageBitString(bits: number): Uint8Array {
  if (bits <= 0 || bits >= 1 << 9) throw new RangeError(`keyUsage ${bits} is out of range`);
  const count = 32 - Math.clz32(bits); // highest set bit + 1
  const bytes = new Uint8Array(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) if (bits & (1 << i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return der.bitString(bytes, bytes.length * 8 - count);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(oid), der.octetString(value));
}

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(
  provider: CryptoProvider,
  template: CertificateTemplate,
  issuerKey: PrivateKey,
  signatureScheme: number,
): Uint8Array {
  const algorithm = signatureAlgorithmIdentifier(signatureScheme);
  let serial = template.serialNumber;
  if (!serial) {
    serial = provider.random(16);
    serial[0]! &= 0x7f;
    if (serial[0] === 0) serial[0] = 1; // keep 16 bytes, a positive number
  }
  const subject = encodeName(template.subject);
  const issuer = template.issuer ? encodeName(template.issuer) : subject;

  const extensions: Uint8Array[] = [];
  // RFC 5280 Section 4.2.1.9: critical in CA certificates.
  const isCA = template.isCA ?? false;
  const bc: Uint8Array[] = [];
  if (isCA) bc.push(der.boolean(true));
  if (template.pathLenConstraint !== undefined) bc.push(der.smallInteger(template.pathLenConstraint));
  extensions.push(extension(Oid.basicConstraints, template.basicConstraintsCritical ?? isCA, der.sequence(...bc)));
  const keyUsage = template.keyUsage ?? (isCA ? KeyUsage.keyCertSign | KeyUsage.cRLSign : undefined);
  // RFC 5280 Section 4.2.1.3: SHOULD be critical.
  if (keyUsage !== undefined) extensions.push(extension(Oid.keyUsage, true, keyUsageBitString(keyUsage)));
  if (template.extKeyUsage?.length) {
    extensions.push(extension(Oid.extKeyUsage, false, der.sequence(...template.extKeyUsage.map((o) => der.oid(o)))));
  }
  const names: Uint8Array[] = [];
  for (const d of template.dnsNames ?? []) names.push(der.implicit(2, new TextEncoder().encode(d)));
  for (const e of template.emails ?? []) names.push(der.implicit(1, new TextEncoder().encode(e)));
  for (const u of template.uris ?? []) names.push(der.implicit(6, new TextEncoder().encode(u)));
  for (const ip of template.ipAddresses ?? []) {
    const bytes = parseIpAddress(ip);
    if (!bytes) throw new TlsError('api_misuse', `${ip} is not an IP address`);
    names.push(der.implicit(7, bytes));
  }
  if (names.length) extensions.push(extension(Oid.subjectAltName, template.subjectAltNameCritical ?? false, der.sequence(...names)));
  if (template.nameConstraints) {
    extensions.push(
      extension(Oid.nameConstraints, template.nameConstraints.critical ?? true, encodeNameConstraints(template.nameConstraints)),
    );
  }
  // RFC 5280 Section 4.2.1.2 and 4.2.1.1
  extensions.push(extension(Oid.subjectKeyIdentifier, false, der.octetString(keyIdentifier(provider, template.subjectPublicKeyInfo))));
  extensions.push(
    extension(
      Oid.authorityKeyIdentifier,
      template.authorityKeyIdentifierCritical ?? false,
      der.sequence(der.implicit(0, keyIdentifier(provider, issuerKey.spki))),
    ),
  );
  for (const e of template.extraExtensions ?? []) extensions.push(extension(e.oid, e.critical, e.value));
  const omitted = new Set((template.omitExtensions ?? []).map((oid) => bytesKey(der.oid(oid))));
  const kept = extensions.filter((e) => !omitted.has(bytesKey(extensionOid(e))));

  const v1 = template.version1 ?? false;
  const tbs = der.sequence(
    ...(v1 ? [] : [der.explicit(0, der.smallInteger(2))]), // v3
    der.unsignedInteger(serial),
    algorithm,
    issuer,
    template.validityDer ?? der.sequence(der.time(truncateToSeconds(template.notBefore)), der.time(truncateToSeconds(template.notAfter))),
    subject,
    template.subjectPublicKeyInfo,
    ...(v1 ? [] : [der.explicit(3, der.sequence(...kept))]),
  );
  const signature = provider.sign(issuerKey, signatureScheme, tbs);
  return der.sequence(tbs, algorithm, der.bitString(signature));
}

/** The extnID of an encoded Extension (its first element). */
function extensionOid(ext: Uint8Array): Uint8Array {
  return DerReader.readAll(ext, 'Extension', (r) => {
    const s = r.sequence('Extension');
    return s.element('extnID').raw;
  });
}

function bytesKey(b: Uint8Array): string {
  return Array.from(b).join(',');
}

function truncateToSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

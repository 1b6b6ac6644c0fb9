// The certificate object node:tls returns from getPeerCertificate() / getCertificate().
//
// Names and the CA flag come from typetls's own parser; the strings node formats through
// OpenSSL (subjectaltname, validity dates, fingerprints, serial number) and the key details come from
// node:crypto's X509Certificate, so they match node byte for byte.

import { X509Certificate, type JsonWebKey } from 'node:crypto';
import type { Certificate, Name } from '../x509/certificate.js';
import { formatAltNames } from '../x509/identity.js';
import { NamedGroup } from '../wire/enums.js';

/** A certificate subject or issuer: attribute short name → value (an array when repeated). */
export type NodeCertificateName = Record<string, string | string[]>;

export interface PeerCertificate {
  subject: NodeCertificateName;
  issuer: NodeCertificateName;
  subjectaltname?: string;
  ca: boolean;
  modulus?: string;
  bits?: number;
  exponent?: string;
  pubkey?: Buffer;
  asn1Curve?: string;
  nistCurve?: string;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  ext_key_usage?: string[];
  serialNumber: string;
  raw: Buffer;
}

export interface DetailedPeerCertificate extends PeerCertificate {
  issuerCertificate: DetailedPeerCertificate;
}

/** Name → node's null-prototype object, attributes in certificate order, repeats as arrays. */
export function nameObject(name: Name): NodeCertificateName {
  const out = Object.create(null) as NodeCertificateName;
  for (const a of name.attributes) {
    const key = a.shortName ?? a.oid;
    const prev = out[key];
    if (prev === undefined) out[key] = a.value;
    else out[key] = Array.isArray(prev) ? [...prev, a.value] : [prev, a.value];
  }
  return out;
}

const curveNames: Readonly<Record<number, { asn1Curve: string; nistCurve: string }>> = {
  [NamedGroup.secp256r1]: { asn1Curve: 'prime256v1', nistCurve: 'P-256' },
  [NamedGroup.secp384r1]: { asn1Curve: 'secp384r1', nistCurve: 'P-384' },
  [NamedGroup.secp521r1]: { asn1Curve: 'secp521r1', nistCurve: 'P-521' },
};

function hexOf(b64url: string): string {
  return Buffer.from(b64url, 'base64url').toString('hex');
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** One certificate as node's legacy object (without issuerCertificate). */
export function peerCertificateObject(cert: Certificate): PeerCertificate {
  const x509 = new X509Certificate(toBuffer(cert.raw));
  const out: Partial<PeerCertificate> = {
    subject: nameObject(cert.subject),
    issuer: nameObject(cert.issuer),
  };
  // node's text of the extension, in certificate order, names holding odd characters quoted
  // and escaped (a NUL in a DNS name must not pass for a separator).
  if (cert.subjectAltName) out.subjectaltname = x509.subjectAltName ?? formatAltNames(cert.subjectAltName);
  out.ca = cert.basicConstraints?.ca ?? false;
  const jwk: JsonWebKey = x509.publicKey.export({ format: 'jwk' });
  if (cert.publicKeyAlgorithm === 'rsa' && jwk.n && jwk.e) {
    const modulus = hexOf(jwk.n).toUpperCase();
    out.modulus = modulus.replace(/^0+/, '');
    out.bits = x509.publicKey.asymmetricKeyDetails?.modulusLength ?? modulus.length * 4;
    out.exponent = `0x${hexOf(jwk.e).replace(/^0+/, '')}`;
    out.pubkey = x509.publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
  } else if (cert.publicKeyAlgorithm === 'ec' && jwk.x && jwk.y) {
    // node: the uncompressed EC point (SEC 1 Section 2.3.3), and the curve's two names.
    const x = Buffer.from(jwk.x, 'base64url');
    const y = Buffer.from(jwk.y, 'base64url');
    out.bits = x.length * 8 === 528 ? 521 : x.length * 8;
    out.pubkey = Buffer.concat([Buffer.from([4]), x, y]);
    const names = cert.namedCurve === undefined ? undefined : curveNames[cert.namedCurve];
    if (names) Object.assign(out, names);
  }
  out.valid_from = x509.validFrom;
  out.valid_to = x509.validTo;
  out.fingerprint = x509.fingerprint;
  out.fingerprint256 = x509.fingerprint256;
  out.fingerprint512 = x509.fingerprint512;
  if (cert.extKeyUsage) out.ext_key_usage = [...cert.extKeyUsage];
  out.serialNumber = x509.serialNumber.toUpperCase();
  out.raw = toBuffer(cert.raw);
  return out as PeerCertificate;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * node's getPeerCertificate(detailed): `{}` without a certificate; with `detailed`, each
 * certificate links to its issuer through `issuerCertificate`, found among the presented
 * chain and then the trust anchors; a self-issued root points at itself, as in node.
 */
export function peerCertificate(
  chain: readonly Certificate[],
  detailed: boolean,
  roots: readonly Certificate[] = [],
): PeerCertificate | DetailedPeerCertificate | Record<string, never> {
  const leaf = chain[0];
  if (!leaf) return {};
  const first = peerCertificateObject(leaf);
  if (!detailed) return first;
  const pool = [...chain.slice(1), ...roots];
  const seen: Certificate[] = [leaf];
  let current = leaf;
  let object = first as DetailedPeerCertificate;
  for (;;) {
    if (sameBytes(current.issuer.raw, current.subject.raw)) {
      object.issuerCertificate = object;
      break;
    }
    const issuer = pool.find((c) => sameBytes(c.subject.raw, current.issuer.raw) && !seen.includes(c));
    if (!issuer) break;
    const next = peerCertificateObject(issuer) as DetailedPeerCertificate;
    object.issuerCertificate = next;
    seen.push(issuer);
    current = issuer;
    object = next;
  }
  return first;
}

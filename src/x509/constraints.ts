// Name constraints (RFC 5280 Section 4.2.1.10, applied as in Section 6.1.3 (b), (c)):
// dNSName and iPAddress subtrees, checked against the subjectAltName of every
// certificate below the constraining CA and, as OpenSSL does, against a leaf's
// subject CN when that CN is a host name and the leaf has no dNSName.

import type { Certificate, GeneralSubtrees, NameConstraints } from './certificate.js';
import { nameAttribute } from './certificate.js';

export type ConstraintViolation = 'permitted' | 'excluded';

/**
 * RFC 5280 Section 4.2.1.10: "a name that can be constructed by simply adding zero
 * or more labels to the left-hand side of the name satisfies the name
 * constraint". A base with a leading period ("." + domain) matches subdomains
 * only (the common reading of a "host or domain" base, as OpenSSL, Go and webpki
 * implement it). The empty base matches every name. Case-insensitive.
 */
export function dnsNameWithinBase(name: string, base: string): boolean {
  const n = stripDot(name.toLowerCase());
  const b = base.toLowerCase();
  if (b === '') return true;
  if (b.startsWith('.')) return n.length > b.length && n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/** RFC 5280 Section 4.2.1.10: the address, masked, equals the base, masked; both of one family. */
export function ipWithinRange(ip: Uint8Array, range: { readonly address: Uint8Array; readonly mask: Uint8Array }): boolean {
  if (ip.length !== range.address.length) return false;
  for (let i = 0; i < ip.length; i++) {
    if ((ip[i]! & range.mask[i]!) !== (range.address[i]! & range.mask[i]!)) return false;
  }
  return true;
}

function stripDot(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * A subject CN that is a host name: LDH labels (and "_", which OpenSSL allows),
 * at least two of them. OpenSSL's NAME_CONSTRAINTS_check_CN treats the same CNs
 * as DNS names; a CN like "Example Server" is not a name constraints subject.
 */
export function cnAsHostname(cert: Certificate): string | undefined {
  const cn = nameAttribute(cert.subject, 'CN');
  if (cn === undefined) return undefined;
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+\.?$/.test(cn) ? cn : undefined;
}

/** The DNS names and IP addresses a certificate is constrained on. */
export function constrainedNames(cert: Certificate, isLeaf: boolean): { dns: string[]; ips: Uint8Array[] } {
  const dns = [...(cert.subjectAltName?.dnsNames ?? [])];
  const ips = [...(cert.subjectAltName?.ipAddresses ?? [])];
  // RFC 9525 Section 6.4.4 and OpenSSL: the CN stands in for a dNSName only when there is none.
  if (isLeaf && dns.length === 0) {
    const cn = cnAsHostname(cert);
    if (cn !== undefined) dns.push(cn);
  }
  return { dns, ips };
}

function permits(subtrees: GeneralSubtrees, names: { dns: string[]; ips: Uint8Array[] }): boolean {
  // RFC 5280 Section 6.1.3 (b): permittedSubtrees of a form constrain the names of that form only.
  if (subtrees.dnsNames.length > 0 && !names.dns.every((n) => subtrees.dnsNames.some((b) => dnsNameWithinBase(n, b)))) {
    return false;
  }
  if (subtrees.ipRanges.length > 0 && !names.ips.every((ip) => subtrees.ipRanges.some((r) => ipWithinRange(ip, r)))) {
    return false;
  }
  return true;
}

function excludes(subtrees: GeneralSubtrees, names: { dns: string[]; ips: Uint8Array[] }): boolean {
  // RFC 5280 Section 6.1.3 (c): no name falls within an excluded subtree.
  return (
    names.dns.some((n) => subtrees.dnsNames.some((b) => dnsNameWithinBase(n, b))) ||
    names.ips.some((ip) => subtrees.ipRanges.some((r) => ipWithinRange(ip, r)))
  );
}

/** Checks one certificate's names against one CA's constraints; undefined when they hold. */
export function checkNameConstraints(
  constraints: NameConstraints,
  cert: Certificate,
  isLeaf: boolean,
): ConstraintViolation | undefined {
  const names = constrainedNames(cert, isLeaf);
  // OpenSSL's nc_match checks the permitted subtrees first, then the excluded ones.
  if (constraints.permitted && !permits(constraints.permitted, names)) return 'permitted';
  if (constraints.excluded && excludes(constraints.excluded, names)) return 'excluded';
  return undefined;
}

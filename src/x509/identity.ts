// Server identity checks (RFC 6125 Section 6), with node's tls.checkServerIdentity
// error code and message style.

import type { Certificate, SubjectAltName } from './certificate.js';
import { isDnsName, nameAttribute } from './certificate.js';

export interface IdentityError {
  readonly code: 'ERR_TLS_CERT_ALTNAME_INVALID';
  readonly message: string;
}

function mismatch(reason: string): IdentityError {
  return { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: `Hostname/IP does not match certificate's altnames: ${reason}` };
}

/**
 * Whose rules the name check follows:
 * - 'strict' (RFC 9525, CABF BR 7.1.4.2, Chrome since 58, Go since 1.15, rustls): the dNSName
 *   entries of the subjectAltName only, which must be in the preferred name syntax; the host is
 *   compared in its A-label form; a certificate without subjectAltName names no host.
 * - 'node' (node:tls checkServerIdentity): the dNSName entries, or the subject CN when there is none.
 */
export type HostnameRules = 'strict' | 'node';

/**
 * Checks a DNS name against the leaf (RFC 6125 Section 6.4). An IP address given as
 * `hostname` is checked as an address (checkIp), against the iPAddress entries only.
 */
export function checkHostname(cert: Certificate, hostname: string, rules: HostnameRules = 'strict'): IdentityError | undefined {
  let host = unfqdn(hostname);
  if (isIpAddress(host)) return checkIp(cert, host);
  const san = cert.subjectAltName;
  if (rules === 'strict') {
    const ascii = toALabels(host);
    // A name ending in a number is an address in another notation ("0x7f.1", "127.000.0.1"), never a host name.
    if (ascii === undefined || !isDnsName(ascii) || /^(\d+|0x[0-9a-f]*)$/i.test(ascii.split('.').pop()!)) {
      return mismatch(`Host: ${host}. is not a valid host name`);
    }
    host = ascii;
    if (!san || san.dnsNames.length === 0) {
      return mismatch(`Host: ${host}. Cert does not contain a DNS name in its subjectAltName (the subject CN is not used)`);
    }
  }
  const hostLabels = host.toLowerCase().split('.');
  const dnsNames = san?.dnsNames ?? [];
  if (dnsNames.length > 0) {
    // Under the strict rules a dNSName that is not a name (an underscore, an empty label) matches nothing.
    const usable = rules === 'strict' ? dnsNames.filter((n) => isDnsName(n.startsWith('*.') ? n.slice(2) : n)) : dnsNames;
    if (usable.some((pattern) => matchesPattern(hostLabels, pattern))) return undefined;
    return mismatch(`Host: ${host}. is not in the cert's altnames: ${san ? formatAltNames(san) : ''}`);
  }
  // node:tls: the CN only when there are no dNSName identifiers (RFC 6125 Section 6.4.4).
  const cn = nameAttribute(cert.subject, 'CN');
  if (cn === undefined) return mismatch('Cert does not contain a DNS name');
  if (matchesPattern(hostLabels, cn)) return undefined;
  return mismatch(`Host: ${host}. is not cert's CN: ${cn}`);
}

/** An internationalized name in its A-label (punycode) form (RFC 5890), through the WHATWG URL host parser; ASCII names as they are. */
function toALabels(host: string): string | undefined {
  if (/^[\x21-\x7e]*$/.test(host)) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Checks an IP address (IPv4 dotted or IPv6 text) against the leaf's iPAddress SANs (RFC 5280 Section 4.2.1.6). */
export function checkIp(cert: Certificate, ip: string): IdentityError | undefined {
  const wanted = parseIpAddress(ip);
  const listed = cert.subjectAltName?.ipAddresses ?? [];
  if (wanted && listed.some((a) => a.length === wanted.length && a.every((b, i) => b === wanted[i]))) return undefined;
  return mismatch(`IP: ${ip} is not in the cert's list: ${listed.map(formatIpAddress).join(', ')}`);
}

function unfqdn(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/**
 * Registry-controlled suffixes of more than one label under which a wildcard is
 * refused (RFC 9525 Section 6.3: a wildcard at the public-suffix level would
 * stand for every site of the registry). This is a deliberately short, explicit
 * list of common ones, not the Public Suffix List: a single-label suffix ("*.com")
 * is refused by the label count, and these by name.
 */
export const multiLabelPublicSuffixes: ReadonlySet<string> = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk', 'net.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'co.nz', 'org.nz', 'co.za', 'co.in', 'co.kr', 'com.br', 'com.cn', 'com.tw', 'com.mx', 'com.tr', 'com.sg',
  'github.io', 'gitlab.io', 'herokuapp.com', 'appspot.com', 'blogspot.com', 'azurewebsites.net', 'cloudfront.net',
]);

/**
 * RFC 6125 Section 6.4.1 and 6.4.3 (RFC 9525 Section 6.3): labels compared
 * case-insensitively; a wildcard only as the whole left-most label, never in a
 * pattern of fewer than three labels, never directly under a listed public
 * suffix (multiLabelPublicSuffixes), and never standing for an A-label ("xn--")
 * of the host.
 */
function matchesPattern(hostLabels: readonly string[], pattern: string): boolean {
  if (pattern === '') return false;
  const labels = unfqdn(pattern).toLowerCase().split('.');
  if (labels.length !== hostLabels.length) return false;
  if (labels.some((l) => l === '' || /[^\x21-\x7e]/.test(l))) return false;
  if (hostLabels.some((l) => l === '')) return false;
  for (let i = labels.length - 1; i > 0; i--) {
    if (labels[i]!.includes('*') || labels[i] !== hostLabels[i]) return false;
  }
  const first = labels[0]!;
  const hostFirst = hostLabels[0]!;
  if (first === '*') {
    return labels.length >= 3 && !multiLabelPublicSuffixes.has(labels.slice(1).join('.')) && !hostFirst.startsWith('xn--');
  }
  if (first.includes('*')) return false;
  return first === hostFirst;
}

/** The SAN list in node's `subjectaltname` form: "DNS:localhost, IP Address:127.0.0.1". */
export function formatAltNames(san: SubjectAltName): string {
  return [
    ...san.dnsNames.map((n) => `DNS:${n}`),
    ...san.ipAddresses.map((a) => `IP Address:${formatIpAddress(a)}`),
    ...san.emails.map((e) => `email:${e}`),
    ...san.uris.map((u) => `URI:${u}`),
  ].join(', ');
}

export function isIpAddress(text: string): boolean {
  return parseIpAddress(text) !== undefined;
}

/** IPv4 dotted-quad (no leading zeros) → 4 bytes; IPv6 text (RFC 4291 Section 2.2, optional zone) → 16 bytes. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone !== -1) {
    if (!/^%[0-9A-Za-z._~-]+$/.test(text.slice(zone))) return undefined;
    text = text.slice(0, zone);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 4 bytes as dotted-quad; 16 bytes as RFC 5952 text (the longest run of zero groups as "::"). */
export function formatIpAddress(a: Uint8Array): string {
  if (a.length === 4) return Array.from(a).join('.');
  if (a.length !== 16) return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join(':');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i]! << 8) | a[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

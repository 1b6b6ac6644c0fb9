// Name constraints (RFC 5280 Section 4.2.1.10, applied as in Section 6.1.3 (b), (c)):
// every name form, in the subjectAltName and the subject of every certificate below the
// constraining CA, within a budget of comparisons.
//
// - dNSName: zero or more labels added on the left satisfy a base; the empty base is every name.
//   A wildcard SAN ("*.example.com") stands for the names it covers: it is permitted when all of
//   them are, and excluded when any of them is.
// - iPAddress: the address, masked, equals the base, masked; both of one family.
// - rfc822Name: a mailbox ("a@example.com"), all mailboxes on a host ("example.com"), or on the
//   hosts of a domain (".example.com"); the subject's emailAddress attributes count (4.2.1.10).
// - uniformResourceIdentifier: the host of the URI, as a host or a domain (".example.com"); a URI
//   without a host name, under a URI constraint, is refused.
// - directoryName: the base's RDNs begin the subject's (or a directoryName SAN's).
// - otherName, x400Address, ediPartyName, registeredID: not compared. A constraint of such a form
//   refuses a certificate that has a name of that form (and, for otherName, that type-id), since
//   it cannot be decided; a certificate without such a name is not concerned by it.
// As OpenSSL does, a leaf's subject CN that is a host name counts as a dNSName when it has none.

import type { Certificate, GeneralSubtrees, Name, NameConstraints } from './certificate.js';
import { isDnsName, nameAttribute } from './certificate.js';
import { formatIpAddress } from './identity.js';

export type ConstraintViolation =
  | { readonly kind: 'permitted' | 'excluded'; readonly name: string }
  /** A name that cannot be compared with a constraint of its form (malformed, or a form not processed). */
  | { readonly kind: 'unsupported'; readonly name: string }
  /** The budget of comparisons ran out. */
  | { readonly kind: 'budget' };

/**
 * The comparisons one validation may make (Go's maxConstraintComparisons and webpki's budget are
 * the same figure): a chain built to make the check quadratic is refused instead of being worked through.
 */
export const NAME_CONSTRAINT_BUDGET = 250_000;

export interface ConstraintBudget {
  remaining: number;
}

/**
 * RFC 5280 Section 4.2.1.10: "a name that can be constructed by simply adding zero
 * or more labels to the left-hand side of the name satisfies the name
 * constraint". The empty base matches every name. Case-insensitive.
 */
export function dnsNameWithinBase(name: string, base: string): boolean {
  const n = stripDot(name.toLowerCase());
  const b = stripDot(base.toLowerCase());
  if (b === '') return true;
  return n === b || n.endsWith(`.${b}`);
}

/** A wildcard name "*.rest": all the names it covers are within `base`. */
function wildcardWithin(rest: string, base: string): boolean {
  return dnsNameWithinBase(rest, base);
}

/** A wildcard name "*.rest": some name it covers is within `base` (base is one label over rest, or rest is within it). */
function wildcardMeets(rest: string, base: string): boolean {
  if (dnsNameWithinBase(rest, base)) return true;
  const b = stripDot(base.toLowerCase());
  const r = stripDot(rest.toLowerCase());
  if (!b.endsWith(`.${r}`)) return false;
  const extra = b.slice(0, b.length - r.length - 1);
  return extra !== '' && !extra.includes('.');
}

/** RFC 5280 Section 4.2.1.10: the address, masked, equals the base, masked; both of one family. */
export function ipWithinRange(ip: Uint8Array, range: { readonly address: Uint8Array; readonly mask: Uint8Array }): boolean {
  if (ip.length !== range.address.length) return false;
  for (let i = 0; i < ip.length; i++) {
    if ((ip[i]! & range.mask[i]!) !== (range.address[i]! & range.mask[i]!)) return false;
  }
  return true;
}

/** rfc822Name: a mailbox, a host, or a domain (leading period). Local parts compare exactly, hosts without case. */
export function emailWithinBase(email: string, base: string): boolean {
  const at = email.lastIndexOf('@');
  const host = email.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const bat = base.lastIndexOf('@');
    return email.slice(0, at) === base.slice(0, bat) && host === base.slice(bat + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  if (b.startsWith('.')) return host.endsWith(b);
  return host === b;
}

/** uniformResourceIdentifier: the host of the URI, as a host or a domain (leading period). */
export function uriHostWithinBase(host: string, base: string): boolean {
  const h = host.toLowerCase();
  const b = base.toLowerCase();
  if (b.startsWith('.')) return h.endsWith(b);
  return h === b;
}

/** The host name of a URI with an authority ("scheme://[user@]host[:port]/..."), or undefined (no authority, or an IP literal). */
export function uriHost(uri: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return undefined;
  const host = m[1]!.slice(m[1]!.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  if (host.startsWith('[') || /^[0-9.]+$/.test(host) || !isDnsName(host)) return undefined;
  return host;
}

/** RFC 5280 Section 7.1 (simplified): attribute types equal, values equal after case folding and space collapsing. */
function rdnsBegin(name: Name, base: Name): boolean {
  if (base.attributes.length > name.attributes.length) return false;
  const norm = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();
  return base.attributes.every((a, i) => a.oid === name.attributes[i]!.oid && norm(a.value) === norm(name.attributes[i]!.value));
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

/** Every name of a certificate that name constraints apply to, by form. */
export interface ConstrainedNames {
  readonly dns: readonly string[];
  readonly ips: readonly Uint8Array[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
  readonly directoryNames: readonly Name[];
  readonly otherNames: readonly string[];
  readonly otherForms: readonly string[];
}

export function constrainedNames(cert: Certificate, isLeaf: boolean): ConstrainedNames {
  const san = cert.subjectAltName;
  const dns = [...(san?.dnsNames ?? [])];
  // RFC 9525 Section 6.4.4 and OpenSSL: the CN stands in for a dNSName only when there is none.
  if (isLeaf && dns.length === 0) {
    const cn = cnAsHostname(cert);
    if (cn !== undefined) dns.push(cn);
  }
  // RFC 5280 Section 4.2.1.10: the subject (when not empty) is a directoryName, and its
  // emailAddress attributes are rfc822Names.
  const emailOid = '1.2.840.113549.1.9.1';
  return {
    dns,
    ips: san?.ipAddresses ?? [],
    emails: [...(san?.emails ?? []), ...cert.subject.attributes.filter((a) => a.oid === emailOid).map((a) => a.value)],
    uris: san?.uris ?? [],
    directoryNames: [...(cert.subject.attributes.length > 0 ? [cert.subject] : []), ...(san?.directoryNames ?? [])],
    otherNames: san?.otherNames ?? [],
    otherForms: san?.otherForms ?? [],
  };
}

type Side = 'permitted' | 'excluded';

/**
 * One name form: `inBase(name, base)` for permitted subtrees (every name within one base) and
 * `meetsBase` for excluded ones (no name meeting any base). Undefined from `valid` names a name
 * that cannot be compared.
 */
interface Form<N, B> {
  readonly label: string;
  readonly names: (n: ConstrainedNames) => readonly N[];
  readonly bases: (s: GeneralSubtrees) => readonly B[];
  readonly show: (n: N) => string;
  readonly valid: (n: N) => boolean;
  readonly inBase: (n: N, b: B) => boolean;
  readonly meetsBase: (n: N, b: B) => boolean;
}

const isWildcard = (n: string) => n.startsWith('*.');
const dnsForm: Form<string, string> = {
  label: 'DNS',
  names: (n) => n.dns,
  bases: (s) => s.dnsNames,
  show: (n) => n,
  valid: (n) => isDnsName(isWildcard(n) ? n.slice(2) : n),
  inBase: (n, b) => (isWildcard(n) ? wildcardWithin(n.slice(2), b) : dnsNameWithinBase(n, b)),
  meetsBase: (n, b) => (isWildcard(n) ? wildcardMeets(n.slice(2), b) : dnsNameWithinBase(n, b)),
};
const ipForm: Form<Uint8Array, { address: Uint8Array; mask: Uint8Array }> = {
  label: 'IP Address',
  names: (n) => n.ips,
  bases: (s) => s.ipRanges,
  show: formatIpAddress,
  valid: () => true,
  inBase: ipWithinRange,
  meetsBase: ipWithinRange,
};
const emailForm: Form<string, string> = {
  label: 'email',
  names: (n) => n.emails,
  bases: (s) => s.emails,
  show: (n) => n,
  valid: (n) => /^[^@\s]+@[^@\s]+$/.test(n) && isDnsName(n.slice(n.lastIndexOf('@') + 1)),
  inBase: emailWithinBase,
  meetsBase: emailWithinBase,
};
const uriForm: Form<string, string> = {
  label: 'URI',
  names: (n) => n.uris,
  bases: (s) => s.uris,
  show: (n) => n,
  valid: (n) => uriHost(n) !== undefined,
  inBase: (n, b) => uriHostWithinBase(uriHost(n)!, b),
  meetsBase: (n, b) => uriHostWithinBase(uriHost(n)!, b),
};
const dirForm: Form<Name, Name> = {
  label: 'DirName',
  names: (n) => n.directoryNames,
  bases: (s) => s.directoryNames,
  show: (n) => n.attributes.map((a) => `${a.shortName ?? a.oid}=${a.value}`).join('/'),
  valid: () => true,
  inBase: rdnsBegin,
  meetsBase: rdnsBegin,
};
const forms = [dnsForm, ipForm, emailForm, uriForm, dirForm] as readonly Form<unknown, unknown>[];

function checkForm<N, B>(
  form: Form<N, B>,
  side: Side,
  subtrees: GeneralSubtrees,
  names: ConstrainedNames,
  budget: ConstraintBudget,
): ConstraintViolation | undefined {
  const bases = form.bases(subtrees);
  if (bases.length === 0) return undefined;
  for (const name of form.names(names)) {
    if (!form.valid(name)) return { kind: 'unsupported', name: `${form.label}:${form.show(name)}` };
    budget.remaining -= bases.length;
    if (budget.remaining < 0) return { kind: 'budget' };
    // RFC 5280 Section 6.1.3 (b): permittedSubtrees of a form constrain the names of that form only.
    if (side === 'permitted' && !bases.some((b) => form.inBase(name, b))) return { kind: 'permitted', name: `${form.label}:${form.show(name)}` };
    // RFC 5280 Section 6.1.3 (c): no name falls within an excluded subtree.
    if (side === 'excluded' && bases.some((b) => form.meetsBase(name, b))) return { kind: 'excluded', name: `${form.label}:${form.show(name)}` };
  }
  return undefined;
}

function checkSubtrees(side: Side, subtrees: GeneralSubtrees, names: ConstrainedNames, budget: ConstraintBudget): ConstraintViolation | undefined {
  for (const form of forms) {
    const v = checkForm(form, side, subtrees, names, budget);
    if (v) return v;
  }
  // Forms that are not compared: a name of such a form (otherName: of such a type) under a
  // constraint of that form cannot be decided, and is refused on either side.
  const other = names.otherNames.find((t) => subtrees.otherNames.includes(t));
  if (other !== undefined) return { kind: 'unsupported', name: `othername:${other}` };
  const form = names.otherForms.find((f) => subtrees.otherForms.includes(f));
  if (form !== undefined) return { kind: 'unsupported', name: form };
  return undefined;
}

/** Checks one certificate's names against one CA's constraints; undefined when they hold. */
export function checkNameConstraints(
  constraints: NameConstraints,
  cert: Certificate,
  isLeaf: boolean,
  budget: ConstraintBudget = { remaining: NAME_CONSTRAINT_BUDGET },
): ConstraintViolation | undefined {
  const names = constrainedNames(cert, isLeaf);
  // OpenSSL's nc_match checks the permitted subtrees first, then the excluded ones.
  if (constraints.permitted) {
    const v = checkSubtrees('permitted', constraints.permitted, names, budget);
    if (v) return v;
  }
  if (constraints.excluded) return checkSubtrees('excluded', constraints.excluded, names, budget);
  return undefined;
}

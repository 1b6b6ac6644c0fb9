// Extension codecs: each turns an extension's `data` into a typed value and back.
// Every decoder reads the whole of `data` (trailing bytes are decode_error).
// Decoded byte fields are views into `data`.

import { TlsError } from '../errors.js';
import { readCertificateStatus, writeCertificateStatus, type Extension } from './messages.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** The first extension of a type, or undefined. Lists are already free of duplicates (decodeHandshake checks). */
export function findExtension(extensions: readonly Extension[], type: number): Extension | undefined {
  return extensions.find((e) => e.type === type);
}

function build(body: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  body(w);
  return w.finish();
}

// ---------------------------------------------------------------------------
// TLS 1.2 and common extensions

/** RFC 6066 Section 3: server_name with one host_name entry. Empty data (the server's acknowledgement) decodes to ''. */
export function encodeServerName(hostName: string): Uint8Array {
  // RFC 6066 Section 3: HostName<1..2^16-1>, ASCII, without a trailing dot.
  if (hostName.length === 0) throw new TlsError('api_misuse', 'server name is empty');
  const name = new Uint8Array(hostName.length);
  for (let i = 0; i < hostName.length; i++) {
    const c = hostName.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new TlsError('api_misuse', 'server name must be ASCII (use the A-label form of an IDN)');
    name[i] = c;
  }
  return build((w) =>
    w.prefixed(2, () => {
      w.u8(NameType.host_name);
      w.vector(2, name);
    }),
  );
}

/** RFC 6066 Section 3: NameType. */
const NameType = { host_name: 0 } as const;

export function decodeServerName(data: Uint8Array): string {
  // RFC 6066 Section 3: the server's extension_data is empty.
  if (data.length === 0) return '';
  return Reader.readAll(data, 'server_name', (r) => {
    const list = r.sub(2, 'server_name_list', 1);
    let hostName: string | undefined;
    while (!list.empty()) {
      const nameType = list.u8('name_type');
      // Every name type defined so far is an opaque<1..2^16-1>; only host_name is read.
      const name = list.vector(2, 'name', 1);
      if (nameType !== NameType.host_name) continue;
      // RFC 6066 Section 3: "The ServerNameList MUST NOT contain more than one name of the same name_type."
      if (hostName !== undefined) throw new TlsError('illegal_parameter', 'server_name has more than one host_name');
      hostName = asciiHostName(name);
    }
    return hostName ?? '';
  });
}

function asciiHostName(name: Uint8Array): string {
  let out = '';
  for (const c of name) {
    // RFC 6066 Section 3: "represented as a byte string using ASCII encoding"; no spaces, no control bytes.
    if (c < 0x21 || c > 0x7e) throw new TlsError('illegal_parameter', 'server_name host_name contains a byte that is not printable ASCII');
    out += String.fromCharCode(c);
  }
  // RFC 6066 Section 3: "without a trailing dot".
  if (out.endsWith('.')) throw new TlsError('illegal_parameter', 'server_name host_name ends with a dot');
  return out;
}

/** RFC 8422 Section 5.1.1 / RFC 8446 Section 4.2.7: supported_groups. */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  return build((w) => w.u16List(2, groups));
}

export function decodeSupportedGroups(data: Uint8Array): number[] {
  // RFC 8446 Section 4.2.7: NamedGroup named_group_list<2..2^16-1>.
  return Reader.readAll(data, 'supported_groups', (r) => r.u16List(2, 'named_group_list', 1));
}

/** RFC 8422 Section 5.1.2: ec_point_formats. */
export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  return build((w) =>
    w.prefixed(1, () => {
      for (const f of formats) w.u8(f);
    }),
  );
}

export function decodeEcPointFormats(data: Uint8Array): number[] {
  // RFC 8422 Section 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>.
  return Reader.readAll(data, 'ec_point_formats', (r) => Array.from(r.vector(1, 'ec_point_format_list', 1)));
}

/** RFC 5246 Section 7.4.1.4.1 / RFC 8446 Section 4.2.3: signature_algorithms (and signature_algorithms_cert). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  return build((w) => w.u16List(2, schemes));
}

export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  // RFC 8446 Section 4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>.
  return Reader.readAll(data, 'signature_algorithms', (r) => r.u16List(2, 'supported_signature_algorithms', 1));
}

/** RFC 7301 Section 3.1: application_layer_protocol_negotiation; protocol names as strings (latin1). */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return build((w) =>
    w.prefixed(2, () => {
      for (const p of protocols) {
        // RFC 7301 Section 3.1: opaque ProtocolName<1..2^8-1>.
        if (p.length === 0) throw new TlsError('api_misuse', 'an ALPN protocol name is empty');
        w.vector(1, latin1Bytes(p, 'ALPN protocol name'));
      }
    }),
  );
}

export function decodeAlpn(data: Uint8Array): string[] {
  return Reader.readAll(data, 'application_layer_protocol_negotiation', (r) => {
    // RFC 7301 Section 3.1: ProtocolName protocol_name_list<2..2^16-1>; ProtocolName<1..2^8-1>.
    const list = r.sub(2, 'protocol_name_list', 1);
    const out: string[] = [];
    while (!list.empty()) out.push(latin1String(list.vector(1, 'protocol_name', 1)));
    return out;
  });
}

function latin1Bytes(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new TlsError('api_misuse', `${what} has a character outside latin1`);
    out[i] = c;
  }
  return out;
}

function latin1String(b: Uint8Array): string {
  let out = '';
  for (const c of b) out += String.fromCharCode(c);
  return out;
}

/** RFC 5746 Section 3.2: renegotiation_info (renegotiated_connection). */
export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array {
  return build((w) => w.vector(1, renegotiatedConnection));
}

export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  // RFC 5746 Section 3.2: opaque renegotiated_connection<0..255>.
  return Reader.readAll(data, 'renegotiation_info', (r) => r.vector(1, 'renegotiated_connection'));
}

/** Extensions whose data must be empty: extended_master_secret (RFC 7627), encrypt_then_mac (RFC 7366), ... */
export function expectEmptyExtension(data: Uint8Array, name: string): void {
  // RFC 7627 Section 5.1, RFC 7366 Section 2, RFC 8446 Section 4.2.10 (early_data in ClientHello / EncryptedExtensions):
  // "the extension_data field of this extension is empty".
  if (data.length !== 0) throw new TlsError('decode_error', `${name} extension has ${data.length} bytes of data, expected none`);
}

// ---------------------------------------------------------------------------
// TLS 1.3 extensions

/** RFC 8446 Section 4.2.1: supported_versions in ClientHello: ProtocolVersion versions<2..254>. */
export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  return build((w) => w.u16List(1, versions));
}

export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  return Reader.readAll(data, 'supported_versions', (r) => r.u16List(1, 'versions', 1));
}

/** RFC 8446 Section 4.2.1: supported_versions in ServerHello / HelloRetryRequest: ProtocolVersion selected_version. */
export function encodeSupportedVersionsServer(selectedVersion: number): Uint8Array {
  return build((w) => w.u16(selectedVersion));
}

export function decodeSupportedVersionsServer(data: Uint8Array): number {
  return Reader.readAll(data, 'supported_versions', (r) => r.u16('selected_version'));
}

/** RFC 8446 Section 4.2.8: KeyShareEntry. */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

function writeKeyShareEntry(w: Writer, entry: KeyShareEntry): void {
  w.u16(entry.group);
  w.vector(2, entry.keyExchange);
}

function readKeyShareEntry(r: Reader, minLength = 1): KeyShareEntry {
  // RFC 8446 Section 4.2.8: NamedGroup group; opaque key_exchange<1..2^16-1>.
  const group = r.u16('group');
  const keyExchange = r.vector(2, 'key_exchange', minLength);
  return { group, keyExchange };
}

/** RFC 8446 Section 4.2.8: key_share in ClientHello: KeyShareEntry client_shares<0..2^16-1> (empty asks for a HelloRetryRequest). */
export function encodeKeyShareClient(clientShares: readonly KeyShareEntry[]): Uint8Array {
  return build((w) =>
    w.prefixed(2, () => {
      for (const e of clientShares) writeKeyShareEntry(w, e);
    }),
  );
}

export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  return Reader.readAll(data, 'key_share', (r) => {
    const list = r.sub(2, 'client_shares');
    const out: KeyShareEntry[] = [];
    // A set, not a scan of `out`: a key_share of 64 KiB holds thousands of entries.
    const groups = new Set<number>();
    while (!list.empty()) {
      const entry = readKeyShareEntry(list, 0);
      // An empty key_exchange is a share of the wrong size for its group, refused as a bad share
      // is (RFC 8446 Section 4.2.8.1, 4.2.8.2), with illegal_parameter as NSS, GnuTLS and
      // tlsfuzzer expect, rather than as a malformed vector.
      if (entry.keyExchange.length === 0) {
        throw new TlsError('illegal_parameter', `key_share entry for group 0x${entry.group.toString(16).padStart(4, '0')} is empty`);
      }
      // RFC 8446 Section 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group."
      if (groups.has(entry.group)) {
        throw new TlsError('illegal_parameter', `key_share offers group 0x${entry.group.toString(16).padStart(4, '0')} twice`);
      }
      groups.add(entry.group);
      out.push(entry);
    }
    return out;
  });
}

/** RFC 8446 Section 4.2.8: key_share in ServerHello: KeyShareEntry server_share. */
export function encodeKeyShareServer(serverShare: KeyShareEntry): Uint8Array {
  return build((w) => writeKeyShareEntry(w, serverShare));
}

export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  return Reader.readAll(data, 'key_share', readKeyShareEntry);
}

/** RFC 8446 Section 4.2.8: key_share in HelloRetryRequest: NamedGroup selected_group. */
export function encodeKeyShareHelloRetry(selectedGroup: number): Uint8Array {
  return build((w) => w.u16(selectedGroup));
}

export function decodeKeyShareHelloRetry(data: Uint8Array): number {
  return Reader.readAll(data, 'key_share', (r) => r.u16('selected_group'));
}

/** RFC 8446 Section 4.2.9: psk_key_exchange_modes: PskKeyExchangeMode ke_modes<1..255>. */
export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  return build((w) =>
    w.prefixed(1, () => {
      for (const m of modes) w.u8(m);
    }),
  );
}

export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return Reader.readAll(data, 'psk_key_exchange_modes', (r) => Array.from(r.vector(1, 'ke_modes', 1)));
}

/** RFC 8446 Section 4.2.2: cookie: opaque cookie<1..2^16-1>. */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return build((w) => w.vector(2, cookie));
}

export function decodeCookie(data: Uint8Array): Uint8Array {
  return Reader.readAll(data, 'cookie', (r) => r.vector(2, 'cookie', 1));
}

/**
 * RFC 8446 Section 4.2.10: early_data. Empty in ClientHello and EncryptedExtensions;
 * `uint32 max_early_data_size` in NewSessionTicket. undefined encodes/decodes the empty form.
 */
export function encodeEarlyData(maxEarlyDataSize?: number): Uint8Array {
  return build((w) => {
    if (maxEarlyDataSize !== undefined) w.u32(maxEarlyDataSize);
  });
}

export function decodeEarlyData(data: Uint8Array): number | undefined {
  if (data.length === 0) return undefined;
  return Reader.readAll(data, 'early_data', (r) => r.u32('max_early_data_size'));
}

/** RFC 8449 Section 4: record_size_limit: uint16 RecordSizeLimit. */
export function encodeRecordSizeLimit(limit: number): Uint8Array {
  return build((w) => w.u16(limit));
}

export function decodeRecordSizeLimit(data: Uint8Array): number {
  const limit = Reader.readAll(data, 'record_size_limit', (r) => r.u16('record_size_limit'));
  // RFC 8449 Section 4: "Endpoints MUST NOT send a value smaller than 64 ... MUST treat receipt of a smaller
  // value as a fatal error and generate an illegal_parameter alert."
  if (limit < 64) throw new TlsError('illegal_parameter', `record_size_limit of ${limit} is below the minimum of 64`);
  return limit;
}

/** RFC 5077 Section 3.2: SessionTicket extension: the ticket itself, without a length prefix (empty asks for one). */
export function encodeSessionTicket(ticket: Uint8Array): Uint8Array {
  return ticket.slice();
}

export function decodeSessionTicket(data: Uint8Array): Uint8Array {
  return data;
}

/** RFC 8446 Section 4.2.11: PskIdentity. */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** RFC 8446 Section 4.2.11: OfferedPsks, the client's pre_shared_key. */
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}

function writeBinders(w: Writer, binders: readonly Uint8Array[]): void {
  w.prefixed(2, () => {
    for (const b of binders) w.vector(1, b);
  });
}

/** RFC 8446 Section 4.2.11: pre_shared_key in ClientHello (it must be the last extension; the caller orders the list). */
export function encodePreSharedKeyClient(offer: OfferedPsks): Uint8Array {
  return build((w) => {
    w.prefixed(2, () => {
      for (const id of offer.identities) {
        w.vector(2, id.identity);
        w.u32(id.obfuscatedTicketAge);
      }
    });
    writeBinders(w, offer.binders);
  });
}

/**
 * The size of the encoded `binders` list (its length prefix included): a ClientHello
 * that ends with pre_shared_key, truncated by this many bytes, is what the binders
 * cover (RFC 8446 Section 4.2.11.2).
 */
export function encodedBindersLength(binders: readonly Uint8Array[]): number {
  const w = new Writer(64);
  writeBinders(w, binders);
  return w.length;
}

export function decodePreSharedKeyClient(data: Uint8Array): OfferedPsks {
  return Reader.readAll(data, 'pre_shared_key', (r) => {
    // RFC 8446 Section 4.2.11: PskIdentity identities<7..2^16-1>; opaque identity<1..2^16-1>.
    const ids = r.sub(2, 'identities', 7);
    const identities: PskIdentity[] = [];
    while (!ids.empty()) {
      const identity = ids.vector(2, 'identity', 1);
      const obfuscatedTicketAge = ids.u32('obfuscated_ticket_age');
      identities.push({ identity, obfuscatedTicketAge });
    }
    // RFC 8446 Section 4.2.11: PskBinderEntry binders<33..2^16-1>; opaque PskBinderEntry<32..255>.
    const bs = r.sub(2, 'binders', 33);
    const binders: Uint8Array[] = [];
    while (!bs.empty()) binders.push(bs.vector(1, 'binder', 32, 255));
    // RFC 8446 Section 4.2.11: one binder per identity, in the same order.
    if (binders.length !== identities.length) {
      throw new TlsError('illegal_parameter', `pre_shared_key has ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders };
  });
}

/** RFC 8446 Section 4.2.11: pre_shared_key in ServerHello: uint16 selected_identity. */
export function encodePreSharedKeyServer(selectedIdentity: number): Uint8Array {
  return build((w) => w.u16(selectedIdentity));
}

export function decodePreSharedKeyServer(data: Uint8Array): number {
  return Reader.readAll(data, 'pre_shared_key', (r) => r.u16('selected_identity'));
}

/** RFC 8446 Section 4.2.4: certificate_authorities, a list of DER DistinguishedNames. */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  return new Writer(256)
    .prefixed(2, (w) => {
      for (const name of names) w.vector(2, name);
    })
    .finish();
}

export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  return Reader.readAll(data, 'certificate_authorities', (r) => {
    const list = r.sub(2, 'authorities', 3);
    const names: Uint8Array[] = [];
    while (!list.empty()) names.push(list.vector(2, 'DistinguishedName', 1));
    return names;
  });
}

/**
 * RFC 6066 Section 8: status_request in a ClientHello asks for OCSP stapling:
 * status_type ocsp (1), no responder IDs, no request extensions.
 */
export function encodeStatusRequest(): Uint8Array {
  return new Writer(5).u8(1).u16(0).u16(0).finish();
}

/** Whether a ClientHello's status_request asks for OCSP (RFC 6066 Section 8); other types are ignored. */
export function decodeStatusRequest(data: Uint8Array): boolean {
  return Reader.readAll(data, 'status_request', (r) => {
    const statusType = r.u8('status_type');
    if (statusType !== 1) {
      r.rest();
      return false;
    }
    r.vector(2, 'responder_id_list');
    r.vector(2, 'request_extensions');
    return true;
  });
}

/** RFC 8446 Section 4.4.2.1: the status_request extension of a TLS 1.3 Certificate entry holds a CertificateStatus. */
export function encodeCertificateStatusExtension(response: Uint8Array): Uint8Array {
  const w = new Writer(response.length + 8);
  writeCertificateStatus(w, 1, response);
  return w.finish();
}

export function decodeCertificateStatusExtension(data: Uint8Array): Uint8Array {
  return Reader.readAll(data, 'status_request', (r) => readCertificateStatus(r).response);
}

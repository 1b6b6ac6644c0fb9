// Extension codecs: each turns an extension's `data` into a typed value and back.
// Every decoder reads the whole of `data` (trailing bytes are decode_error).

import type { Extension } from './messages.js';

/** The first extension of a type, or undefined. Lists are already free of duplicates (decodeHandshake checks). */
export declare function findExtension(extensions: readonly Extension[], type: number): Extension | undefined;

/** RFC 6066 Section 3: server_name with one host_name entry. Empty data (the server's acknowledgement) decodes to ''. */
export declare function encodeServerName(hostName: string): Uint8Array;
export declare function decodeServerName(data: Uint8Array): string;

/** RFC 8422 Section 5.1.1 / RFC 8446 Section 4.2.7: supported_groups. */
export declare function encodeSupportedGroups(groups: readonly number[]): Uint8Array;
export declare function decodeSupportedGroups(data: Uint8Array): number[];

/** RFC 8422 Section 5.1.2: ec_point_formats. */
export declare function encodeEcPointFormats(formats: readonly number[]): Uint8Array;
export declare function decodeEcPointFormats(data: Uint8Array): number[];

/** RFC 5246 Section 7.4.1.4.1 / RFC 8446 Section 4.2.3: signature_algorithms (and signature_algorithms_cert). */
export declare function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array;
export declare function decodeSignatureAlgorithms(data: Uint8Array): number[];

/** RFC 7301 Section 3.1: application_layer_protocol_negotiation; protocol names as strings (latin1). */
export declare function encodeAlpn(protocols: readonly string[]): Uint8Array;
export declare function decodeAlpn(data: Uint8Array): string[];

/** RFC 5746 Section 3.2: renegotiation_info (renegotiated_connection). */
export declare function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array;
export declare function decodeRenegotiationInfo(data: Uint8Array): Uint8Array;

/** Extensions whose data must be empty: extended_master_secret (RFC 7627), encrypt_then_mac (RFC 7366), ... */
export declare function expectEmptyExtension(data: Uint8Array, name: string): void;

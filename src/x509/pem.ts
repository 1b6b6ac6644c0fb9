// PEM <-> DER (RFC 7468).

export interface PemBlock {
  readonly label: string; // "CERTIFICATE", "PRIVATE KEY", ...
  readonly der: Uint8Array;
}

/** Every PEM block in `text`, in order; text between blocks is ignored. Throws TlsError(decode_error) on bad base64. */
export declare function pemDecode(text: string): PemBlock[];
export declare function pemEncode(label: string, der: Uint8Array): string;

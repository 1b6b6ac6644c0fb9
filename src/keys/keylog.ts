// NSS key log lines, as Wireshark reads them.
// https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/

/** `LABEL <client_random hex> <secret hex>`, e.g. CLIENT_RANDOM for a TLS 1.2 master secret. */
export declare function keyLogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string;

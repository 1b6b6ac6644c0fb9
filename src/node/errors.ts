// The engine's errors as node:tls reports them.
//
// The engine names a failure by the alert it calls for (src/errors.ts). A program written for
// node:tls checks the `code` OpenSSL's reason gives it (`ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`,
// `ERR_SSL_WRONG_VERSION_NUMBER`, ...) with `library` and `reason` beside it; this is where the
// engine's errors get those names. Failures OpenSSL words differently from typetls keep the
// engine's `ERR_TLS_*` code.

import { TlsError } from '../errors.js';
import { BAD_RECORD_VERSION } from '../record/framer.js';
import { AlertDescription } from '../wire/enums.js';

/** OpenSSL's reason for a fatal alert received from the peer, by alert description. */
const alertReasons: Readonly<Record<number, string>> = {
  [AlertDescription.unexpected_message]: 'sslv3 alert unexpected message',
  [AlertDescription.bad_record_mac]: 'sslv3 alert bad record mac',
  21: 'tlsv1 alert decryption failed',
  [AlertDescription.record_overflow]: 'tlsv1 alert record overflow',
  30: 'sslv3 alert decompression failure',
  [AlertDescription.handshake_failure]: 'sslv3 alert handshake failure',
  41: 'sslv3 alert no certificate',
  [AlertDescription.bad_certificate]: 'sslv3 alert bad certificate',
  [AlertDescription.unsupported_certificate]: 'sslv3 alert unsupported certificate',
  [AlertDescription.certificate_revoked]: 'sslv3 alert certificate revoked',
  [AlertDescription.certificate_expired]: 'sslv3 alert certificate expired',
  [AlertDescription.certificate_unknown]: 'sslv3 alert certificate unknown',
  [AlertDescription.illegal_parameter]: 'sslv3 alert illegal parameter',
  [AlertDescription.unknown_ca]: 'tlsv1 alert unknown ca',
  [AlertDescription.access_denied]: 'tlsv1 alert access denied',
  [AlertDescription.decode_error]: 'tlsv1 alert decode error',
  [AlertDescription.decrypt_error]: 'tlsv1 alert decrypt error',
  60: 'tlsv1 alert export restriction',
  [AlertDescription.protocol_version]: 'tlsv1 alert protocol version',
  [AlertDescription.insufficient_security]: 'tlsv1 alert insufficient security',
  [AlertDescription.internal_error]: 'tlsv1 alert internal error',
  [AlertDescription.inappropriate_fallback]: 'tlsv1 alert inappropriate fallback',
  [AlertDescription.user_canceled]: 'tlsv1 alert user cancelled',
  [AlertDescription.no_renegotiation]: 'tlsv1 alert no renegotiation',
  [AlertDescription.missing_extension]: 'tlsv13 alert missing extension',
  [AlertDescription.unsupported_extension]: 'tlsv1 unsupported extension',
  111: 'tlsv1 certificate unobtainable',
  [AlertDescription.unrecognized_name]: 'tlsv1 unrecognized name',
  [AlertDescription.bad_certificate_status_response]: 'tlsv1 bad certificate status response',
  114: 'tlsv1 bad certificate hash value',
  [AlertDescription.unknown_psk_identity]: 'tlsv1 alert unknown psk identity',
  [AlertDescription.certificate_required]: 'tlsv13 alert certificate required',
  [AlertDescription.no_application_protocol]: 'tlsv1 alert no application protocol',
};

/** OpenSSL's reason numbers (SSL_R_*) for the local failures node programs test for. */
const localReasons: Readonly<Record<string, { reason: string; number: number }>> = {
  ERR_TLS_CERT_REQUIRED: { reason: 'peer did not return a certificate', number: 199 },
  // No version both sides allow (a ClientHello or ServerHello outside our range).
  ERR_TLS_PROTOCOL_VERSION: { reason: 'unsupported protocol', number: 258 },
  ERR_TLS_BAD_RECORD_VERSION: { reason: 'wrong version number', number: 267 },
  ERR_TLS_HTTP_REQUEST: { reason: 'http request', number: 156 },
  ERR_TLS_HTTPS_PROXY_REQUEST: { reason: 'https proxy request', number: 155 },
  ERR_TLS_RENEGOTIATE_WRONG_VERSION: { reason: 'wrong ssl version', number: 266 },
  ERR_TLS_NO_SHARED_SIGNATURE_ALGORITHMS: { reason: 'no shared signature algorithms', number: 376 },
  // A server that finds no cipher suite the client offers (SSL_R_NO_SHARED_CIPHER), in either version.
  ERR_TLS_NO_SHARED_CIPHER: { reason: 'no shared cipher', number: 193 },
  // A server with no ALPN protocol for the client's list, or whose ALPNCallback refused it (tls_handle_alpn).
  ERR_TLS_NO_APPLICATION_PROTOCOL: { reason: 'no application protocol', number: 235 },
};

/** OpenSSL's reason string as node makes a code of it: `ERR_SSL_` + upper case, words joined by '_'. */
function codeOf(reason: string): string {
  return `ERR_SSL_${reason.toUpperCase().replace(/ /g, '_')}`;
}

/** A reason as OpenSSL 3 prints it in the error string (library 0x0A is SSL routines). */
function opensslMessage(number: number, reason: string, detail?: string): string {
  const packed = (0x0a000000 + number).toString(16).toUpperCase().padStart(8, '0');
  return `error:${packed}:SSL routines::${reason}${detail ? `:${detail}` : ''}`;
}

export type NodeTlsError = TlsError & { library?: string; reason?: string };

/**
 * An SSL-routines error with node's shape: `code` ERR_SSL_<REASON>, `library`, `reason` and
 * OpenSSL's error string as the message, keeping the engine's `kind` (`engine` is the error it
 * came from, kept as the cause).
 */
export function sslError(kind: TlsError['kind'], number: number, reason: string, detail?: string, engine?: TlsError): NodeTlsError {
  const e = new TlsError(kind, opensslMessage(number, reason, detail), {
    code: codeOf(reason),
    ...(engine?.receivedAlert !== undefined ? { receivedAlert: engine.receivedAlert } : {}),
    ...(engine ? { cause: engine } : {}),
  }) as NodeTlsError;
  e.library = 'SSL routines';
  e.reason = reason;
  return e;
}

/** The engine's error as node:tls reports the same failure; errors node words as typetls does pass unchanged. */
export function toNodeError(error: TlsError | Error): Error {
  if (!(error instanceof TlsError)) return error;
  if (error.kind === 'peer_alert' && error.receivedAlert !== undefined) {
    const reason = alertReasons[error.receivedAlert];
    if (reason === undefined) return error;
    // OpenSSL's reason numbers for alerts are 1000 + the description (SSL_AD_REASON_OFFSET).
    return sslError(error.kind, 1000 + error.receivedAlert, reason, `SSL alert number ${error.receivedAlert}`, error);
  }
  if (error.kind === 'protocol_version' && error.message.startsWith(BAD_RECORD_VERSION)) {
    const wrong = localReasons.ERR_TLS_BAD_RECORD_VERSION!;
    return sslError(error.kind, wrong.number, wrong.reason, undefined, error);
  }
  const local = localReasons[error.code];
  // OpenSSL's error string, then typetls's own account of the failure.
  if (local) return sslError(error.kind, local.number, local.reason, error.message, error);
  return error;
}

/**
 * What OpenSSL says of a peer's first bytes that are no TLS record at all (ssl3_get_record):
 * an HTTP request, an HTTPS proxy request, or else a wrong version; it sends no alert for them,
 * as a peer that does not speak TLS would not understand one. undefined: they may be TLS.
 */
export function notTlsAtAll(first: Uint8Array): TlsError | undefined {
  if (first.length < 3) return undefined;
  // An SSL 2.0-format ClientHello (high bit of the first byte set) is the engine's to judge.
  if ((first[0]! & 0x80) !== 0 || first[1] === 3) return undefined;
  const text = new TextDecoder('latin1').decode(first.subarray(0, 5));
  const code = /^(GET |POST |HEAD |PUT )/.test(text)
    ? 'ERR_TLS_HTTP_REQUEST'
    : text.startsWith('CONNE')
      ? 'ERR_TLS_HTTPS_PROXY_REQUEST'
      : 'ERR_TLS_BAD_RECORD_VERSION';
  return new TlsError('closed', 'the peer does not speak TLS: its first record has no TLS version', { code });
}

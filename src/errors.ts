import { AlertDescription, alertDescriptionName } from './wire/enums.js';

/**
 * What went wrong, in the words of the alert it calls for, plus the failures
 * that send no alert of their own:
 * - `peer_alert`: the peer sent a fatal alert (we answer nothing);
 * - `closed`: the transport ended without close_notify, or a call came after close;
 * - `api_misuse`: the application called something it should not (no alert);
 * - `certificate`: a certificate check failed; the node-style `code` says which
 *   (CERT_HAS_EXPIRED, ...) and the alert depends on it.
 */
export type ErrorKind =
  | keyof typeof AlertDescription
  | 'peer_alert'
  | 'closed'
  | 'api_misuse'
  | 'certificate';

/**
 * The one error type of the engine. `code` is node-style: `ERR_TLS_<ALERT>` for
 * protocol failures (`ERR_TLS_DECODE_ERROR`), `ERR_TLS_ALERT_<ALERT>` for a fatal
 * alert received from the peer, and the OpenSSL/node names for certificate
 * failures (`CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`).
 * Messages state facts in plain words and never contain secret values.
 */
export class TlsError extends Error {
  readonly code: string;
  /** The alert description received from the peer, for `peer_alert`. */
  readonly receivedAlert: number | undefined;
  /** For certificate errors: the alert this failure sends. */
  readonly certificateAlert: number | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: { code?: string; receivedAlert?: number; certificateAlert?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsError';
    this.receivedAlert = options.receivedAlert;
    this.certificateAlert = options.certificateAlert;
    this.code = options.code ?? defaultCode(kind, options.receivedAlert);
  }
}

function defaultCode(kind: ErrorKind, received: number | undefined): string {
  switch (kind) {
    case 'peer_alert':
      return `ERR_TLS_ALERT_${alertDescriptionName(received ?? -1).toUpperCase()}`;
    case 'closed':
      return 'ECONNRESET';
    case 'api_misuse':
      return 'ERR_TLS_INVALID_STATE';
    case 'certificate':
      return 'ERR_TLS_CERT_INVALID';
    default:
      return `ERR_TLS_${kind.toUpperCase()}`;
  }
}

/** A fatal alert received from the peer, as the error the application sees. */
export function peerAlertError(description: number): TlsError {
  return new TlsError('peer_alert', `peer sent fatal alert ${alertDescriptionName(description)} (${description})`, {
    receivedAlert: description,
  });
}

/** A certificate failure with a node-style code and the alert it sends (RFC 5246 Section 7.2.2). */
export function certificateError(code: string, message: string, alert: number = AlertDescription.bad_certificate): TlsError {
  return new TlsError('certificate', message, { code, certificateAlert: alert });
}

/**
 * The one place that decides which alert an error sends (RFC 5246 Section 7.2,
 * RFC 8446 Section 6.2). `undefined` means no alert is sent.
 */
export function alertFor(error: TlsError): number | undefined {
  switch (error.kind) {
    case 'peer_alert':
    case 'closed':
    case 'api_misuse':
      return undefined;
    case 'certificate':
      return error.certificateAlert ?? AlertDescription.bad_certificate;
    default:
      return AlertDescription[error.kind];
  }
}

/** Turns anything thrown inside the engine into a TlsError; a bug becomes internal_error. */
export function asTlsError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new TlsError('internal_error', `internal error: ${detail}`, { cause: e });
}

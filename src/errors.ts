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

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: { code?: string; receivedAlert?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsError';
    this.receivedAlert = options.receivedAlert;
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

/** A certificate failure with a node-style code (CERT_HAS_EXPIRED, ...). */
export function certificateError(code: string, message: string): TlsError {
  return new TlsError('certificate', message, { code });
}

/** RFC 5246 Section 7.2.2 / RFC 8446 Section 6.2: which alert a certificate failure sends. */
const certificateAlerts: Record<string, number> = {
  CERT_HAS_EXPIRED: AlertDescription.certificate_expired,
  CERT_NOT_YET_VALID: AlertDescription.certificate_expired,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: AlertDescription.unknown_ca,
  UNABLE_TO_GET_ISSUER_CERT: AlertDescription.unknown_ca,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: AlertDescription.unknown_ca,
  SELF_SIGNED_CERT_IN_CHAIN: AlertDescription.unknown_ca,
  DEPTH_ZERO_SELF_SIGNED_CERT: AlertDescription.unknown_ca,
  INVALID_CA: AlertDescription.unknown_ca,
  PATH_LENGTH_EXCEEDED: AlertDescription.unknown_ca,
  CERT_SIGNATURE_FAILURE: AlertDescription.bad_certificate,
  INVALID_PURPOSE: AlertDescription.unsupported_certificate,
  UNHANDLED_CRITICAL_EXTENSION: AlertDescription.unsupported_certificate,
  ERR_TLS_CERT_ALTNAME_INVALID: AlertDescription.bad_certificate,
};

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
      return certificateAlerts[error.code] ?? AlertDescription.bad_certificate;
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

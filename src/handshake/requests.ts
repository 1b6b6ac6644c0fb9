// What the engine may ask its caller instead of deciding at once: the certificate for a
// ClientHello, a TLS 1.2 session by ID, a private-key operation of a key held elsewhere (an HSM,
// a KMS, another process), the OCSP response to staple, and the verdict on the peer's chain.
// BoringSSL's SSL_PRIVATE_KEY_METHOD with its retry is the model: the handshake stops in a
// waiting state, the connection reports a 'request' event, and the caller's answer
// (Connection.resolve / reject) lets the next process() go on where the handshake stopped.
// Nothing here waits on a Promise; the engine stays synchronous.

import type { CertifiedKey, NamedContext } from '../config.js';
import type { KeyShare, PrivateKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import type { TraceFields } from '../trace.js';
import { signatureSchemeName } from '../wire/enums.js';
import type { Certificate } from '../x509/certificate.js';
import type { LeafKeyUsage } from '../x509/verify.js';
import type { HandshakeContext, Input, State } from './common.js';

/**
 * Which decisions a config hands to the caller as requests. A private key held elsewhere needs no
 * entry here: a key with `external: true` always makes 'sign' and 'decrypt' requests.
 */
export interface AskFor {
  /** Server: the certificates for each ClientHello ('certificate'), in place of `certificatesFor`. */
  readonly certificate?: boolean;
  /** Server: a TLS 1.2 session by the client's session ID ('session'), in place of `sessionStore.get`. */
  readonly session?: boolean;
  /** Server: the OCSP response for the chosen certificate when the client asks for one ('ocsp'). */
  readonly ocsp?: boolean;
  /** Both: the verdict on the peer's certificate chain ('verify'), in place of the built-in path validation. */
  readonly verify?: boolean;
  /**
   * Client: the check of the server's handshake signature ('signature': TLS 1.3 CertificateVerify,
   * TLS 1.2 ServerKeyExchange), in place of the provider's verify(): for a caller whose crypto is
   * asynchronous (WebCrypto).
   */
  readonly signature?: boolean;
}

/** What the engine asks; `kind` names the answer resolve() takes (`AnswerTo`). */
export type Request =
  /** Server, after the ClientHello: the certificates (and roots for client certificates) for this client. */
  | {
      readonly kind: 'certificate';
      /** SNI (RFC 6066 Section 3), undefined when the client sent none. */
      readonly serverName: string | undefined;
      /** The client's signature_algorithms, undefined when it sent none. */
      readonly signatureSchemes: readonly number[] | undefined;
      /** The version the server is negotiating. */
      readonly version: number;
      /** The client's ALPN protocols (RFC 7301), undefined when it offered none. */
      readonly alpnProtocols: readonly string[] | undefined;
    }
  /** Server, TLS 1.2: the session the client's session ID names (RFC 5246 Section 7.4.1.2). */
  | { readonly kind: 'session'; readonly sessionId: Uint8Array }
  /** A signature by an external key over `data` with `scheme` (the signer hashes; Ed25519 signs `data` itself). */
  | { readonly kind: 'sign'; readonly key: PrivateKey; readonly scheme: number; readonly data: Uint8Array }
  /** Server, TLS 1.2 RSA key exchange: raw RSA decryption (c^d mod n) of the encrypted pre-master secret. */
  | { readonly kind: 'decrypt'; readonly key: PrivateKey; readonly ciphertext: Uint8Array }
  /** Server: the DER OCSP response to staple for `chain[0]` (RFC 6066 Section 8, RFC 8446 Section 4.4.2.1). */
  | { readonly kind: 'ocsp'; readonly chain: readonly Certificate[] }
  /** Client, TLS 1.3: the shared secret of our `external` key share with the server's (RFC 8446 Section 7.4). */
  | { readonly kind: 'agree'; readonly share: KeyShare; readonly peerPublicKey: Uint8Array }
  /** Client (config.ask.signature): does `signature` over `data` verify under the key of `spki` with `scheme`? */
  | { readonly kind: 'signature'; readonly spki: Uint8Array; readonly scheme: number; readonly data: Uint8Array; readonly signature: Uint8Array }
  /** Both: is the peer's chain (leaf first, as sent) trusted for `purpose`, its leaf's key fit for `keyUsage`, for `serverName`? */
  | {
      readonly kind: 'verify';
      readonly chain: readonly Certificate[];
      readonly purpose: 'serverAuth' | 'clientAuth';
      readonly keyUsage: LeafKeyUsage;
      readonly serverName: string | undefined;
    };

/** A refusal of the peer's chain: a node-style code (CERT_HAS_EXPIRED, ...) and a message. */
export interface CertificateVerdict {
  readonly code: string;
  readonly message: string;
}

/** The answer each kind of request takes. */
export interface Answers {
  /** undefined keeps the config's certificates. */
  certificate: readonly CertifiedKey[] | NamedContext | undefined;
  /** The stored server session state (as SessionStore keeps it), undefined for none: a full handshake. */
  session: Uint8Array | undefined;
  /** The signature, as it goes on the wire (DER for ECDSA). */
  sign: Uint8Array;
  /**
   * The k-byte result of c^d mod n, padding left in: the engine checks it in constant time and goes
   * on with random bytes when it is wrong (RSA implicit rejection). null when the ciphertext is no
   * number below the modulus.
   */
  decrypt: Uint8Array | null;
  /** undefined staples nothing. */
  ocsp: Uint8Array | undefined;
  /** undefined: trusted. A verdict: refused (fatal under rejectUnauthorized, else authorizationError). */
  verify: CertificateVerdict | undefined;
  /**
   * The shared secret, as the provider's agree() gives it (the x-coordinate for ECDH, RFC 8446 Section
   * 7.4.2). A bad server share is an error answer: a TlsError with illegal_parameter.
   */
  agree: Uint8Array;
  /** Whether the signature verifies. */
  signature: boolean;
}

export type AnswerTo<R extends Request> = Answers[R['kind']];

/**
 * The handshake stopped at `request`. The engine reads no record until the answer comes; then
 * `resume` (or `recover`, for an error answer) continues exactly where the step stopped. Without
 * `recover` an error answer fails the handshake: a TlsError with its own alert, anything else
 * with internal_error (as BoringSSL answers a failed private-key operation).
 */
export class AwaitAnswer implements State {
  readonly name: string;
  constructor(
    readonly request: Request,
    private readonly held: TraceFields,
    readonly resume: (cx: HandshakeContext, answer: unknown) => State,
    readonly recover?: (cx: HandshakeContext, error: unknown) => State,
  ) {
    this.name = `Await(${request.kind})`;
  }

  holds(): TraceFields {
    return this.held;
  }

  handle(_cx: HandshakeContext, _input: Input): State {
    // The engine reads no record while a state waits.
    throw new TlsError('internal_error', 'handshake input while waiting for an answer');
  }
}

/** Plain words for the trace: what the handshake waits for. */
export function waitingFor(request: Request): string {
  switch (request.kind) {
    case 'certificate':
      return `waiting for the certificate selection${request.serverName !== undefined ? ` for ${request.serverName}` : ''}`;
    case 'session':
      return 'waiting for the session lookup';
    case 'sign':
      return `waiting for the private key operation (sign with ${signatureSchemeName(request.scheme)})`;
    case 'decrypt':
      return 'waiting for the private key operation (RSA decryption of the pre-master secret)';
    case 'ocsp':
      return 'waiting for the OCSP response';
    case 'verify':
      return 'waiting for the peer certificate verification';
    case 'agree':
      return 'waiting for the key agreement';
    case 'signature':
      return `waiting for the signature check (${signatureSchemeName(request.scheme)})`;
    default: {
      const never: never = request;
      return never;
    }
  }
}

/**
 * A signature by `key` over `data`, then `then`: at once with a key the provider holds, or through a
 * 'sign' request with an external one. Call sites on the synchronous path call the provider
 * themselves and use this only when `key.external` (so that no closure is made for them).
 */
export function awaitSignature(
  key: PrivateKey, scheme: number, data: Uint8Array, held: TraceFields, then: (cx: HandshakeContext, signature: Uint8Array) => State,
): State {
  return new AwaitAnswer({ kind: 'sign', key, scheme, data }, held, (cx, answer) => {
    if (!(answer instanceof Uint8Array) || answer.length === 0) {
      throw new TlsError('internal_error', 'the private key operation returned no signature');
    }
    return then(cx, answer);
  });
}

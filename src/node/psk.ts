// node:tls pskCallback and pskIdentityHint → the engine's pskForHint / pskForIdentity, with
// node's argument checks, limits and error codes.
//
// node calls the client's pskCallback(hint) (`this` the socket) for a TLS 1.3 ClientHello
// (hint null) and for a TLS 1.2 PSK suite (the server's hint, or null), and expects
// { psk, identity } or null; the server's pskCallback(socket, identity) returns the key (or
// { psk }) or null. An exception or a bad return value destroys the socket with that error,
// without an alert.

import type { ExternalPsk, ServerConfig } from '../config.js';
import { TlsError } from '../errors.js';
import { invalidArgType, invalidArgValue, nodeError, validateBinary, validateFunction, validateObject, validateString } from './validate.js';

/** OpenSSL 3.0's PSK_MAX_PSK_LEN and PSK_MAX_IDENTITY_LEN, the limits node:tls enforces. */
export const PSK_MAX_PSK_LEN = 512;
export const PSK_MAX_IDENTITY_LEN = 256;

export type ClientPskCallback = (this: unknown, hint: string | null) => { psk: ArrayBufferView; identity: string } | null | undefined;
export type ServerPskCallback = (this: unknown, socket: unknown, identity: string) => ArrayBufferView | { psk: ArrayBufferView } | null | undefined;

/** Errors the application's callback threw (or a bad value it returned): the socket fails with them. */
const callbackFailures = new WeakMap<TlsError, Error>();

/**
 * The application's own error behind an engine failure, when its pskCallback caused it: node
 * destroys the socket with that error.
 */
export function pskCallbackError(error: unknown): Error | undefined {
  return error instanceof TlsError ? callbackFailures.get(error) : undefined;
}

/** Wraps an error of the callback as the engine's api_misuse failure (no alert is sent, as in node). */
function callbackFailure(err: unknown): TlsError {
  const cause = err instanceof Error ? err : new Error(String(err));
  const failure = new TlsError('api_misuse', `pskCallback failed: ${cause.message}`, { cause });
  callbackFailures.set(failure, cause);
  return failure;
}

const toBytes = (v: ArrayBufferView): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();

/** createServer() / new tls.Server(): node checks these when the server is made. */
export function validateServerPskOptions(options: { pskCallback?: unknown; pskIdentityHint?: unknown }): void {
  if (options.pskCallback) validateFunction(options.pskCallback, 'options.pskCallback');
  if (options.pskIdentityHint) validateString(options.pskIdentityHint, 'options.pskIdentityHint');
}

/** A socket's pskCallback, checked as node checks it when the socket is made. */
export function validateSocketPskCallback(callback: unknown): void {
  if (callback) validateFunction(callback, 'pskCallback');
}

/** The client's pskCallback as the engine's pskForHint, called with `socket` as `this`. */
export function clientPskForHint(callback: ClientPskCallback, socket: unknown): (hint: Uint8Array | undefined) => ExternalPsk | undefined {
  return (hint) => {
    try {
      const ret = callback.call(socket, hint === undefined ? null : new TextDecoder().decode(hint));
      if (ret == null) return undefined;
      validateObject(ret, 'ret');
      validateBinary(ret.psk, 'psk');
      if (ret.psk.byteLength > PSK_MAX_PSK_LEN) throw invalidArgValue('psk', ret.psk, `Pre-shared key exceeds ${PSK_MAX_PSK_LEN} bytes`);
      validateString(ret.identity, 'identity');
      const identity = new TextEncoder().encode(ret.identity);
      if (identity.length > PSK_MAX_IDENTITY_LEN) throw invalidArgValue('identity', ret.identity, `PSK identity exceeds ${PSK_MAX_IDENTITY_LEN} bytes`);
      return { identity, key: toBytes(ret.psk) };
    } catch (err) {
      throw callbackFailure(err);
    }
  };
}

/** The server's pskCallback as the engine's pskForIdentity, called as callback.call(socket, socket, identity). */
export function serverPskForIdentity(callback: ServerPskCallback, socket: unknown): NonNullable<ServerConfig['pskForIdentity']> {
  return (identityBytes) => {
    // OpenSSL asks only for identities it can hold (TLS 1.3 skips a longer one, TLS 1.2 fails it).
    if (identityBytes.length > PSK_MAX_IDENTITY_LEN) return undefined;
    try {
      const ret = callback.call(socket, socket, new TextDecoder().decode(identityBytes));
      if (ret == null) return undefined;
      let psk: ArrayBufferView;
      if (ArrayBuffer.isView(ret)) {
        psk = ret;
      } else {
        if (typeof ret !== 'object') throw invalidArgType('ret', ['Object', 'Buffer', 'TypedArray', 'DataView'], ret);
        psk = ret.psk;
        validateBinary(psk, 'psk');
      }
      if (psk.byteLength > PSK_MAX_PSK_LEN) throw invalidArgValue('psk', psk, `Pre-shared key exceeds ${PSK_MAX_PSK_LEN} bytes`);
      return { key: toBytes(psk) };
    } catch (err) {
      throw callbackFailure(err);
    }
  };
}

/** pskIdentityHint as bytes; node fails each connection (not the server) when it is too long for OpenSSL. */
export function identityHintBytes(hint: string | undefined): Uint8Array | undefined {
  if (!hint) return undefined;
  const bytes = new TextEncoder().encode(hint);
  if (bytes.length > PSK_MAX_IDENTITY_LEN) throw nodeError('ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED', 'Failed to set PSK identity hint');
  return bytes;
}

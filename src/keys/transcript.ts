// The handshake transcript: the running hash of every handshake message.
// RFC 5246 Section 7.4.9 (handshake_messages), RFC 8446 Section 4.4.1 (Transcript-Hash).

import type { CryptoProvider, HashAlgorithm, HashContext } from '../crypto/provider.js';
import { hashLength } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { HandshakeType } from '../wire/enums.js';

/**
 * Buffers messages until the hash is known (it depends on the cipher suite),
 * then hashes as it goes. `keepMessages` keeps the raw messages too, for a TLS 1.2
 * CertificateVerify, which signs the messages themselves.
 */
export class Transcript {
  /** Messages added before the hash was fixed. */
  private pending: Uint8Array[] = [];
  private context: HashContext | undefined;
  private hashAlgorithm: HashAlgorithm | undefined;
  /** The raw messages, when kept. */
  private kept: Uint8Array[] | undefined;

  constructor(private readonly provider: CryptoProvider) {}

  /** Set by close(): the handshake is over and nothing more is hashed or kept. */
  private closed = false;

  /** Adds one handshake message (4-byte header + body). The transcript keeps a reference until the hash is fixed. */
  add(message: Uint8Array): void {
    if (this.closed) return;
    if (this.context !== undefined) this.context.update(message);
    else this.pending.push(message);
    this.kept?.push(message);
  }

  /** Fixes the hash; the buffered messages are hashed now. */
  startHash(algorithm: HashAlgorithm): void {
    if (this.hashAlgorithm !== undefined) {
      throw new TlsError('internal_error', `transcript hash is already fixed to ${this.hashAlgorithm}`);
    }
    const context = this.provider.createHash(algorithm);
    for (const message of this.pending) context.update(message);
    this.pending = [];
    this.context = context;
    this.hashAlgorithm = algorithm;
  }

  get algorithm(): HashAlgorithm | undefined {
    return this.hashAlgorithm;
  }

  /** The hash of every message so far. Throws if the hash is not fixed yet. */
  hash(): Uint8Array {
    if (this.context === undefined) throw new TlsError('internal_error', 'transcript hash asked for before the hash was fixed');
    return this.context.digest();
  }

  /**
   * The hash of every message so far followed by `extra`, without adding it: the
   * PSK binder covers a ClientHello cut short before its binders (RFC 8446 Section 4.2.11.2).
   */
  hashWith(algorithm: HashAlgorithm, extra: Uint8Array): Uint8Array {
    if (this.context === undefined) {
      // A first ClientHello's binders: nothing is in the transcript yet.
      if (this.pending.length === 0) return this.provider.hash(algorithm, extra);
      const context = this.provider.createHash(algorithm);
      for (const message of this.pending) context.update(message);
      context.update(extra);
      return context.digest();
    }
    if (algorithm !== this.hashAlgorithm) throw new TlsError('internal_error', `transcript hash is ${this.hashAlgorithm}, not ${algorithm}`);
    const context = this.context.clone();
    context.update(extra);
    return context.digest();
  }

  /** Keep the raw messages from now on (must be called before startHash to keep the earlier ones). */
  keepMessages(): void {
    if (this.kept !== undefined) return;
    this.kept = [...this.pending];
  }

  /** The concatenated messages so far, when kept. */
  messages(): Uint8Array {
    if (this.kept === undefined) throw new TlsError('internal_error', 'transcript messages asked for but not kept');
    let length = 0;
    for (const m of this.kept) length += m.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const m of this.kept) {
      out.set(m, at);
      at += m.length;
    }
    return out;
  }

  /**
   * Ends the transcript once the handshake is done: typetls neither renegotiates nor does TLS 1.3
   * post-handshake authentication, so no later message is hashed; the running hash and any kept
   * messages are let go (a connection then holds none of its handshake's messages). hash() and
   * messages() throw afterwards.
   */
  close(): void {
    this.closed = true;
    this.context = undefined;
    this.pending = [];
    this.kept = undefined;
  }

  /**
   * TLS 1.3 HelloRetryRequest: replace ClientHello1 by message_hash (RFC 8446 Section 4.4.1).
   * Call it once the hash is fixed, when ClientHello1 is the only message added,
   * and before adding the HelloRetryRequest:
   *   Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
   *     Hash(message_hash || 00 00 Hash.length || Hash(ClientHello1) || HelloRetryRequest || ... || Mn)
   */
  rollupForHelloRetry(): void {
    if (this.context === undefined || this.hashAlgorithm === undefined) {
      throw new TlsError('internal_error', 'transcript rollup asked for before the hash was fixed');
    }
    const clientHello1Hash = this.context.digest();
    const messageHash = new Uint8Array(4 + clientHello1Hash.length);
    messageHash[0] = HandshakeType.message_hash;
    messageHash[3] = hashLength[this.hashAlgorithm];
    messageHash.set(clientHello1Hash, 4);
    const context = this.provider.createHash(this.hashAlgorithm);
    context.update(messageHash);
    this.context = context;
    if (this.kept !== undefined) this.kept = [messageHash];
  }
}

/**
 * The crypto provider: every primitive the engine uses, behind one small,
 * synchronous interface. Randomness comes only from `random()`, so tests can
 * inject a deterministic provider. The first implementation is `./node.ts`.
 */

import { SignatureScheme } from '../wire/enums.js';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const hashLength: Record<HashAlgorithm, number> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** A running hash that can be read at any point without ending it (the transcript needs this). */
export interface HashContext {
  update(data: Uint8Array): void;
  /** The digest of everything so far; the context stays usable. */
  digest(): Uint8Array;
  /** An independent copy of the running state. */
  clone(): HashContext;
}

export type AeadAlgorithm = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305' | 'AES-128-CCM' | 'AES-128-CCM-8';

/** The tag length of each AEAD: 16 bytes, 8 for AES-128-CCM-8 (RFC 6655). */
export const aeadTagLength: Record<AeadAlgorithm, number> = {
  'AES-128-GCM': 16,
  'AES-256-GCM': 16,
  'CHACHA20-POLY1305': 16,
  'AES-128-CCM': 16,
  'AES-128-CCM-8': 8,
};

/** An AEAD bound to one key. Tags (`aeadTagLength`) are appended to the ciphertext. */
export interface Aead {
  readonly algorithm: AeadAlgorithm;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * The plaintext, or null when the tag does not verify. With `inPlace` the caller gives the
   * ciphertext's memory away: the plaintext may be written over it and returned as a view of it
   * (a provider may also ignore the hint and return a new array).
   */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, inPlace?: boolean): Uint8Array | null;
}

/**
 * What an Aead may add (the node provider's native one does): whole TLS records sealed or opened
 * in one call, the nonce (the IV XOR the sequence number, or TLS 1.2 AES-GCM's salt and explicit
 * nonce), the additional data and the header worked out per record by the provider. `mode`: 0 TLS
 * 1.3 (RFC 8446 Section 5.2; sealed without padding), 1 TLS 1.2 AES-GCM (RFC 5288; `iv` is the
 * 4-byte salt, the explicit nonce the sequence number), 2 TLS 1.2 ChaCha20-Poly1305 (RFC 7905).
 */
export interface AeadRecords {
  /**
   * Cuts `plaintext` into records of at most `maxFragment` bytes, the first with sequence number
   * `seq`, and writes each, header included, at out[offset..]; returns how many.
   */
  sealRecords(
    iv: Uint8Array, seq: number, mode: number, contentType: number, version: number,
    plaintext: Uint8Array, maxFragment: number, out: Uint8Array, offset: number,
  ): number;
  /**
   * Opens in place the whole application_data records of buffer[start..end), the first with
   * sequence number `seq`; for each writes into `results` four numbers: the plaintext's offset and
   * length, its content type (TLS 1.3: the inner type, 0 when the record has none; -1 when the tag
   * did not verify, the record's bytes then cleared) and the record's end. Returns how many. Stops
   * before a record it leaves to the caller (not whole, another outer type, a version other than
   * `version` when that is not -1, a body over `maxBody` or too short), after one whose content type
   * is not application_data or whose tag failed, and when `results` is full.
   */
  openRecords(
    iv: Uint8Array, seq: number, mode: number, version: number,
    buffer: Uint8Array, start: number, end: number, maxBody: number, results: Int32Array,
  ): number;
  /**
   * Opens in place the one record that begins at first[start..] and ends in `second` (two reads),
   * without joining its pieces; `results` gets five numbers: the plaintext's offset in `first`
   * and its length there, the content type (as openRecords), the record's end in `second` and the
   * plaintext's length at the start of `second`. Returns 1, or 0 when it leaves the record to the
   * caller (its header, or TLS 1.2 AES-GCM's explicit nonce, not all in `first`, or a record
   * openRecords would not take).
   */
  openSplitRecord(
    iv: Uint8Array, seq: number, mode: number, version: number,
    first: Uint8Array, start: number, second: Uint8Array, maxBody: number, results: Int32Array,
  ): number;
}

export type CbcAlgorithm = 'AES-128-CBC' | 'AES-256-CBC';

/** Raw CBC (no padding added or removed: the record layer does TLS padding itself). */
export interface CbcCipher {
  readonly algorithm: CbcAlgorithm;
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
}

/** One side's ephemeral key share for a named group (ECDHE, or a KEM in TLS 1.3). */
export interface KeyShare {
  readonly group: number;
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's share; throws TlsError(illegal_parameter) on a bad peer value. */
  agree(peerPublicKey: Uint8Array): Uint8Array;
  /**
   * Held outside the provider (a WebCrypto key pair, ClientOptions.keyShares): the engine never calls
   * agree() but asks its caller for the shared secret ('agree' request, src/handshake/requests.ts).
   */
  readonly external?: boolean;
}

export type KeyAlgorithm = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519';

/** A private key loaded by the provider; `handle` is the provider's own object. */
export interface PrivateKey {
  readonly algorithm: KeyAlgorithm;
  /** For EC keys: the named group of its curve (secp256r1, secp384r1). */
  readonly namedCurve?: number;
  /** Modulus size for RSA, field size for EC. */
  readonly bits: number;
  /** The DER SubjectPublicKeyInfo of the matching public key. */
  readonly spki: Uint8Array;
  readonly handle: unknown;
  /**
   * Held outside the provider (an HSM, a KMS, a signer in another process): the engine never hands
   * it to the provider but asks its caller for each operation ('sign' and 'decrypt' requests,
   * src/handshake/requests.ts). `handle` is then the caller's own object.
   */
  readonly external?: boolean;
  /** The only signature schemes the key makes, when it is bound to some (a WebCrypto key is bound to its algorithm and hash). */
  readonly schemes?: readonly number[];
}

/** A public key taken from a SubjectPublicKeyInfo. */
export interface PublicKey {
  readonly algorithm: KeyAlgorithm;
  readonly namedCurve?: number;
  readonly bits: number;
  readonly handle: unknown;
}

export interface CryptoProvider {
  readonly name: string;
  random(length: number): Uint8Array;

  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  createHash(algorithm: HashAlgorithm): HashContext;
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Optional, for SHA-256, SHA-384 and SHA-512: a run of TLS 1.3 key schedule steps in one call
   * (keys/tls13.ts, KeySchedule, builds the program and runs it HMAC by HMAC where this is absent).
   * The program is a sequence of `u8 op, u8 key, u16 n, n bytes`; `key` 0xff is `secret`, else the
   * index of an earlier step, whose output keys the HMAC. Op 0: HMAC(key, bytes || 0x01) cut to the
   * u16 length that `bytes` (an HkdfLabel) starts with, at most Hash.length; op 1: HMAC(key, bytes).
   * The outputs follow one another in `out`, which they fill exactly.
   */
  keySchedule?(algorithm: HashAlgorithm, secret: Uint8Array, program: Uint8Array, out: Uint8Array): void;
  /** Optional, for SHA-256, SHA-384 and SHA-512: the TLS 1.2 P_hash (RFC 5246 Section 5) filling `out`, in one call. */
  pHash?(algorithm: HashAlgorithm, secret: Uint8Array, seed: Uint8Array, out: Uint8Array): void;

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  cbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher;

  /** The named groups this provider can do, in no particular order. */
  supportedGroups(): readonly number[];
  /** The client side: a fresh share to send. */
  generateKeyShare(group: number): KeyShare;
  /**
   * The server side: answers a client's share. For (EC)DH this is a fresh share
   * and the agreement; for a KEM (X25519MLKEM768) the ciphertext is the
   * server's share. Throws TlsError(illegal_parameter) on a bad client share.
   */
  acceptKeyShare(group: number, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array };
  /**
   * A finite-field Diffie-Hellman share over prime `p` with generator `g` (TLS 1.2 DHE).
   * The caller checks the peer's value is in range; `agree` gives Z with its leading zeros.
   */
  generateDhKeyShare(p: Uint8Array, g: Uint8Array): KeyShare;

  /** PEM (any of PKCS#1, SEC1, PKCS#8) or DER PKCS#8. Throws on a key it cannot load. */
  loadPrivateKey(key: string | Uint8Array): PrivateKey;
  /** Throws TlsError(bad_certificate) on a key it cannot load. */
  loadPublicKey(spki: Uint8Array): PublicKey;

  /** Signs with a SignatureScheme (RSA PKCS#1, RSA-PSS, ECDSA with DER signatures, Ed25519). */
  sign(key: PrivateKey, scheme: number, data: Uint8Array): Uint8Array;
  /** False on a bad signature or a scheme that does not fit the key; never throws for bad input. */
  verify(key: PublicKey, scheme: number, data: Uint8Array, signature: Uint8Array): boolean;

  /** RSAES-PKCS1-v1_5 encryption (the client's pre-master secret, RFC 5246 Section 7.4.7.1). */
  rsaEncryptPkcs1(key: PublicKey, data: Uint8Array): Uint8Array;
  /**
   * Raw RSA decryption (c^d mod n) as k bytes; the caller removes the padding in
   * constant time. Null when the ciphertext is not a number below the modulus.
   */
  rsaDecryptRaw(key: PrivateKey, ciphertext: Uint8Array): Uint8Array | null;
}

/**
 * RSA PKCS#1 v1.5 over MD5 followed by SHA-1, without a DigestInfo: the RSA
 * signature of TLS 1.0 and 1.1 (RFC 2246 Section 7.4.3). Not a wire code point
 * (it is above 0xffff on purpose); those versions name no algorithm.
 */
export const RSA_PKCS1_MD5_SHA1 = 0x1_0001;

/** How a signature scheme signs: the kind of signature and what it hashes with. */
export interface SchemeInfo {
  /** The digest; 'MD5-SHA1' for TLS 1.0/1.1 RSA, null for Ed25519, which hashes by itself. */
  hash: HashAlgorithm | 'MD5-SHA1' | null;
  kind: 'pkcs1' | 'pss' | 'ecdsa' | 'eddsa';
}

/** Every signature scheme a provider signs and verifies, one table for all providers. */
export const schemeInfo: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [RSA_PKCS1_MD5_SHA1, { hash: 'MD5-SHA1', kind: 'pkcs1' }],
  [SignatureScheme.rsa_pkcs1_sha1, { hash: 'sha1', kind: 'pkcs1' }],
  [SignatureScheme.rsa_pkcs1_sha256, { hash: 'sha256', kind: 'pkcs1' }],
  [SignatureScheme.rsa_pkcs1_sha384, { hash: 'sha384', kind: 'pkcs1' }],
  [SignatureScheme.rsa_pkcs1_sha512, { hash: 'sha512', kind: 'pkcs1' }],
  [SignatureScheme.ecdsa_sha1, { hash: 'sha1', kind: 'ecdsa' }],
  [SignatureScheme.ecdsa_secp256r1_sha256, { hash: 'sha256', kind: 'ecdsa' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { hash: 'sha384', kind: 'ecdsa' }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { hash: 'sha512', kind: 'ecdsa' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { hash: 'sha256', kind: 'pss' }],
  [SignatureScheme.rsa_pss_rsae_sha384, { hash: 'sha384', kind: 'pss' }],
  [SignatureScheme.rsa_pss_rsae_sha512, { hash: 'sha512', kind: 'pss' }],
  [SignatureScheme.rsa_pss_pss_sha256, { hash: 'sha256', kind: 'pss' }],
  [SignatureScheme.rsa_pss_pss_sha384, { hash: 'sha384', kind: 'pss' }],
  [SignatureScheme.rsa_pss_pss_sha512, { hash: 'sha512', kind: 'pss' }],
  [SignatureScheme.ed25519, { hash: null, kind: 'eddsa' }],
]);

/** Compares two byte strings without an early exit (MACs, Finished, binders). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrites a buffer that held a secret. */
export function zeroize(b: Uint8Array | undefined): void {
  if (b) b.fill(0);
}

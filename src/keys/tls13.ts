// The TLS 1.3 key schedule helpers. RFC 8446 Section 7.1 (HKDF-Expand-Label,
// Derive-Secret, the schedule), 7.2 (KeyUpdate), 7.3 (traffic keys), 4.4.4
// (Finished), 4.6.1 (resumption PSK), 7.5 (exporters); RFC 5869 (HKDF).

import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { hashLength } from '../crypto/provider.js';
import { Writer } from '../wire/writer.js';

/** Hash.length zero bytes: the salt or IKM "0" of RFC 8446 Section 7.1. */
export function zeroSecret(hash: HashAlgorithm): Uint8Array {
  return new Uint8Array(hashLength[hash]);
}

/** RFC 5869 Section 2.2: PRK = HMAC-Hash(salt, IKM); an empty salt means Hash.length zeros. */
export function hkdfExtract(provider: CryptoProvider, hash: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return provider.hmac(hash, salt.length === 0 ? zeroSecret(hash) : salt, ikm);
}

/** RFC 5869 Section 2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), cut to `length` (at most 255 * Hash.length). */
export function hkdfExpand(provider: CryptoProvider, hash: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const size = hashLength[hash];
  if (length > 255 * size) throw new RangeError(`HKDF-Expand cannot give ${length} bytes with ${hash}`);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    const input = new Uint8Array(previous.length + info.length + 1);
    input.set(previous, 0);
    input.set(info, previous.length);
    input[input.length - 1] = i;
    previous = provider.hmac(hash, prk, input);
    const count = Math.min(size, length - filled);
    out.set(previous.subarray(0, count), filled);
    filled += count;
  }
  return out;
}

/** The ASCII bytes of a label (RFC 8446 labels are ASCII). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`label is not ASCII: ${text}`);
    out[i] = c;
  }
  return out;
}

/**
 * RFC 8446 Section 7.1:
 *   HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } HkdfLabel;
 */
export function hkdfExpandLabel(
  provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, context: Uint8Array, length: number,
): Uint8Array {
  const fullLabel = labelBytes(label);
  if (context.length > 255) throw new RangeError(`HKDF-Expand-Label context of ${context.length} bytes does not fit its length prefix`);
  if (length > hashLength[hash]) {
    const info = new Writer(64).u16(length).vector(1, fullLabel).vector(1, context).finish();
    return hkdfExpand(provider, hash, secret, info, length);
  }
  // Every label of the handshake asks for at most Hash.length bytes: one block of HKDF-Expand,
  // T(1) = HMAC(secret, HkdfLabel || 0x01), built in one array.
  const input = new Uint8Array(2 + 1 + fullLabel.length + 1 + context.length + 1);
  input[0] = length >>> 8;
  input[1] = length & 0xff;
  input[2] = fullLabel.length;
  input.set(fullLabel, 3);
  input[3 + fullLabel.length] = context.length;
  input.set(context, 4 + fullLabel.length);
  input[input.length - 1] = 1;
  const block = provider.hmac(hash, secret, input);
  return length === block.length ? block : block.slice(0, length);
}

/** "tls13 " + label as bytes, made once per label (the handshake uses a dozen, again and again). */
const labels = new Map<string, Uint8Array>();
function labelBytes(label: string): Uint8Array {
  let bytes = labels.get(label);
  if (bytes === undefined) {
    bytes = ascii(`tls13 ${label}`);
    if (bytes.length > 255) throw new RangeError(`HKDF-Expand-Label label is longer than 255 bytes: ${label}`);
    // Exporter labels come from applications: keep the table small.
    if (labels.size < 64) labels.set(label, bytes);
  }
  return bytes;
}

/**
 * RFC 8446 Section 7.1: Derive-Secret(Secret, Label, Messages) =
 * HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length).
 * Takes the transcript hash itself (Transcript.hash(), or emptyHash for "derived").
 */
export function deriveSecret(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, hashLength[hash]);
}

/** Transcript-Hash of no messages: Hash(""), the context of "derived" and of external PSK binders' "ext binder"/"res binder". */
export function emptyHash(provider: CryptoProvider, hash: HashAlgorithm): Uint8Array {
  // A constant of the hash: computed once per provider (callers only read it).
  let known = emptyHashes.get(provider);
  if (known === undefined) emptyHashes.set(provider, (known = {}));
  return (known[hash] ??= provider.hash(hash, new Uint8Array(0)));
}
const emptyHashes = new WeakMap<CryptoProvider, Partial<Record<HashAlgorithm, Uint8Array>>>();

/** Where a schedule step takes its HMAC key from: the secret the steps are run with. */
export const SCHEDULE_INPUT = 0xff;

/** The most steps one schedule holds (the native call's limit too). */
const SCHEDULE_MAX_STEPS = 32;

/**
 * The program's bytes, shared: a schedule is built and run within one synchronous step of the
 * handshake, and the one begun last owns it (a schedule built while another is, and then run, throws).
 */
let scratch = new Uint8Array(1024);
let scratchUsed = 0;
let scratchOwner = 0;

/** The empty HKDF-Expand-Label context. */
const NO_CONTEXT = new Uint8Array(0);

/**
 * Steps of the TLS 1.3 key schedule, each an HMAC keyed by the secret they are run with
 * (SCHEDULE_INPUT) or by an earlier step's output, run in one provider call when the provider has
 * keySchedule() (the Node provider's addon), else HMAC by HMAC here: so that a stage of RFC 8446
 * Section 7.1 (Derive-Secret "derived", HKDF-Extract, the two traffic secrets, their write keys and
 * IVs, the finished keys) is one call, with its outputs in one buffer. The program's encoding is
 * the one CryptoProvider.keySchedule documents:
 *   u8 op (0 HKDF-Expand-Label's one block, 1 HMAC), u8 key, u16 n, n bytes (the HkdfLabel, or the data).
 */
export class KeySchedule {
  private readonly lengths: number[] = [];
  private readonly owner: number;
  private at = 0;
  private total = 0;

  constructor(readonly hash: HashAlgorithm) {
    // A schedule left unrun (a step threw) may have left secrets in the program: cleared here.
    scratch.fill(0, 0, scratchUsed);
    scratchUsed = 0;
    this.owner = ++scratchOwner;
  }

  private step(op: number, key: number, n: number): number {
    const index = this.lengths.length;
    if (this.owner !== scratchOwner) throw new RangeError('another key schedule was begun before this one was run');
    if (index === SCHEDULE_MAX_STEPS) throw new RangeError('too many key schedule steps');
    if (key !== SCHEDULE_INPUT && key >= index) throw new RangeError('a key schedule step is keyed by a later one');
    if (n > 0xffff) throw new RangeError('a key schedule step takes at most 65535 bytes');
    if (this.at + 4 + n > scratch.length) {
      // An FFDHE-8192 shared secret is 1,024 bytes: the program grows to fit.
      const bigger = new Uint8Array(Math.max(2 * scratch.length, this.at + 4 + n));
      bigger.set(scratch.subarray(0, this.at));
      scratch.fill(0, 0, this.at);
      scratch = bigger;
    }
    scratch[this.at] = op;
    scratch[this.at + 1] = key;
    scratch[this.at + 2] = n >>> 8;
    scratch[this.at + 3] = n & 0xff;
    this.at += 4;
    scratchUsed = this.at + n;
    return index;
  }

  /** HKDF-Expand-Label(key, label, context, length) for length up to Hash.length (one block). Returns the step. */
  expandLabel(key: number, label: string, context: Uint8Array, length: number): number {
    const fullLabel = labelBytes(label);
    if (context.length > 255) throw new RangeError(`HKDF-Expand-Label context of ${context.length} bytes does not fit its length prefix`);
    if (length > hashLength[this.hash]) throw new RangeError('a key schedule step gives at most Hash.length bytes');
    const index = this.step(0, key, 2 + 1 + fullLabel.length + 1 + context.length);
    const p = scratch;
    let at = this.at;
    p[at++] = length >>> 8;
    p[at++] = length & 0xff;
    p[at++] = fullLabel.length;
    p.set(fullLabel, at);
    at += fullLabel.length;
    p[at++] = context.length;
    p.set(context, at);
    this.at = at + context.length;
    this.lengths.push(length);
    this.total += length;
    return index;
  }

  /** HMAC(key, data): HKDF-Extract with the key as its salt, or a Finished verify_data. Returns the step. */
  hmac(key: number, data: Uint8Array): number {
    const index = this.step(1, key, data.length);
    scratch.set(data, this.at);
    this.at += data.length;
    const length = hashLength[this.hash];
    this.lengths.push(length);
    this.total += length;
    return index;
  }

  /** RFC 8446 Section 7.3, as trafficKeys() below: a traffic secret's write key and IV. Returns their steps. */
  trafficKeys(secret: number, keyLength: number, ivLength = 12): { key: number; iv: number } {
    return { key: this.expandLabel(secret, 'key', NO_CONTEXT, keyLength), iv: this.expandLabel(secret, 'iv', NO_CONTEXT, ivLength) };
  }

  /** RFC 8446 Section 4.4.4, as finishedKey() below: HKDF-Expand-Label(base, "finished", "", Hash.length). Returns the step. */
  finishedKey(base: number): number {
    return this.expandLabel(base, 'finished', NO_CONTEXT, hashLength[this.hash]);
  }

  /** Runs the steps from `secret`; the outputs, by step, are views of one buffer. The program (which may hold secrets) is cleared. */
  run(provider: CryptoProvider, secret: Uint8Array): Uint8Array[] {
    if (this.owner !== scratchOwner) throw new RangeError('another key schedule was begun before this one was run');
    const out = new Uint8Array(this.total);
    const program = scratch.subarray(0, this.at);
    try {
      if (provider.keySchedule !== undefined && this.hash !== 'sha1' && this.hash !== 'md5') {
        provider.keySchedule(this.hash, secret, program, out);
      } else {
        runKeySchedule(provider, this.hash, secret, program, out);
      }
    } finally {
      program.fill(0);
      scratchUsed = 0;
    }
    const outputs: Uint8Array[] = [];
    for (let i = 0, at = 0; i < this.lengths.length; at += this.lengths[i]!, i++) outputs.push(out.subarray(at, at + this.lengths[i]!));
    return outputs;
  }
}

/** KeySchedule's program run HMAC by HMAC, for a provider without keySchedule(). */
function runKeySchedule(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, program: Uint8Array, out: Uint8Array): void {
  const outputs: Uint8Array[] = [];
  for (let p = 0, at = 0; p < program.length;) {
    const op = program[p]!;
    const key = program[p + 1]!;
    const n = (program[p + 2]! << 8) | program[p + 3]!;
    const bytes = program.subarray(p + 4, p + 4 + n);
    const k = key === SCHEDULE_INPUT ? secret : outputs[key]!;
    let output: Uint8Array;
    if (op === 0) {
      const input = new Uint8Array(n + 1);
      input.set(bytes);
      input[n] = 1;
      const length = (bytes[0]! << 8) | bytes[1]!;
      output = provider.hmac(hash, k, input).subarray(0, length);
      input.fill(0);
    } else {
      output = provider.hmac(hash, k, bytes);
    }
    out.set(output, at);
    outputs.push(out.subarray(at, at + output.length));
    at += output.length;
    p += 4 + n;
  }
}

/** RFC 8446 Section 7.1: Early Secret = HKDF-Extract(0, PSK), with PSK = 0 when there is none. */
export function earlySecret(provider: CryptoProvider, hash: HashAlgorithm, psk?: Uint8Array): Uint8Array {
  return hkdfExtract(provider, hash, zeroSecret(hash), psk ?? zeroSecret(hash));
}

/** RFC 8446 Section 7.1: Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE). */
export function handshakeSecret(provider: CryptoProvider, hash: HashAlgorithm, early: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  const salt = deriveSecret(provider, hash, early, 'derived', emptyHash(provider, hash));
  return hkdfExtract(provider, hash, salt, sharedSecret);
}

/** RFC 8446 Section 7.1: Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0). */
export function masterSecret(provider: CryptoProvider, hash: HashAlgorithm, handshake: Uint8Array): Uint8Array {
  const salt = deriveSecret(provider, hash, handshake, 'derived', emptyHash(provider, hash));
  return hkdfExtract(provider, hash, salt, zeroSecret(hash));
}

/** RFC 8446 Section 7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function trafficKeys(
  provider: CryptoProvider, hash: HashAlgorithm, trafficSecret: Uint8Array, keyLength: number, ivLength = 12,
): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(provider, hash, trafficSecret, 'key', NO_CONTEXT, keyLength),
    iv: hkdfExpandLabel(provider, hash, trafficSecret, 'iv', NO_CONTEXT, ivLength),
  };
}

/** RFC 8446 Section 4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
export function finishedKey(provider: CryptoProvider, hash: HashAlgorithm, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, baseKey, 'finished', NO_CONTEXT, hashLength[hash]);
}

/** RFC 8446 Section 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*)). */
export function finishedVerifyData(provider: CryptoProvider, hash: HashAlgorithm, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return provider.hmac(hash, finishedKey(provider, hash, baseKey), transcriptHash);
}

/** RFC 8446 Section 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length). */
export function nextTrafficSecret(provider: CryptoProvider, hash: HashAlgorithm, trafficSecret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, trafficSecret, 'traffic upd', NO_CONTEXT, hashLength[hash]);
}

/** RFC 8446 Section 4.6.1: the PSK of a ticket = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function resumptionPsk(provider: CryptoProvider, hash: HashAlgorithm, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, resumptionMasterSecret, 'resumption', ticketNonce, hashLength[hash]);
}

/**
 * RFC 8446 Section 7.5:
 *   TLS-Exporter(label, context_value, key_length) =
 *     HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length)
 * With no context, context_value is empty (RFC 8446 treats "no context" and "empty context" the same).
 */
export function exportKeyingMaterial(
  provider: CryptoProvider, hash: HashAlgorithm, exporterMasterSecret: Uint8Array, label: string, context: Uint8Array, length: number,
): Uint8Array {
  const secret = deriveSecret(provider, hash, exporterMasterSecret, label, emptyHash(provider, hash));
  return hkdfExpandLabel(provider, hash, secret, 'exporter', provider.hash(hash, context), length);
}

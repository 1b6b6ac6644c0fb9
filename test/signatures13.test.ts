// TLS 1.3 CertificateVerify signature schemes, in memory (RFC 8446 Sections 4.2.3 and 4.4.3).
//
// Handshakes with an Ed25519, an RSASSA-PSS-key (rsa_pss_pss_*) and an ECDSA P-384 server certificate,
// and rsa_pss_rsae_sha384/512 pinned through the client's signature algorithms: the scheme is read
// from the CertificateVerify the client received (its trace), and data then moves both ways.
//
// A CertificateVerify signed with rsa_pkcs1_sha256 must be refused even though rsa_pkcs1_sha256 is in
// the receiver's own signature_algorithms (it is there for certificate chains): "RSA signatures MUST
// use an RSASSA-PSS algorithm, regardless of whether RSASSA-PKCS1-v1_5 algorithms appear in
// signature_algorithms" (Section 4.4.3). Section 4.4.3 names decrypt_error only for a signature that
// does not verify; a scheme that may not be used at all is a field "incorrect or inconsistent with
// other fields" (Section 6.2), illegal_parameter, as Go and BoringSSL answer. The signer's provider
// makes a real PKCS#1 v1.5 signature over the right content and relabels the message on its way into
// the record (so the signature verifies as PKCS#1, and only the scheme is wrong).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultSignatureSchemes, type CertifiedKey } from '../src/config.js';
import type { Aead, CryptoProvider } from '../src/crypto/provider.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import type { TraceEvent } from '../src/trace.js';
import { HandshakeType, ProtocolVersion, SignatureScheme } from '../src/wire/enums.js';
import { makeSignatureKeys } from './certs/signature-keys.js';
import { loadCertifiedKey, makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
let ed25519: CertifiedKey;
let rsaPss: CertifiedKey;
let p384: CertifiedKey;
before(async () => {
  k = await testKeys();
  const files = await makeSignatureKeys();
  ed25519 = loadCertifiedKey(files.ed25519.cert, files.ed25519.key);
  rsaPss = loadCertifiedKey(files.rsaPss.cert, files.rsaPss.key);
  p384 = loadCertifiedKey(files.p384.cert, files.p384.key);
});

const TLS13 = ProtocolVersion['TLSv1.3'];
const S = SignatureScheme;

/** A TLS 1.3 handshake; returns the pair and the scheme of the CertificateVerify the client received. */
function handshake13(certified: CertifiedKey, clientSchemes?: readonly number[]): { pair: Pair; scheme: string | undefined } {
  const trace: TraceEvent[] = [];
  const pair = Pair.create(
    makeClientConfig(k, { minVersion: TLS13, ...(clientSchemes ? { signatureSchemes: clientSchemes } : {}), trace: (e) => trace.push(e) }),
    makeServerConfig(k, { minVersion: TLS13, certificates: [certified] }),
  );
  pair.handshake();
  const cv = trace.find((e) => e.kind === 'message' && e.direction === 'received' && e.name === 'CertificateVerify');
  return { pair, scheme: cv?.kind === 'message' ? String(cv.fields['algorithm']) : undefined };
}

function moveData(pair: Pair): void {
  pair.client.write(Uint8Array.of(1, 2, 3));
  pair.server.write(Uint8Array.of(4, 5));
  pair.run();
  assert.deepEqual(pair.received('server'), Uint8Array.of(1, 2, 3));
  assert.deepEqual(pair.received('client'), Uint8Array.of(4, 5));
}

describe('TLS 1.3 server certificates and CertificateVerify schemes', () => {
  const cases: ReadonlyArray<[string, () => CertifiedKey, readonly number[] | undefined, string]> = [
    ['Ed25519 certificate, default schemes', () => ed25519, undefined, 'ed25519'],
    ['RSASSA-PSS-key certificate, default schemes', () => rsaPss, undefined, 'rsa_pss_pss_sha256'],
    ['RSASSA-PSS-key certificate, client pins rsa_pss_pss_sha384', () => rsaPss, [S.rsa_pss_pss_sha384], 'rsa_pss_pss_sha384'],
    ['RSASSA-PSS-key certificate, client pins rsa_pss_pss_sha512', () => rsaPss, [S.rsa_pss_pss_sha512], 'rsa_pss_pss_sha512'],
    ['ECDSA P-384 certificate, default schemes', () => p384, undefined, 'ecdsa_secp384r1_sha384'],
    ['RSA certificate, client pins rsa_pss_rsae_sha384', () => k.rsa, [S.rsa_pss_rsae_sha384], 'rsa_pss_rsae_sha384'],
    ['RSA certificate, client pins rsa_pss_rsae_sha512', () => k.rsa, [S.rsa_pss_rsae_sha512], 'rsa_pss_rsae_sha512'],
  ];
  for (const [label, certified, schemes, expected] of cases) {
    it(`${label}: CertificateVerify is ${expected}, the chain verifies, data moves`, () => {
      const { pair, scheme } = handshake13(certified(), schemes);
      assert.equal(scheme, expected);
      assert.equal(pair.client.info.protocol, 'TLSv1.3');
      assert.equal(pair.client.info.authorized, true);
      moveData(pair);
    });
  }

  it('the key types are what the certificates say (so the cases above test what they name)', () => {
    assert.equal(ed25519.key.algorithm, 'ed25519');
    assert.equal(rsaPss.key.algorithm, 'rsa-pss');
    assert.equal(p384.key.algorithm, 'ec');
    assert.equal(p384.key.bits, 384);
  });

  it('an RSASSA-PSS key never signs rsa_pss_rsae_*: a client offering only rsa_pss_rsae_sha256 gets handshake_failure', () => {
    const pair = Pair.create(
      makeClientConfig(k, { minVersion: TLS13, signatureSchemes: [S.rsa_pss_rsae_sha256] }),
      makeServerConfig(k, { minVersion: TLS13, certificates: [rsaPss] }),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_HANDSHAKE_FAILURE');
  });

  it('a P-384 key never signs ecdsa_secp256r1_sha256 in TLS 1.3 (the scheme names the curve): handshake_failure', () => {
    const pair = Pair.create(
      makeClientConfig(k, { minVersion: TLS13, signatureSchemes: [S.ecdsa_secp256r1_sha256] }),
      makeServerConfig(k, { minVersion: TLS13, certificates: [p384] }),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure');
  });

  it('with several certificates the server takes one the client can check: Ed25519 for a client offering only ed25519', () => {
    const trace: TraceEvent[] = [];
    const pair = Pair.create(
      makeClientConfig(k, { minVersion: TLS13, signatureSchemes: [S.ed25519], trace: (e) => trace.push(e) }),
      makeServerConfig(k, { minVersion: TLS13, certificates: [k.rsa, p384, ed25519] }),
    );
    pair.handshake();
    const cv = trace.find((e) => e.kind === 'message' && e.name === 'CertificateVerify');
    assert.equal(cv?.kind === 'message' ? cv.fields['algorithm'] : undefined, 'ed25519');
  });
});

// ---------- a CertificateVerify signed with rsa_pkcs1_sha256 ----------

const contextOf = (signer: 'server' | 'client') => new TextEncoder().encode(`${' '.repeat(64)}TLS 1.3, ${signer} CertificateVerify\0`);
const startsWith = (data: Uint8Array, prefix: Uint8Array) => data.length >= prefix.length && prefix.every((b, i) => data[i] === b);

/**
 * The node provider, but the `signer`'s CertificateVerify is a PKCS#1 v1.5 signature (rsa_pkcs1_sha256)
 * over the right content, and with `relabel` the message's scheme field is rewritten from
 * rsa_pss_rsae_sha256 to rsa_pkcs1_sha256 as the record is sealed. `made` receives what was signed.
 */
function pkcs1Signer(signer: 'server' | 'client', relabel: boolean, made: { content?: Uint8Array; signature?: Uint8Array; relabelled: number }): CryptoProvider {
  const context = contextOf(signer);
  return new Proxy(nodeCryptoProvider, {
    get(target, prop) {
      if (prop === 'sign') {
        return (key: Parameters<CryptoProvider['sign']>[0], scheme: number, data: Uint8Array): Uint8Array => {
          if (!startsWith(data, context)) return target.sign(key, scheme, data);
          assert.equal(scheme, S.rsa_pss_rsae_sha256, 'the engine itself chose PSS');
          made.content = data.slice();
          made.signature = target.sign(key, S.rsa_pkcs1_sha256, data);
          return made.signature;
        };
      }
      if (prop === 'aead') {
        return (algorithm: Parameters<CryptoProvider['aead']>[0], key: Uint8Array): Aead => {
          const inner = target.aead(algorithm, key);
          // Only seal/open: the record layer then hands us each inner plaintext whole.
          return {
            algorithm: inner.algorithm,
            open: (nonce, aad, ciphertext) => inner.open(nonce, aad, ciphertext),
            seal: (nonce, aad, plaintext) => inner.seal(nonce, aad, relabel ? relabelCertificateVerify(plaintext, made) : plaintext),
          };
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** In a TLSInnerPlaintext of handshake messages (type byte 22 last), rewrites a CertificateVerify's scheme 0x0804 → 0x0401. */
function relabelCertificateVerify(inner: Uint8Array, made: { relabelled: number }): Uint8Array {
  if (inner[inner.length - 1] !== 22) return inner;
  const out = inner.slice();
  for (let at = 0; at + 4 <= out.length - 1; ) {
    const n = (out[at + 1]! << 16) | (out[at + 2]! << 8) | out[at + 3]!;
    if (out[at] === HandshakeType.certificate_verify && out[at + 4] === 0x08 && out[at + 5] === 0x04) {
      out[at + 4] = 0x04;
      out[at + 5] = 0x01;
      made.relabelled++;
    }
    at += 4 + n;
  }
  return out;
}

describe('TLS 1.3: a CertificateVerify signed with rsa_pkcs1_sha256 is refused', () => {
  it('rsa_pkcs1_sha256 is in the default signature_algorithms (for chains), so the refusal is the TLS 1.3 rule, not "not offered"', () => {
    assert.ok(defaultSignatureSchemes.includes(S.rsa_pkcs1_sha256));
  });

  it('from the server: our client answers illegal_parameter, although the PKCS#1 signature itself is good', () => {
    const made = { relabelled: 0 } as { content?: Uint8Array; signature?: Uint8Array; relabelled: number };
    const pair = Pair.create(
      makeClientConfig(k, { minVersion: TLS13 }),
      makeServerConfig(k, { minVersion: TLS13, provider: pkcs1Signer('server', true, made) }),
    );
    pair.run();
    assert.equal(made.relabelled, 1, 'the CertificateVerify went out labelled rsa_pkcs1_sha256');
    const publicKey = nodeCryptoProvider.loadPublicKey(k.rsa.chain[0]!.subjectPublicKeyInfo);
    assert.equal(nodeCryptoProvider.verify(publicKey, S.rsa_pkcs1_sha256, made.content!, made.signature!), true, 'a valid PKCS#1 v1.5 signature');
    assert.equal(pair.client.error?.kind, 'illegal_parameter', `${pair.client.error?.code}: ${pair.client.error?.message}`);
    assert.equal(pair.client.error?.code, 'ERR_TLS_ILLEGAL_PARAMETER');
    assert.match(pair.client.error!.message, /CertificateVerify/);
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER', 'the server received the alert');
    assert.equal(pair.client.handshakeComplete, false);
  });

  it('from the client (mutual TLS): our server answers illegal_parameter', () => {
    const made = { relabelled: 0 } as { content?: Uint8Array; signature?: Uint8Array; relabelled: number };
    const pair = Pair.create(
      makeClientConfig(k, { minVersion: TLS13, certificates: [k.client], provider: pkcs1Signer('client', true, made) }),
      makeServerConfig(k, { minVersion: TLS13, requestCert: true }),
    );
    pair.run();
    assert.equal(made.relabelled, 1);
    assert.equal(pair.server.error?.kind, 'illegal_parameter', `${pair.server.error?.code}: ${pair.server.error?.message}`);
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER');
  });

  it('controls: the provider wrapper alone changes nothing, and a PKCS#1 signature labelled PSS is decrypt_error', () => {
    // Pass-through: the same wrapper (its AEAD in the record layer) with nothing changed: the server's
    // CertificateVerify does not match the client context, and no relabelling.
    const passThrough = pkcs1Signer('client', false, { relabelled: 0 });
    const clean = Pair.create(makeClientConfig(k, { minVersion: TLS13 }), makeServerConfig(k, { minVersion: TLS13, provider: passThrough }));
    clean.handshake();
    // PKCS#1 bytes under the PSS label: a signature that does not verify (Section 4.4.3: decrypt_error).
    const made = { relabelled: 0 } as { content?: Uint8Array; signature?: Uint8Array; relabelled: number };
    const pair = Pair.create(makeClientConfig(k, { minVersion: TLS13 }), makeServerConfig(k, { minVersion: TLS13, provider: pkcs1Signer('server', false, made) }));
    pair.run();
    assert.equal(made.relabelled, 0);
    assert.equal(pair.client.error?.kind, 'decrypt_error');
  });
});

// Private keys as openssl writes them: PKCS#1 ("BEGIN RSA PRIVATE KEY") from `genrsa -traditional`
// and `pkey -traditional`, SEC1 ("BEGIN EC PRIVATE KEY") from `ecparam -genkey` (with and without
// its EC PARAMETERS block) and `pkey -traditional`, and PKCS#8 RSA-PSS and Ed25519 keys from
// `genpkey`. Each loads as the key openssl says it is, and a server holding it completes TLS 1.2
// and 1.3 handshakes in memory, signing with the scheme its key calls for. Malformed keys are
// refused with an Error that carries a code, as node:tls refuses them, and never load.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodeTls from 'node:tls';
import { clientConfig, serverConfig, type ClientConfig, type ConfigOptions, type ServerConfig } from '../../src/config.js';
import { nodeCryptoProvider as provider } from '../../src/crypto/node.js';
import type { KeyAlgorithm } from '../../src/crypto/provider.js';
import { createSecureContext } from '../../src/node/api.js';
import { NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { pemDecode, pemEncode } from '../../src/x509/pem.js';
import { Pair } from '../pair.js';
import { TempDir, issue, type Issued } from './pki.js';

const NOW = new Date();
const ECDHE_RSA = 0xc02f; // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
const ECDHE_ECDSA = 0xc02b; // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256

interface KeySpec {
  readonly name: string;
  /** openssl commands that write the key to `out`, run in order in the temporary directory. */
  readonly make: (out: string) => readonly (readonly string[])[];
  /** The labels of the PEM blocks in the file, in order. */
  readonly labels: readonly string[];
  readonly algorithm: KeyAlgorithm;
  readonly namedCurve?: number;
  readonly bits: number;
  /** The one signature scheme the client offers: the server can only complete the handshake with it. */
  readonly scheme: number;
}

const specs: readonly KeySpec[] = [
  {
    name: 'PKCS#1 RSA (openssl genrsa -traditional)',
    make: (out) => [['genrsa', '-traditional', '-out', out, '2048']],
    labels: ['RSA PRIVATE KEY'],
    algorithm: 'rsa',
    bits: 2048,
    scheme: SignatureScheme.rsa_pss_rsae_sha256,
  },
  {
    name: 'PKCS#1 RSA (openssl pkey -traditional)',
    make: (out) => [
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072', '-out', `${out}.p8`],
      ['pkey', '-in', `${out}.p8`, '-traditional', '-out', out],
    ],
    labels: ['RSA PRIVATE KEY'],
    algorithm: 'rsa',
    bits: 3072,
    scheme: SignatureScheme.rsa_pss_rsae_sha384,
  },
  {
    name: 'SEC1 P-256 (openssl ecparam -genkey -noout)',
    make: (out) => [['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', out]],
    labels: ['EC PRIVATE KEY'],
    algorithm: 'ec',
    namedCurve: NamedGroup.secp256r1,
    bits: 256,
    scheme: SignatureScheme.ecdsa_secp256r1_sha256,
  },
  {
    name: 'SEC1 P-384 after its EC PARAMETERS block (openssl ecparam -genkey)',
    make: (out) => [['ecparam', '-name', 'secp384r1', '-genkey', '-out', out]],
    labels: ['EC PARAMETERS', 'EC PRIVATE KEY'],
    algorithm: 'ec',
    namedCurve: NamedGroup.secp384r1,
    bits: 384,
    scheme: SignatureScheme.ecdsa_secp384r1_sha384,
  },
  {
    name: 'SEC1 P-256 (openssl pkey -traditional)',
    make: (out) => [
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${out}.p8`],
      ['pkey', '-in', `${out}.p8`, '-traditional', '-out', out],
    ],
    labels: ['EC PRIVATE KEY'],
    algorithm: 'ec',
    namedCurve: NamedGroup.secp256r1,
    bits: 256,
    scheme: SignatureScheme.ecdsa_secp256r1_sha256,
  },
  {
    name: 'RSA-PSS PKCS#8 (openssl genpkey -algorithm RSA-PSS)',
    make: (out) => [['genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]],
    labels: ['PRIVATE KEY'],
    algorithm: 'rsa-pss',
    bits: 2048,
    scheme: SignatureScheme.rsa_pss_pss_sha256,
  },
  {
    name: 'Ed25519 PKCS#8 (openssl genpkey -algorithm ed25519)',
    make: (out) => [['genpkey', '-algorithm', 'ed25519', '-out', out]],
    labels: ['PRIVATE KEY'],
    algorithm: 'ed25519',
    bits: 256,
    scheme: SignatureScheme.ed25519,
  },
];

let dir: TempDir;
let root: Issued;
/** Per spec: the key file as openssl wrote it, and a certificate for localhost carrying its public key. */
const made = new Map<KeySpec, { pem: string; path: string; leaf: Issued }>();

const openssl = (args: readonly string[]): Buffer =>
  execFileSync('openssl', [...args], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

before(() => {
  dir = new TempDir();
  root = issue(NOW, undefined, { CN: 'Key Test Root', isCA: true });
  specs.forEach((spec, i) => {
    const path = join(dir.path, `key-${i}.pem`);
    for (const args of spec.make(path)) openssl(args);
    const pem = readFileSync(path, 'utf8');
    const leaf = issue(NOW, root, { CN: 'localhost', dnsNames: ['localhost'], key: { key: provider.loadPrivateKey(pem), pem } });
    made.set(spec, { pem, path, leaf });
  });
});

after(() => dir?.cleanup());

for (const spec of specs) {
  test(`${spec.name}: loads as the key openssl wrote, from PEM and from DER PKCS#8`, () => {
    const { pem, path, leaf } = made.get(spec)!;
    assert.deepEqual(pemDecode(pem).map((b) => b.label), spec.labels, 'the file is in the format under test');
    const key = provider.loadPrivateKey(pem);
    assert.equal(key.algorithm, spec.algorithm);
    assert.equal(key.namedCurve, spec.namedCurve);
    assert.equal(key.bits, spec.bits);
    // The public half is openssl's own: its SubjectPublicKeyInfo byte for byte.
    const spki = new Uint8Array(openssl(['pkey', '-in', path, '-pubout', '-outform', 'DER']));
    assert.deepEqual(key.spki, spki);
    const pkcs8 = new Uint8Array(openssl(['pkcs8', '-topk8', '-nocrypt', '-in', path, '-outform', 'DER']));
    assert.deepEqual(provider.loadPrivateKey(pkcs8).spki, spki);
    // The node API takes the same text as node:tls does, and pairs it with its certificate.
    assert.doesNotThrow(() => nodeTls.createSecureContext({ cert: leaf.pem, key: pem }));
    assert.doesNotThrow(() => createSecureContext({ cert: leaf.pem, key: pem }));
  });

  for (const version of [0x0303, 0x0304] as const) {
    const name = version === 0x0304 ? 'TLSv1.3' : 'TLSv1.2';
    test(`${spec.name}: a server holding it completes a ${name} handshake in memory, signing with ${signatureSchemeLabel(spec.scheme)}`, () => {
      const { pem, leaf } = made.get(spec)!;
      const server = serverConfig({
        provider, certificates: [{ chain: [parseCertificate(leaf.der)], key: provider.loadPrivateKey(pem) }], minVersion: version, maxVersion: version,
      } as ConfigOptions<ServerConfig>);
      // Offering the key's scheme alone, and in TLS 1.2 only an ECDHE suite for the key (the RSA key
      // exchange signs nothing): a server that cannot sign with that scheme fails the handshake.
      const suite = spec.algorithm === 'rsa' || spec.algorithm === 'rsa-pss' ? ECDHE_RSA : ECDHE_ECDSA;
      const client = clientConfig({
        provider, roots: [parseCertificate(root.der)], minVersion: version, maxVersion: version, signatureSchemes: [spec.scheme],
        ...(version === 0x0303 ? { cipherSuites: [suite] } : {}),
      } as ConfigOptions<ClientConfig>);
      const pair = Pair.create(client, server);
      pair.handshake();
      assert.equal(pair.client.info.protocol, name);
      assert.equal(pair.client.info.authorized, true);
      if (version === 0x0303) assert.equal(pair.client.info.cipherSuite?.id, suite);
      pair.client.write(new TextEncoder().encode('ping'));
      pair.server.write(new TextEncoder().encode('pong'));
      pair.run();
      assert.equal(new TextDecoder().decode(pair.received('server')), 'ping');
      assert.equal(new TextDecoder().decode(pair.received('client')), 'pong');
      // The control: offered only a scheme of another key type, the same server cannot complete it.
      const other = spec.algorithm === 'ed25519' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ed25519;
      const refused = Pair.create(clientConfig({ ...client, signatureSchemes: [other] } as ConfigOptions<ClientConfig>), server);
      refused.run();
      assert.equal(refused.client.handshakeComplete, false);
      assert.ok(refused.client.error ?? refused.server.error, 'an error on one side');
    });
  }
}

function signatureSchemeLabel(scheme: number): string {
  return Object.entries(SignatureScheme).find(([, v]) => v === scheme)?.[0] ?? `0x${scheme.toString(16)}`;
}

// ---------- malformed keys ----------

/** Malformed PKCS#1 and SEC1 keys made from good ones: every strict prefix of the DER, wrong labels, bad text. */
function malformedKeys(): { name: string; key: string | Uint8Array }[] {
  const pkcs1 = pemDecode(made.get(specs[0]!)!.pem)[0]!.der;
  const sec1 = pemDecode(made.get(specs[2]!)!.pem)[0]!.der;
  const out: { name: string; key: string | Uint8Array }[] = [];
  for (const [label, der] of [['RSA PRIVATE KEY', pkcs1], ['EC PRIVATE KEY', sec1]] as const) {
    for (let n = 0; n < der.length; n++) out.push({ name: `${label}, DER cut to ${n} of ${der.length} bytes`, key: pemEncode(label, der.subarray(0, n)) });
  }
  out.push(
    { name: 'SEC1 DER under RSA PRIVATE KEY', key: pemEncode('RSA PRIVATE KEY', sec1) },
    { name: 'PKCS#1 DER under EC PRIVATE KEY', key: pemEncode('EC PRIVATE KEY', pkcs1) },
    { name: 'PKCS#1 with a character that is not base64', key: made.get(specs[0]!)!.pem.replace(/\n[A-Za-z0-9]/, '\n*') },
    { name: 'PKCS#1 without its END line', key: made.get(specs[0]!)!.pem.replace(/-----END[^\n]*\n/, '') },
    { name: 'text that is not PEM', key: 'not a key' },
    { name: 'PKCS#1 DER where DER PKCS#8 is expected', key: pkcs1 },
    { name: 'SEC1 DER where DER PKCS#8 is expected', key: sec1 },
  );
  return out;
}

/** What a call threw, as a comparable record; 'LOADED' when it did not throw. */
function refusal(f: () => unknown): { kind: string; code?: string; message?: string } {
  try {
    f();
    return { kind: 'LOADED' };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { kind: err.constructor.name, ...(typeof err.code === 'string' ? { code: err.code } : {}), message: err.message };
  }
}

test('malformed PKCS#1 and SEC1 keys: every strict prefix, wrong labels, bad base64, DER of the wrong kind — an Error with a code, never a key', () => {
  const bad: string[] = [];
  const cases = malformedKeys();
  for (const c of cases) {
    const r = refusal(() => provider.loadPrivateKey(c.key));
    if (r.kind === 'LOADED') bad.push(`${c.name}: loaded`);
    else if (r.code === undefined || !/^ERR_/.test(r.code)) bad.push(`${c.name}: ${r.kind} without an ERR_ code: ${r.message}`);
    else if (r.kind === 'TypeError' || r.kind === 'RangeError') bad.push(`${c.name}: ${r.kind} ${r.code}`);
  }
  assert.deepEqual(bad, [], `${bad.length} of ${cases.length}`);
  assert.ok(cases.length > 1000, `${cases.length} cases`);
});

test('the node API refuses a malformed key as node:tls does: the same code and message from createSecureContext', () => {
  const cert = made.get(specs[0]!)!.leaf.pem;
  const differ: string[] = [];
  // The PEM cases: node:tls takes key text, not DER.
  const cases = malformedKeys().filter((c) => typeof c.key === 'string');
  for (const c of cases) {
    const ours = refusal(() => createSecureContext({ cert, key: c.key }));
    const theirs = refusal(() => nodeTls.createSecureContext({ cert, key: c.key as string }));
    if (ours.code !== theirs.code || ours.message !== theirs.message || theirs.kind === 'LOADED') {
      differ.push(`${c.name}: typetls ${ours.code}: ${ours.message}; node:tls ${theirs.code}: ${theirs.message}`);
    }
  }
  assert.deepEqual(differ, []);
});

test('keys typetls cannot use are refused by name: X25519, secp256k1; an encrypted PKCS#1 key needs its passphrase', () => {
  const keyFile = (name: string, args: readonly string[]) => {
    openssl([...args, '-out', name]);
    return readFileSync(join(dir.path, name), 'utf8');
  };
  const x25519 = keyFile('x25519.pem', ['genpkey', '-algorithm', 'X25519']);
  const secp256k1 = keyFile('secp256k1.pem', ['ecparam', '-name', 'secp256k1', '-genkey', '-noout']);
  const encrypted = keyFile('encrypted.pem', ['genrsa', '-traditional', '-aes128', '-passout', 'pass:secret']);
  assert.match(encrypted, /Proc-Type: 4,ENCRYPTED/);
  assert.deepEqual(refusal(() => provider.loadPrivateKey(x25519)), { kind: 'TlsError', code: 'ERR_TLS_BAD_CERTIFICATE', message: 'unsupported key type x25519' });
  assert.deepEqual(refusal(() => provider.loadPrivateKey(secp256k1)), { kind: 'TlsError', code: 'ERR_TLS_BAD_CERTIFICATE', message: 'unsupported EC curve secp256k1' });
  // Decrypted with the passphrase, as node:tls does (it is not the certificate's key: a mismatch);
  // without it, node's bad decrypt.
  const r = refusal(() => createSecureContext({ cert: made.get(specs[0]!)!.leaf.pem, key: encrypted, passphrase: 'secret' }));
  assert.equal(r.code, 'ERR_OSSL_X509_KEY_VALUES_MISMATCH');
  assert.equal(refusal(() => createSecureContext({ cert: made.get(specs[0]!)!.leaf.pem, key: encrypted })).code, 'ERR_OSSL_BAD_DECRYPT');
});

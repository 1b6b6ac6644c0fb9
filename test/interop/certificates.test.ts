// Certificate verification against a real server: openssl s_server on 127.0.0.1 presents an expired
// leaf, a leaf for another name, a leaf under an unknown CA, a leaf without its intermediate, and a
// correct chain sent out of order; our client (the package's node:tls-style API) and node:tls itself
// connect to the same server in the same test, and both must report the same outcome and code.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import { connect } from '../../src/node/api.js';
import { startOpensslServer, stopAllPeers, errorCode, type OpensslServer } from './peers.js';
import { TempDir, issue, newKey, type Issued } from '../x509/pki.js';

const NOW = new Date();
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

interface Scenario {
  readonly name: string;
  readonly leaf: Issued;
  /** What s_server sends after the leaf (-cert_chain), in this order. */
  readonly chain: readonly Issued[];
  readonly servername: string;
  /** 'OK' or the error code both clients must report. */
  readonly expected: string;
}

let dir: TempDir;
let rootPem: string;
let scenarios: Scenario[];

before(() => {
  dir = new TempDir();
  const root = issue(NOW, undefined, { CN: 'Interop Root', isCA: true });
  const interA = issue(NOW, root, { CN: 'Interop Intermediate A', isCA: true });
  const interB = issue(NOW, interA, { CN: 'Interop Intermediate B', isCA: true });
  const unknownRoot = issue(NOW, undefined, { CN: 'Unknown Root', isCA: true });
  const unknownInter = issue(NOW, unknownRoot, { CN: 'Unknown Intermediate', isCA: true });
  const unrelated = issue(NOW, undefined, { CN: 'Unrelated', isCA: true });
  rootPem = root.pem;
  const leaf = (issuer: Issued, o: Partial<Parameters<typeof issue>[2]> = {}) =>
    issue(NOW, issuer, { CN: 'localhost', dnsNames: ['localhost'], key: newKey('p256'), ...o });
  scenarios = [
    {
      name: 'expired leaf',
      leaf: leaf(interB, { notBefore: at(-60), notAfter: at(-1) }),
      chain: [interB, interA],
      servername: 'localhost',
      expected: 'CERT_HAS_EXPIRED',
    },
    { name: 'wrong host name', leaf: leaf(interB), chain: [interB, interA], servername: 'wrong.example', expected: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    // node:tls (OpenSSL) builds leaf → Unknown Intermediate and stops: "unable to get local issuer certificate".
    { name: 'unknown CA', leaf: leaf(unknownInter), chain: [unknownInter], servername: 'localhost', expected: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    // The chain stops at the leaf: node:tls's last error is "unable to verify the first certificate".
    { name: 'missing intermediate', leaf: leaf(interB), chain: [interA], servername: 'localhost', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    {
      name: 'correct chain out of order, with an unrelated certificate',
      leaf: leaf(interB),
      chain: [unrelated, interA, interB],
      servername: 'localhost',
      expected: 'OK',
    },
  ];
});

after(async () => {
  await stopAllPeers();
  dir?.cleanup();
});

async function startServer(s: Scenario): Promise<OpensslServer> {
  const args = ['-cert', dir.write('leaf.pem', s.leaf.pem), '-key', dir.write('leaf.key', s.leaf.key.pem)];
  if (s.chain.length > 0) args.push('-cert_chain', dir.write('chain.pem', s.chain.map((c) => c.pem).join('')));
  return startOpensslServer([...args, '-quiet']);
}

interface Outcome {
  readonly code: string; // 'OK' or the error code
  readonly authorized?: boolean;
  readonly authorizationError?: string;
}

type AnySocket = {
  once(event: string, fn: (...args: never[]) => void): unknown;
  destroy(): void;
  authorized: boolean;
  authorizationError?: unknown;
};

/** Connects with `open` and resolves with the outcome: 'OK' after secureConnect, or the error's code. */
function outcome(open: (onSecure: () => void) => AnySocket): Promise<Outcome> {
  return new Promise((resolve) => {
    let socket: AnySocket | undefined;
    const timer = setTimeout(() => {
      socket?.destroy();
      resolve({ code: 'TIMEOUT' });
    }, 10_000);
    socket = open(() => {
      clearTimeout(timer);
      const s = socket!;
      const authorizationError = s.authorizationError === undefined || s.authorizationError === null ? undefined : String(s.authorizationError);
      resolve({ code: 'OK', authorized: s.authorized, ...(authorizationError !== undefined ? { authorizationError } : {}) });
      s.destroy();
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve({ code: errorCode(err) ?? `no code: ${err.message}` });
    });
  });
}

function options(port: number, servername: string, rejectUnauthorized: boolean) {
  return { host: '127.0.0.1', port, servername, ca: [rootPem], rejectUnauthorized };
}

const ours = (port: number, servername: string, rejectUnauthorized = true) =>
  outcome((onSecure) => connect(options(port, servername, rejectUnauthorized), onSecure) as unknown as AnySocket);
const theirs = (port: number, servername: string, rejectUnauthorized = true) =>
  outcome((onSecure) => nodeTls.connect(options(port, servername, rejectUnauthorized), onSecure) as unknown as AnySocket);

test('openssl s_server with bad and good chains: typetls and node:tls report the same codes', { timeout: 60_000 }, async (t) => {
  const rows: string[] = [];
  for (const s of scenarios) {
    const server = await startServer(s);
    try {
      const [a, b] = [await ours(server.port, s.servername), await theirs(server.port, s.servername)];
      rows.push(`${s.name}: typetls ${a.code}, node:tls ${b.code}`);
      assert.equal(a.code, s.expected, `typetls, ${s.name}`);
      assert.equal(b.code, s.expected, `node:tls, ${s.name}`);
      if (s.expected === 'OK') {
        assert.equal(a.authorized, true);
        assert.equal(b.authorized, true);
      }
      // rejectUnauthorized: false completes the handshake and reports the same error as node:tls.
      const [c, d] = [await ours(server.port, s.servername, false), await theirs(server.port, s.servername, false)];
      assert.equal(c.code, 'OK', `typetls, ${s.name}, rejectUnauthorized: false`);
      assert.equal(d.code, 'OK', `node:tls, ${s.name}, rejectUnauthorized: false`);
      assert.equal(c.authorized, s.expected === 'OK');
      assert.equal(d.authorized, s.expected === 'OK');
      assert.equal(c.authorizationError, d.authorizationError, `authorizationError, ${s.name}`);
      assert.equal(c.authorizationError, s.expected === 'OK' ? undefined : s.expected);
    } finally {
      await server.stop();
    }
  }
  assert.equal(rows.length, 5, rows.join('\n'));
  t.diagnostic(rows.join('; '));
});

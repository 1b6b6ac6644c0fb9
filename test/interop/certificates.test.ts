// Certificate verification against real peers on 127.0.0.1.
//
// Our client: openssl s_server presents an expired leaf, a leaf for another name, a leaf under an unknown
// CA, a leaf without its intermediate, and a correct chain sent out of order; our client (the package's
// node:tls-style API) and node:tls itself connect to the same server, and both must report the same
// outcome and code. Each case is a test of its own, so that one failure does not hide the others.
//
// Our server: configured with its leaf and the intermediate (leaf first), it sends both, and openssl
// s_client -verify_return_error and node:tls, each trusting the root alone, accept the chain.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import { connect } from '../../src/node/api.js';
import { pemDecode } from '../../src/x509/pem.js';
import { runOpensslClient, startOpensslServer, stopAllPeers, errorCode, tail, type OpensslServer } from './peers.js';
import { startEchoServer } from './typetls-peers.js';
import { TempDir, issue, newKey, type IssueOptions, type Issued } from '../x509/pki.js';

const NOW = new Date();
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

/** The CAs every case draws on, made once. */
interface Cas {
  readonly root: Issued;
  readonly interA: Issued;
  readonly interB: Issued;
  readonly unknownInter: Issued;
  readonly unrelated: Issued;
}

interface Scenario {
  readonly name: string;
  /** The leaf, and what s_server sends after it (-cert_chain), in this order. */
  readonly make: (cas: Cas) => { readonly leaf: Issued; readonly chain: readonly Issued[] };
  readonly servername: string;
  /** 'OK' or the error code both clients must report. */
  readonly expected: string;
}

let dir: TempDir;
let cas: Cas;

before(() => {
  dir = new TempDir();
  const root = issue(NOW, undefined, { CN: 'Interop Root', isCA: true });
  const interA = issue(NOW, root, { CN: 'Interop Intermediate A', isCA: true });
  const interB = issue(NOW, interA, { CN: 'Interop Intermediate B', isCA: true });
  const unknownRoot = issue(NOW, undefined, { CN: 'Unknown Root', isCA: true });
  const unknownInter = issue(NOW, unknownRoot, { CN: 'Unknown Intermediate', isCA: true });
  const unrelated = issue(NOW, undefined, { CN: 'Unrelated', isCA: true });
  cas = { root, interA, interB, unknownInter, unrelated };
});

after(async () => {
  await stopAllPeers();
  dir?.cleanup();
});

const leafUnder = (issuer: Issued, o: Partial<IssueOptions> = {}): Issued =>
  issue(NOW, issuer, { CN: 'localhost', dnsNames: ['localhost'], key: newKey('p256'), ...o });

const scenarios: readonly Scenario[] = [
  {
    name: 'expired leaf',
    make: (c) => ({ leaf: leafUnder(c.interB, { notBefore: at(-60), notAfter: at(-1) }), chain: [c.interB, c.interA] }),
    servername: 'localhost',
    expected: 'CERT_HAS_EXPIRED',
  },
  {
    name: 'wrong host name',
    make: (c) => ({ leaf: leafUnder(c.interB), chain: [c.interB, c.interA] }),
    servername: 'wrong.example',
    expected: 'ERR_TLS_CERT_ALTNAME_INVALID',
  },
  // node:tls (OpenSSL) builds leaf → Unknown Intermediate and stops: "unable to get local issuer certificate".
  {
    name: 'unknown CA',
    make: (c) => ({ leaf: leafUnder(c.unknownInter), chain: [c.unknownInter] }),
    servername: 'localhost',
    expected: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  },
  // The chain stops at the leaf: node:tls's last error is "unable to verify the first certificate".
  {
    name: 'missing intermediate',
    make: (c) => ({ leaf: leafUnder(c.interB), chain: [c.interA] }),
    servername: 'localhost',
    expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  },
  {
    name: 'correct chain out of order, with an unrelated certificate',
    make: (c) => ({ leaf: leafUnder(c.interB), chain: [c.unrelated, c.interA, c.interB] }),
    servername: 'localhost',
    expected: 'OK',
  },
];

async function startServer(leaf: Issued, chain: readonly Issued[]): Promise<OpensslServer> {
  const args = ['-cert', dir.write('leaf.pem', leaf.pem), '-key', dir.write('leaf.key', leaf.key.pem)];
  if (chain.length > 0) args.push('-cert_chain', dir.write('chain.pem', chain.map((c) => c.pem).join('')));
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
  return { host: '127.0.0.1', port, servername, ca: [cas.root.pem], rejectUnauthorized };
}

const ours = (port: number, servername: string, rejectUnauthorized = true) =>
  outcome((onSecure) => connect(options(port, servername, rejectUnauthorized), onSecure) as unknown as AnySocket);
const theirs = (port: number, servername: string, rejectUnauthorized = true) =>
  outcome((onSecure) => nodeTls.connect(options(port, servername, rejectUnauthorized), onSecure) as unknown as AnySocket);

for (const s of scenarios) {
  test(`openssl s_server with ${s.name}: typetls and node:tls both report ${s.expected}`, { timeout: 30_000 }, async (t) => {
    const { leaf, chain } = s.make(cas);
    const server = await startServer(leaf, chain);
    try {
      const [a, b] = [await ours(server.port, s.servername), await theirs(server.port, s.servername)];
      t.diagnostic(`typetls ${a.code}, node:tls ${b.code}`);
      assert.equal(a.code, s.expected, 'typetls');
      assert.equal(b.code, s.expected, 'node:tls');
      if (s.expected === 'OK') {
        assert.equal(a.authorized, true);
        assert.equal(b.authorized, true);
      }
      // rejectUnauthorized: false completes the handshake and reports the same error as node:tls.
      const [c, d] = [await ours(server.port, s.servername, false), await theirs(server.port, s.servername, false)];
      assert.equal(c.code, 'OK', 'typetls, rejectUnauthorized: false');
      assert.equal(d.code, 'OK', 'node:tls, rejectUnauthorized: false');
      assert.equal(c.authorized, s.expected === 'OK');
      assert.equal(d.authorized, s.expected === 'OK');
      assert.equal(c.authorizationError, d.authorizationError, 'authorizationError');
      assert.equal(c.authorizationError, s.expected === 'OK' ? undefined : s.expected);
    } finally {
      await server.stop();
    }
  });
}

// ---------- a typetls server sends its chain as configured ----------

/** A leaf under an intermediate under a root; the server is given the leaf and the intermediate, leaf first. */
function serverChain(): { root: Issued; inter: Issued; leaf: Issued } {
  const root = issue(NOW, undefined, { CN: 'Chain Root', isCA: true });
  const inter = issue(NOW, root, { CN: 'Chain Intermediate', isCA: true });
  return { root, inter, leaf: leafUnder(inter) };
}

const sClientFlag = { 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' } as const;

/** The DER of each certificate s_client -showcerts printed, in the order the server sent them. */
const shownCertificates = (stdout: string): string[] =>
  pemDecode(stdout).filter((b) => b.label === 'CERTIFICATE').map((b) => Buffer.from(b.der).toString('hex'));
const hex = (c: Issued) => Buffer.from(c.der).toString('hex');

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`typetls server with leaf + intermediate, ${version}: openssl s_client -verify_return_error -CAfile root accepts`, { timeout: 30_000 }, async () => {
    const { root, inter, leaf } = serverChain();
    const server = await startEchoServer({ cert: leaf.pem + inter.pem, key: leaf.key.pem, minVersion: version, maxVersion: version }, { endAfter: 5 });
    try {
      const r = await runOpensslClient(
        [
          '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', dir.write('root.pem', root.pem),
          '-verify_return_error', '-showcerts', '-ign_eof', sClientFlag[version],
        ],
        { stdinData: 'hello', timeoutMs: 10_000 },
      );
      const out = r.stdout.toString('latin1');
      assert.equal(r.code, 0, tail(r.stderr));
      assert.match(out, /Verify return code: 0 \(ok\)/);
      assert.match(out, new RegExp(`Protocol *: ${version.replace('.', '\\.')}`));
      // What the server sent: the leaf, then the intermediate, and not the root.
      assert.deepEqual(shownCertificates(out), [hex(leaf), hex(inter)]);
      assert.match(out, /hello/);
    } finally {
      await server.close();
    }
  });

  test(`typetls server with leaf + intermediate, ${version}: node:tls with ca: root only accepts`, { timeout: 30_000 }, async () => {
    const { root, inter, leaf } = serverChain();
    const server = await startEchoServer({ cert: leaf.pem + inter.pem, key: leaf.key.pem, minVersion: version, maxVersion: version });
    try {
      const socket = await new Promise<nodeTls.TLSSocket>((resolve, reject) => {
        const s = nodeTls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: [root.pem] }, () => resolve(s));
        s.once('error', reject);
      });
      try {
        assert.equal(socket.authorized, true, String(socket.authorizationError));
        assert.equal(socket.getProtocol(), version);
        const peer = socket.getPeerCertificate(true);
        assert.equal(peer.subject.CN, 'localhost');
        assert.equal(peer.issuerCertificate.subject.CN, 'Chain Intermediate');
        assert.equal(peer.issuerCertificate.raw.toString('hex'), hex(inter));
      } finally {
        socket.destroy();
      }
    } finally {
      await server.close();
    }
  });
}

test('typetls server with the leaf alone: openssl s_client and node:tls, trusting the root alone, refuse it', { timeout: 30_000 }, async () => {
  // The control for the two tests above: without the intermediate on the wire there is no path to the root.
  const { root, leaf } = serverChain();
  const server = await startEchoServer({ cert: leaf.pem, key: leaf.key.pem });
  try {
    const r = await runOpensslClient(
      ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', dir.write('root.pem', root.pem), '-verify_return_error', '-showcerts'],
      { timeoutMs: 10_000 },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stdout.toString('latin1') + r.stderr, /verify error:num=20:unable to get local issuer certificate/);
    assert.deepEqual(shownCertificates(r.stdout.toString('latin1')), [hex(leaf)]);
    const node = await outcome(
      (onSecure) => nodeTls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: [root.pem] }, onSecure) as unknown as AnySocket,
    );
    assert.equal(node.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  } finally {
    await server.close();
  }
});

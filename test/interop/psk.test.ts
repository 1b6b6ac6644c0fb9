// Pre-shared keys through the node:tls API, against real peers on 127.0.0.1: typetls against
// itself, against node:tls in both directions, `openssl s_client -psk` against a typetls server and
// a typetls client against `openssl s_server -psk -nocert`, in TLS 1.2 and TLS 1.3; a wrong key
// gets the alert OpenSSL and node:tls send, on both sides; and pskCallback / pskIdentityHint are
// checked and fail as node's do.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as nodeTls from 'node:tls';
import * as typetls from '../../src/index.js';
import { once, Opened } from '../node-sockets.js';
import { runOpensslClient, runProcess, startOpensslServer, startTypetlsServer, stopAllPeers } from './peers.js';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f';
const KEY = Buffer.from(KEY_HEX, 'hex');
const WRONG_HEX = 'ff0102030405060708090a0b0c0d0eff';
const IDENTITY = 'client1';
// The TLS 1.2 PSK suites are named (node's default list leaves them out); TLS 1.3 takes its defaults.
const CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305:PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384';

type Tls = typeof typetls | typeof nodeTls;
const impls: Record<string, Tls> = { typetls, 'node:tls': nodeTls };

const opened = new Opened();
after(async () => {
  await opened.closeAll();
  await stopAllPeers();
});

interface Seen {
  hints: (string | null)[];
  identities: string[];
}

/** A PSK-only echo server (no certificate) of `impl` that knows IDENTITY. */
async function pskServer(impl: Tls, options: Record<string, unknown> = {}): Promise<{ port: number; seen: Seen; server: nodeTls.Server; clientErrors: Error[] }> {
  const seen: Seen = { hints: [], identities: [] };
  const clientErrors: Error[] = [];
  const server = (impl.createServer as typeof nodeTls.createServer)({
    ciphers: CIPHERS,
    pskCallback: (_socket: nodeTls.TLSSocket, identity: string) => {
      seen.identities.push(identity);
      return identity === IDENTITY ? KEY : null;
    },
    ...options,
  } as nodeTls.TlsOptions, (socket) => socket.pipe(socket));
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  const port = await opened.listen(server);
  return { port, seen, server, clientErrors };
}

function pskConnect(impl: Tls, port: number, seen: Seen, options: Record<string, unknown> = {}, key: Buffer = KEY): nodeTls.TLSSocket {
  return opened.track(
    (impl.connect as typeof nodeTls.connect)({
      host: '127.0.0.1',
      port,
      ciphers: CIPHERS,
      checkServerIdentity: () => undefined,
      pskCallback: (hint: string | null) => {
        seen.hints.push(hint);
        return { psk: key, identity: IDENTITY };
      },
      ...options,
    } as nodeTls.ConnectionOptions),
  );
}

async function echo(socket: nodeTls.TLSSocket, text: string): Promise<string> {
  socket.write(text);
  const [data] = await once<Buffer>(socket, 'data');
  return data!.toString();
}

describe('PSK handshakes through the node:tls API', () => {
  for (const [serverName, serverImpl] of Object.entries(impls)) {
    for (const [clientName, clientImpl] of Object.entries(impls)) {
      if (serverName === 'node:tls' && clientName === 'node:tls') continue;
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        it(`${clientName} client -> ${serverName} server, ${version}, no certificate anywhere`, { timeout: 20_000 }, async () => {
          const hint = version === 'TLSv1.2' ? 'our hint' : undefined;
          const { port, seen } = await pskServer(serverImpl, hint ? { pskIdentityHint: hint } : {});
          const socket = pskConnect(clientImpl, port, seen, { maxVersion: version });
          await once(socket, 'secureConnect');
          assert.equal(socket.getProtocol(), version);
          // A SHA-256 key takes TLS_AES_128_GCM_SHA256 in TLS 1.3, and node's PSK+ECDHE first in TLS 1.2.
          assert.equal(socket.getCipher().standardName, version === 'TLSv1.3' ? 'TLS_AES_128_GCM_SHA256' : 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256');
          assert.deepEqual(seen.hints, [hint ?? null]);
          assert.deepEqual(seen.identities, [IDENTITY]);
          assert.equal(socket.authorized, true);
          assert.deepEqual(socket.getPeerCertificate(), {});
          // node:tls reports an external TLS 1.3 PSK as a reused session.
          assert.equal(socket.isSessionReused(), version === 'TLSv1.3');
          assert.equal(await echo(socket, 'ping'), 'ping');
          socket.destroy();
        });
      }
    }
  }

  it('typetls: a wrong key fails with illegal_parameter (TLS 1.3) and bad_record_mac (TLS 1.2), on both sides', { timeout: 20_000 }, async () => {
    for (const [version, serverCode, alert] of [
      ['TLSv1.3', 'ERR_SSL_BINDER_DOES_NOT_VERIFY', /ILLEGAL_PARAMETER$/],
      ['TLSv1.2', undefined, /BAD_RECORD_MAC$/],
    ] as const) {
      const { port, seen, clientErrors, server } = await pskServer(typetls);
      const failed = once(server, 'tlsClientError');
      const socket = pskConnect(typetls, port, seen, { maxVersion: version }, Buffer.from(WRONG_HEX, 'hex'));
      const [err] = await once<Error & { code?: string }>(socket, 'error');
      assert.match(err!.code ?? '', alert, `${version} client: ${err}`);
      await failed;
      const serverErr = clientErrors[0] as Error & { code?: string };
      if (serverCode) assert.equal(serverErr.code, serverCode);
      else assert.match(serverErr.code ?? '', alert, `${version} server: ${serverErr}`);
    }
  });

  it('typetls server: an unknown identity is unknown_psk_identity in TLS 1.2, handshake_failure in TLS 1.3 (no certificate to fall back to)', { timeout: 20_000 }, async () => {
    for (const [version, clientAlert, serverCode] of [
      ['TLSv1.2', /UNKNOWN_PSK_IDENTITY$/, 'ERR_SSL_PSK_IDENTITY_NOT_FOUND'],
      ['TLSv1.3', /HANDSHAKE_FAILURE$/, undefined],
    ] as const) {
      const { port, clientErrors, server } = await pskServer(typetls);
      const failed = once(server, 'tlsClientError');
      const socket = opened.track(nodeTls.connect({
        host: '127.0.0.1', port, ciphers: CIPHERS, maxVersion: version, checkServerIdentity: () => undefined,
        pskCallback: () => ({ psk: KEY, identity: 'stranger' }),
      }));
      const [err] = await once<Error & { code?: string }>(socket, 'error');
      assert.match(err!.code ?? '', clientAlert, `${version}: ${err}`);
      await failed;
      if (serverCode) assert.equal((clientErrors[0] as Error & { code?: string }).code, serverCode);
    }
  });
});

describe('PSK against openssl', () => {
  for (const [version, flag] of [['TLSv1.2', '-tls1_2'], ['TLSv1.3', '-tls1_3']] as const) {
    it(`openssl s_client -psk ${flag} -> typetls server`, { timeout: 20_000 }, async () => {
      const { port, seen } = await pskServer(typetls);
      const r = await runOpensslClient(
        ['-connect', `127.0.0.1:${port}`, flag, '-psk', KEY_HEX, '-psk_identity', IDENTITY, '-ign_eof'],
        { stdinData: 'hello over psk\n', timeoutMs: 10_000 },
      );
      const out = r.stdout.toString('latin1');
      assert.match(out, /hello over psk/, r.stderr);
      assert.match(out, version === 'TLSv1.3' ? /Cipher is TLS_AES_128_GCM_SHA256/ : /Cipher is (ECDHE-)?PSK-/);
      assert.match(out, /no peer certificate available/);
      assert.deepEqual(seen.identities, [IDENTITY]);
    });

    it(`openssl s_client -psk with a wrong key ${flag} -> typetls server: the alert`, { timeout: 20_000 }, async () => {
      const { port } = await pskServer(typetls);
      const r = await runOpensslClient(['-connect', `127.0.0.1:${port}`, flag, '-psk', WRONG_HEX, '-psk_identity', IDENTITY], {
        stdinData: 'x\n', timeoutMs: 10_000,
      });
      assert.match(r.stdout.toString('latin1') + r.stderr, version === 'TLSv1.3' ? /alert illegal parameter/ : /alert bad record mac/);
    });

    it(`typetls client -> openssl s_server -psk -nocert ${flag}`, { timeout: 20_000 }, async () => {
      const s = await startOpensslServer([flag, '-nocert', '-psk', KEY_HEX, '-psk_identity', IDENTITY, '-psk_hint', 'server hint', '-quiet']);
      try {
        const seen: Seen = { hints: [], identities: [] };
        const socket = pskConnect(typetls, s.port, seen, { maxVersion: version });
        await once(socket, 'secureConnect');
        assert.equal(socket.getProtocol(), version);
        assert.deepEqual(seen.hints, [version === 'TLSv1.2' ? 'server hint' : null]);
        socket.write('ping\n');
        await s.waitForStdout(5);
        assert.equal(s.stdout().toString(), 'ping\n');
        s.send(Buffer.from('pong'));
        const [data] = await once<Buffer>(socket, 'data');
        assert.equal(data!.toString(), 'pong');
        socket.destroy();
      } finally {
        await s.stop();
      }
    });

    it(`typetls client with a wrong key -> openssl s_server -psk -nocert ${flag}: the alert`, { timeout: 20_000 }, async () => {
      const s = await startOpensslServer([flag, '-nocert', '-psk', KEY_HEX, '-psk_identity', IDENTITY, '-quiet']);
      try {
        const socket = pskConnect(typetls, s.port, { hints: [], identities: [] }, { maxVersion: version }, Buffer.from(WRONG_HEX, 'hex'));
        const [err] = await once<Error & { code?: string }>(socket, 'error');
        // TLS 1.3: s_server finds no PSK whose binder verifies and no certificate; TLS 1.2: our Finished fails its MAC.
        assert.match(err!.code ?? '', version === 'TLSv1.3' ? /ILLEGAL_PARAMETER$/ : /BAD_RECORD_MAC$/, String(err));
      } finally {
        await s.stop();
      }
    });
  }
});

describe('PSK on the command line (--psk, --psk-identity, --psk-hint)', () => {
  it('typetls server --psk without a certificate <- openssl s_client -psk, TLS 1.2 and 1.3', { timeout: 30_000 }, async () => {
    const server = await startTypetlsServer(['--psk', KEY_HEX, '--psk-identity', IDENTITY, '--psk-hint', 'cli hint', '--ciphers', 'PSK-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256']);
    try {
      for (const [flag, line] of [['-tls1_2', 'version=TLSv1.2 cipher=TLS_PSK_WITH_AES_128_GCM_SHA256'], ['-tls1_3', 'version=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256']] as const) {
        const r = await runOpensslClient(['-connect', `127.0.0.1:${server.port}`, flag, '-psk', KEY_HEX, '-psk_identity', IDENTITY, '-quiet', '-ign_eof'], {
          stdinData: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000,
        });
        assert.match(r.stdout.toString('latin1'), new RegExp(line), r.stderr);
      }
    } finally {
      await server.stop();
    }
  });

  it('typetls client --psk -> openssl s_server -psk -nocert, TLS 1.3 and TLS 1.2', { timeout: 30_000 }, async () => {
    const s = await startOpensslServer(['-nocert', '-psk', KEY_HEX, '-psk_identity', IDENTITY, '-quiet']);
    try {
      const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
      for (const [extra, line] of [
        [[], 'protocol=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 resumed=yes'],
        [['--max-version', '1.2', '--ciphers', 'PSK-AES256-GCM-SHA384'], 'protocol=TLSv1.2 cipher=TLS_PSK_WITH_AES_256_GCM_SHA384'],
      ] as const) {
        const r = await runProcess(process.execPath, [main, 'client', `127.0.0.1:${s.port}`, '--psk', KEY_HEX, '--psk-identity', IDENTITY, ...extra], {
          stdinData: '', timeoutMs: 10_000,
        });
        assert.match(r.stderr, new RegExp(line), r.stderr);
      }
    } finally {
      await s.stop();
    }
  });

  it('--psk must be hex', async () => {
    const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
    const r = await runProcess(process.execPath, [main, 'client', '127.0.0.1:1', '--psk', 'xyz']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--psk takes 1 to 512 bytes in hex/);
  });
});

describe('pskCallback and pskIdentityHint as node checks them', () => {
  it('createServer and connect refuse a pskCallback that is not a function, and a hint that is not a string', () => {
    for (const impl of [typetls, nodeTls] as Tls[]) {
      assert.throws(() => (impl.createServer as typeof nodeTls.createServer)({ pskCallback: 5 } as never), {
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "options.pskCallback" property must be of type function. Received type number (5)',
      });
      assert.throws(() => (impl.createServer as typeof nodeTls.createServer)({ pskIdentityHint: 5 } as never), {
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "options.pskIdentityHint" property must be of type string. Received type number (5)',
      });
      assert.throws(() => (impl.connect as typeof nodeTls.connect)({ port: 1, pskCallback: 5 } as never), {
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "pskCallback" argument must be of type function. Received type number (5)',
      });
    }
  });

  const badClientReturns: [string, unknown, string, RegExp][] = [
    ['a string', 'str', 'ERR_INVALID_ARG_TYPE', /^The "ret" argument must be of type object\. Received type string \('str'\)$/],
    ['a psk that is no buffer', { psk: 'abc', identity: 'x' }, 'ERR_INVALID_ARG_TYPE', /^The "psk" argument must be an instance of Buffer, TypedArray, or DataView\./],
    ['an identity that is no string', { psk: KEY, identity: 5 }, 'ERR_INVALID_ARG_TYPE', /^The "identity" argument must be of type string\./],
    ['a 513-byte key', { psk: Buffer.alloc(513), identity: 'x' }, 'ERR_INVALID_ARG_VALUE', /^The argument 'psk' Pre-shared key exceeds 512 bytes\./],
    ['a 257-byte identity', { psk: KEY, identity: 'i'.repeat(257) }, 'ERR_INVALID_ARG_VALUE', /^The argument 'identity' PSK identity exceeds 256 bytes\./],
  ];
  for (const [what, ret, code, message] of badClientReturns) {
    it(`a client pskCallback returning ${what} fails the socket with ${code}, as node:tls does`, { timeout: 20_000 }, async () => {
      for (const impl of [typetls, nodeTls] as Tls[]) {
        const { port } = await pskServer(typetls);
        const socket = opened.track((impl.connect as typeof nodeTls.connect)({
          host: '127.0.0.1', port, ciphers: CIPHERS, maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined, pskCallback: () => ret as never,
        }));
        const [err] = await once<Error & { code?: string }>(socket, 'error');
        assert.equal(err!.code, code);
        assert.match(err!.message, message);
      }
    });
  }

  it('an exception in pskCallback fails the socket (client) or the handshake (server) with that very error', { timeout: 20_000 }, async () => {
    const boom = new Error('boom');
    const { port } = await pskServer(typetls);
    const client = opened.track(typetls.connect({ host: '127.0.0.1', port, ciphers: CIPHERS, pskCallback: () => { throw boom; } }));
    const [err] = await once<Error>(client, 'error');
    assert.equal(err, boom);

    const sboom = new Error('server boom');
    const { port: port2, server } = await pskServer(typetls, { pskCallback: () => { throw sboom; } });
    const failed = once<Error>(server, 'tlsClientError');
    const c2 = pskConnect(nodeTls, port2, { hints: [], identities: [] });
    c2.on('error', () => {});
    const [serverErr] = await failed;
    assert.equal(serverErr, sboom);
  });

  it('a server pskCallback may return { psk }; one returning a string fails the handshake with ERR_INVALID_ARG_TYPE', { timeout: 20_000 }, async () => {
    const { port, seen } = await pskServer(typetls, { pskCallback: () => ({ psk: KEY }) });
    const ok = pskConnect(nodeTls, port, seen);
    await once(ok, 'secureConnect');
    ok.destroy();

    const { port: port2, server } = await pskServer(typetls, { pskCallback: () => 'str' });
    const failed = once<Error & { code?: string }>(server, 'tlsClientError');
    pskConnect(nodeTls, port2, { hints: [], identities: [] }).on('error', () => {});
    const [err] = await failed;
    assert.equal(err!.code, 'ERR_INVALID_ARG_TYPE');
    assert.equal(err!.message, 'The "ret" argument must be an instance of Buffer, TypedArray, DataView, or Object. Received type string (\'str\')');
  });

  it('a hint of 256 bytes is sent; one of 257 fails each connection with ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED, as node:tls does', { timeout: 20_000 }, async () => {
    const { port, seen } = await pskServer(typetls, { pskIdentityHint: 'h'.repeat(256) });
    const ok = pskConnect(typetls, port, seen, { maxVersion: 'TLSv1.2' });
    await once(ok, 'secureConnect');
    assert.deepEqual(seen.hints, ['h'.repeat(256)]);
    ok.destroy();

    for (const impl of [typetls, nodeTls] as Tls[]) {
      const { port: port2, server } = await pskServer(impl, { pskIdentityHint: 'h'.repeat(257) });
      const failed = once<Error & { code?: string }>(server, 'tlsClientError');
      pskConnect(typetls, port2, { hints: [], identities: [] }).on('error', () => {});
      const [err] = await failed;
      assert.equal(err!.code, 'ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED');
      assert.equal(err!.message, 'Failed to set PSK identity hint');
    }
  });
});

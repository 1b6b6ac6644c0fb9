// The typetls command line, run as a user runs it (node dist/src/cli/main.js), against itself and openssl
// on 127.0.0.1. Every process started here is stopped by PID in `after`.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientCommand, demoCommand, serverCommand, topCommand, type CommandSpec } from '../src/cli/args.js';
import { makeTestPki, type TestPki } from './certs/make.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const children = new Set<ChildProcess>();
const temp = mkdtempSync(join(tmpdir(), 'typetls-cli-'));

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to its end with `input` on stdin. */
function run(command: string, args: readonly string[], input: Buffer | string = '', timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

const cli = (args: readonly string[], input: Buffer | string = '', timeoutMs?: number) => run(process.execPath, [main, ...args], input, timeoutMs);

/** Starts a long-running process and waits for a line on stdout matching `ready`. */
function start(command: string, args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not print ${ready}; stdout: ${out} stderr: ${err}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, stderr: () => err });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before it was ready; stderr: ${err}`));
    });
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    process.kill(child.pid!, signal);
  });
}

/** A port that was free a moment ago (for peers that cannot take port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const request = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
const lastLine = (text: string) => text.trim().split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';

describe('typetls help and usage errors', () => {
  const helps: Array<[string[], CommandSpec]> = [
    [['--help'], topCommand],
    [['-h'], topCommand],
    [['server', '--help'], serverCommand],
    [['client', '-h'], clientCommand],
    [['demo', '--help'], demoCommand],
    [['help', 'client'], clientCommand],
  ];
  for (const [args, spec] of helps) {
    it(`typetls ${args.join(' ')} exits 0 and names every option`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 0, r.stderr);
      const text = r.stdout.toString();
      for (const o of spec.options) assert.ok(text.includes(`--${o.name}`), `--${o.name} in ${args.join(' ')}`);
      assert.match(text, /Usage:/);
      for (const line of text.split('\n')) assert.ok(line.length <= 80, `wider than 80 columns: ${line}`);
    });
  }

  it('the top-level help names each command', async () => {
    const text = (await cli(['--help'])).stdout.toString();
    for (const c of ['server', 'client', 'demo']) assert.match(text, new RegExp(`^  ${c} `, 'm'));
  });

  const errors: Array<[string[], RegExp]> = [
    [['server', '--bogus'], /unknown option '--bogus'/],
    [['client', '127.0.0.1:1', '--nope=1'], /unknown option '--nope=1'/],
    [['demo', '--max-version', '1.1'], /must be one of 1\.2, 1\.3/],
    [['client'], /missing HOST:PORT/],
    [['client', 'no-port'], /not HOST:PORT/],
    [['server', '--port', '1'], /--cert and --key are required/],
    [['server', '--cert', 'a', '--cert', 'b', '--key', 'k'], /2 --cert but 1 --key/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /Usage:/],
  ];
  for (const [args, message] of errors) {
    it(`typetls ${args.join(' ') || '(nothing)'} exits 2 with a usage message`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stdout.length, 0);
    });
  }

  it('a missing certificate file is an error naming the option, exit 1', async () => {
    const r = await cli(['server', '--port', '0', '--cert', join(temp, 'missing.pem'), '--key', join(temp, 'missing.key')]);
    assert.equal(r.code, 1);
    assert.match(lastLine(r.stderr), /^error: .*--cert .*missing\.pem/);
  });
});

describe('typetls server --min-version 1.0 and bare-LF requests', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  let pki: TestPki;
  let server: ChildProcess;
  let port: number;

  before(async () => {
    pki = await makeTestPki();
    const s = await start(
      process.execPath,
      [main, 'server', '--host', '127.0.0.1', '--port', '0', '--cert', pki.rsaCert, '--key', pki.rsaKey, '--min-version', '1.0'],
      /^listening on 127\.0\.0\.1:(\d+)$/m,
    );
    server = s.child;
    port = Number(s.match[1]);
  });

  for (const [version, name] of [['1.0', 'TLSv1'], ['1.1', 'TLSv1\\.1']] as const) {
    it(`accepts a TLS ${version} client (--min-version ${version} on both sides)`, async () => {
      const r = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--min-version', version, '--max-version', version], request);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`^protocol=${name} `, 'm'));
      assert.match(r.stdout.toString(), new RegExp(`version=${name} `));
    });
  }

  it('answers openssl s_client sending GET / HTTP/1.0 with bare LF line ends (RFC 9112 Section 2.2)', async () => {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.caCert, '-servername', 'localhost', '-quiet'], 'GET / HTTP/1.0\n\n');
    assert.match(r.stdout.toString('latin1'), /^HTTP\/1\.1 200 OK\r$/m);
  });

  after(async () => {
    await stop(server);
  });
});

describe('typetls server and client', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  let pki: TestPki;
  let server: ChildProcess;
  let port: number;
  let serverErr: () => string;
  const keylog = join(temp, 'server-keylog.txt');

  before(async () => {
    pki = await makeTestPki();
    const s = await start(
      process.execPath,
      [main, 'server', '--host', '127.0.0.1', '--port', '0', '--cert', pki.rsaCert, '--key', pki.rsaKey, '--keylog', keylog],
      /^listening on 127\.0\.0\.1:(\d+)$/m,
    );
    server = s.child;
    port = Number(s.match[1]);
    serverErr = s.stderr;
  });

  it('prints the real port when started with --port 0', () => {
    assert.ok(port > 0 && port < 65536);
  });

  it('answers openssl s_client (TLS 1.2) with a 200 page naming version and cipher, then closes', async () => {
    const r = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', pki.caCert, '-servername', 'localhost', '-ign_eof'],
      request,
    );
    const out = r.stdout.toString('latin1');
    assert.equal(r.code, 0, out + r.stderr);
    assert.match(out, /HTTP\/1\.1 200 OK/);
    assert.match(out, /version=TLSv1\.2 /);
    assert.match(out, /cipher=TLS_[A-Z0-9_]+/);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    // -ign_eof returns only because the server closed after Connection: close.
    assert.match(readFileSync(keylog, 'latin1'), /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m, 'the key log line');
  });

  it('serves two requests on one connection', async () => {
    const two = 'GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n' + request;
    const r = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert], two);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString().match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.match(r.stderr, /^protocol=TLSv1\.[23] cipher=TLS_\w+ resumed=no alpn=none$/m);
  });

  it('echoes 1 MiB of binary data through the typetls client, byte for byte', async () => {
    const blob = randomBytes(1024 * 1024);
    const r = await cli(['client', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.caCert], blob, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, blob.length);
    assert.ok(r.stdout.equals(blob), 'the same bytes came back');
  });

  for (const version of ['1.2', '1.3']) {
    it(`saves a session with --sess-out and resumes it with --sess-in (TLS ${version})`, async () => {
      const sess = join(temp, `session-${version}.bin`);
      const common = ['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--min-version', version, '--max-version', version];
      // Only the request: the server's Connection: close ends the connection, after the TLS 1.3 ticket.
      const first = await cli([...common, '--sess-out', sess], request);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, new RegExp(`^protocol=TLSv${version.replace('.', '\\.')} .* resumed=no `, 'm'));
      assert.ok(statSync(sess).size > 0, 'a session was saved');
      const second = await cli([...common, '--sess-in', sess], request);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, new RegExp(`^protocol=TLSv${version.replace('.', '\\.')} .* resumed=yes `, 'm'));
      assert.match(second.stdout.toString(), /HTTP\/1\.1 200 OK/);
    });
  }

  it('--sess-out waits for the TLS 1.3 ticket even when stdin is already empty', async () => {
    const sess = join(temp, 'session-empty-stdin.bin');
    const first = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--sess-out', sess], '');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^protocol=TLSv1\.3 /m);
    assert.ok(statSync(sess).size > 0, 'a session was saved');
    const second = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--sess-in', sess], '');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resumed=yes/);
  });

  it('the server page names the key exchange group (X25519MLKEM768 by default in TLS 1.3, X25519 when asked)', async () => {
    const pq = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert], request);
    assert.equal(pq.code, 0, pq.stderr);
    assert.match(pq.stdout.toString(), /version=TLSv1\.3 cipher=TLS_\w+ group=X25519MLKEM768/);
    const x = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--groups', 'X25519'], request);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout.toString(), /version=TLSv1\.3 cipher=TLS_\w+ group=X25519\b/);
    const tls12 = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--max-version', '1.2', '--groups', 'P-256'], request);
    assert.equal(tls12.code, 0, tls12.stderr);
    // P-256 by node:tls's name for it, as getEphemeralKeyInfo() reports it.
    assert.match(tls12.stdout.toString(), /version=TLSv1\.2 cipher=TLS_ECDHE_\w+ group=prime256v1/);
  });

  it('refuses a server whose name does not match, exit 1 with an error line', async () => {
    const r = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert, '--servername', 'example.com'], request);
    assert.equal(r.code, 1);
    assert.match(lastLine(r.stderr), /^error: ERR_TLS_CERT_ALTNAME_INVALID: /);
    assert.equal(r.stdout.length, 0);
  });

  it('refuses a server from an unknown CA, and --insecure accepts it', async () => {
    const r = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.unknownCaCert], request);
    assert.equal(r.code, 1);
    assert.match(lastLine(r.stderr), /^error: \w+: .*(verify|issuer|self.?signed|unknown)/i);
    const insecure = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.unknownCaCert, '--insecure'], request);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stdout.toString(), /HTTP\/1\.1 200 OK/);
  });

  it('keeps serving after failed handshakes, with one stderr line each', async () => {
    const before = serverErr().split('\n').filter((l) => l.startsWith('handshake failed')).length;
    const r = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.unknownCaCert], request);
    assert.equal(r.code, 1);
    const ok = await cli(['client', `127.0.0.1:${port}`, '--ca', pki.caCert], request);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(serverErr().split('\n').filter((l) => l.startsWith('handshake failed')).length > before, serverErr());
  });

  it('reports an expired server certificate as CERT_HAS_EXPIRED', async () => {
    const s = await start(
      process.execPath,
      [main, 'server', '--port', '0', '--cert', pki.expiredCert, '--key', pki.expiredKey],
      /^listening on 127\.0\.0\.1:(\d+)$/m,
    );
    try {
      const r = await cli(['client', `127.0.0.1:${s.match[1]}`, '--ca', pki.caCert], request);
      assert.equal(r.code, 1);
      assert.match(lastLine(r.stderr), /^error: CERT_HAS_EXPIRED: .*expired/);
    } finally {
      assert.equal(await stop(s.child), 0, 'SIGTERM exits 0');
    }
  });

  it('the typetls client against openssl s_server -www -tls1_2', async () => {
    const p = await freePort();
    const s = await start(
      'openssl',
      ['s_server', '-accept', `127.0.0.1:${p}`, '-cert', pki.rsaCert, '-key', pki.rsaKey, '-www', '-tls1_2'],
      /^ACCEPT$/m,
    );
    try {
      const r = await cli(['client', `127.0.0.1:${p}`, '--ca', pki.caCert], 'GET / HTTP/1.0\r\n\r\n');
      assert.equal(r.code, 0, r.stderr);
      const page = r.stdout.toString('latin1');
      assert.match(page, /Protocol {2}: TLSv1\.2/);
      assert.match(page, /Cipher {4}: \S+/);
      assert.match(r.stderr, /^protocol=TLSv1\.2 cipher=TLS_\w+ resumed=no alpn=none$/m);
    } finally {
      await stop(s.child, 'SIGKILL');
    }
  });

  for (const version of ['1.2', '1.3']) {
    it(`the typetls client resumes against openssl s_server -www -tls${version.replace('.', '_')} (--sess-out, --sess-in)`, async () => {
      const p = await freePort();
      const flag = `-tls${version.replace('.', '_')}`;
      const s = await start('openssl', ['s_server', '-accept', `127.0.0.1:${p}`, '-cert', pki.rsaCert, '-key', pki.rsaKey, '-www', flag], /^ACCEPT$/m);
      try {
        const sess = join(temp, `openssl-session-${version}.bin`);
        const common = ['client', `127.0.0.1:${p}`, '--ca', pki.caCert, '--max-version', version];
        const first = await cli([...common, '--sess-out', sess], 'GET / HTTP/1.0\r\n\r\n');
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /resumed=no/);
        const second = await cli([...common, '--sess-in', sess], 'GET / HTTP/1.0\r\n\r\n');
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stderr, new RegExp(`^protocol=TLSv${version.replace('.', '\\.')} .* resumed=yes `, 'm'));
        assert.match(second.stdout.toString('latin1'), /Reused, TLSv1\.[23]/);
      } finally {
        await stop(s.child, 'SIGKILL');
      }
    });
  }

  it('stops on SIGTERM with exit status 0, closing open connections', async () => {
    const client = spawn(process.execPath, [main, 'client', `127.0.0.1:${port}`, '--ca', pki.caCert], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(client);
    let err = '';
    client.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => {
      const check = () => (/protocol=/.test(err) ? resolve() : setTimeout(check, 20));
      check();
    });
    const clientExit = new Promise<number | null>((resolve) => client.on('exit', (code) => resolve(code)));
    assert.equal(await stop(server), 0);
    // The server's close_notify ends the client cleanly although its stdin is still open.
    assert.equal(await clientExit, 0, err);
  });
});

describe('typetls demo', () => {
  it('runs a traced handshake and one request, and exits 0', async () => {
    const r = await cli(['demo', '--no-color'], '', 30_000);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    for (const item of ['Client Random', 'Server Random', 'Session ID', 'Cipher Suite', 'Certificate', 'Pre-Master-Secret', 'Master Secret', 'Client Write Key']) {
      assert.ok(out.includes(item), item);
    }
    assert.match(out, /client now holds/);
    assert.match(out, /server now holds/);
    assert.match(out, /Private Key +\(held, not shown\)/);
    assert.match(out, /Step 1 {2}client → ClientHello/);
    assert.match(out, /HTTP\/1\.1 200 OK/);
    assert.ok(!out.includes('\x1b['), 'no colors with --no-color');
    // The same master secret on both sides, in the boxes.
    const secrets = [...out.matchAll(/│ Master Secret +│\n│ +([0-9a-f]{64})/g)].map((m) => m[1]);
    assert.ok(secrets.length >= 2 && secrets.every((s) => s === secrets[0]), 'both sides hold one master secret');
    for (const line of out.split('\n')) assert.ok(line.length <= 80, `wider than 80 columns: ${line}`);
    assert.match(out, /--tls13/, 'the last lines point at the other modes');
    assert.match(out, /--resume/);
    assert.match(out, /--mtls/);
  });

  it('stops quietly when the reader closes the pipe early (typetls demo | head)', async () => {
    const child = spawn(process.execPath, [main, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0, err);
    assert.ok(!/EPIPE|at /.test(err), err);
  });

  /** Runs `typetls demo ARGS --no-color`, checks exit 0 and the 80-column width, returns stdout. */
  async function demo(args: readonly string[]): Promise<string> {
    const r = await cli(['demo', '--no-color', ...args], '', 30_000);
    assert.equal(r.code, 0, r.stderr + r.stdout.toString());
    const out = r.stdout.toString();
    for (const line of out.split('\n')) assert.ok(line.length <= 80, `wider than 80 columns: ${line}`);
    assert.match(out, /HTTP\/1\.1 200 OK/);
    return out;
  }

  /** The numbers and names of the steps the trace went through ('1 client ClientHello'). */
  const steps = (out: string) => [...out.matchAll(/^Step (\d+) +(client|server) → (\w+)/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);

  it('--tls13: key shares, the key schedule with traffic keys, the same secrets on both sides', async () => {
    const out = await demo(['--tls13']);
    assert.match(out, /^typetls demo: a TLS 1\.3 handshake/);
    assert.deepEqual(steps(out), [
      '1 client ClientHello', '2 server ServerHello', '3 server EncryptedExtensions', '4 server Certificate',
      '5 server CertificateVerify', '6 server Finished', '7 client Finished',
    ]);
    assert.match(out, /group +X25519MLKEM768\n +keyExchange[\s\S]*?1216 bytes in all/, 'the hybrid share in ClientHello');
    assert.match(out, /- group +x25519\n/, 'an X25519 share beside it');
    assert.match(out, /early secret\n.*\n +33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a/, 'the RFC 8448 early secret without PSK');
    for (const label of ['handshake secret', 'client handshake traffic secret', 'server handshake traffic secret', 'master secret',
      'client application traffic secret', 'server application traffic secret']) {
      assert.match(out, new RegExp(`^server derives the ${label} \\(32 bytes\\)`, 'm'), label);
      assert.match(out, new RegExp(`^client derives the same ${label} `, 'm'), `the client's ${label}`);
    }
    assert.match(out, /→ write key [0-9a-f]{32}\n +→ write IV +[0-9a-f]{24}/);
    assert.match(out, /Client Write Key +[0-9a-f]{32}/);
    assert.match(out, /client now holds · handshake complete/);
    assert.match(out, /version=TLSv1\.3 cipher=TLS_AES_128_GCM_SHA256 group=X25519MLKEM768/);
  });

  it('--resume: the TLS 1.2 abbreviated handshake, server Finished first, session ID echoed', async () => {
    const out = await demo(['--resume']);
    assert.deepEqual(steps(out), ['1 client ClientHello', '2 server ServerHello', '3 server Finished', '4 client Finished']);
    const offered = /Step 1 +client → ClientHello[\s\S]*?legacySessionId\n +([0-9a-f]{64})/.exec(out)?.[1];
    const echoed = /Step 2 +server → ServerHello[\s\S]*?legacySessionIdEcho\n +([0-9a-f]{64})/.exec(out)?.[1];
    assert.ok(offered && offered === echoed, 'the server echoes the offered session ID');
    assert.match(out, /Handshake complete: TLSv1\.2, \w+, resumed\./);
    assert.ok(!/Step \d+ +server → Certificate/.test(out), 'no certificate in the resumed handshake');
  });

  it('--tls13 --resume: PSK resumption without certificates', async () => {
    const out = await demo(['--tls13', '--resume']);
    assert.deepEqual(steps(out), [
      '1 client ClientHello', '2 server ServerHello', '3 server EncryptedExtensions', '4 server Finished', '5 client Finished',
    ]);
    assert.match(out, /- type +pre_shared_key/);
    assert.match(out, /early secret\n +'?= HKDF-Extract\(0, PSK\)/);
    assert.match(out, /Resumed +yes/);
    assert.match(out, /Handshake complete: TLSv1\.3, \w+, resumed\./);
  });

  for (const version of [[], ['--tls13']]) {
    it(`--mtls ${version.join(' ')}: CertificateRequest, the client's Certificate and CertificateVerify`, async () => {
      const out = await demo(['--mtls', ...version]);
      const names = steps(out).map((s) => s.replace(/^\d+ /, ''));
      for (const step of ['server CertificateRequest', 'client Certificate', 'client CertificateVerify']) assert.ok(names.includes(step), step);
      assert.match(out, /The server knows who the client is: CN=demo client/);
    });
  }

  it('refuses contradicting versions', async () => {
    const r = await cli(['demo', '--tls13', '--max-version', '1.2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /contradict/);
  });
});

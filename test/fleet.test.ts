// A fleet for real: two typetls server processes (examples/fleet/server.mjs) sharing the TLS 1.2
// session cache through a real Redis (redis-server, started here on 127.0.0.1 and a free port,
// stopped by its PID) over 'newSession' / 'resumeSession', and the TLS 1.3 ticket keys: a client
// that did a full handshake with server A resumes on server B, in both versions. With Redis
// stopped, handshakes still complete, as full handshakes, within their deadline. And a member
// whose private key is in a signer process (remote-key.mjs, 5 ms per operation).

import assert from 'node:assert/strict';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';

import { makeTestPki, type TestPki } from './certs/make.js';
import { freePort } from './interop/peers.js';
import { collect, once } from './node-sockets.js';

const serverScript = fileURLToPath(new URL('../../examples/fleet/server.mjs', import.meta.url));

let pki: TestPki;
let ca: string;
let redis: ChildProcess | undefined;
let redisPort: number;
const children: ChildProcess[] = [];
const ticketKeys = randomBytes(48).toString('hex');

async function startRedis(): Promise<void> {
  const found = spawnSync('redis-server', ['--version']);
  assert.equal(found.error, undefined, 'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)');
  redisPort = await freePort();
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    redis!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    redis!.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await exited;
}

interface Member {
  readonly name: string;
  readonly sessions: number;
  readonly tickets: number;
}

async function startMember(name: string, extra: Record<string, unknown> = {}): Promise<Member> {
  const config = { name, cert: pki.rsaCert, key: pki.rsaKey, ticketKeys, redis: { host: '127.0.0.1', port: redisPort }, ...extra };
  const child = fork(serverScript, [JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  const [message] = await once<{ listening: { sessions: number; tickets: number } }>(child, 'message', 20_000);
  return { name, ...message!.listening };
}

/** One connection: what the member answered, whether the client resumed, and the session it can resume next time. */
async function visit(port: number, options: tls.ConnectionOptions): Promise<{ line: string; reused: boolean; session: Buffer | undefined }> {
  const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', ...options });
  let session: Buffer | undefined;
  socket.on('session', (s: Buffer) => (session = s));
  await once(socket, 'secureConnect', 5_000);
  const reused = socket.isSessionReused();
  const line = (await collect(socket)).toString().trim();
  return { line, reused, session: session ?? socket.getSession() };
}

before(async () => {
  pki = await makeTestPki();
  ca = (await import('node:fs')).readFileSync(pki.caCert, 'utf8');
  await startRedis();
});
after(async () => {
  for (const child of children) if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await stopRedis();
});

describe('a fleet of two typetls servers', () => {
  let a: Member;
  let b: Member;
  before(async () => {
    [a, b] = await Promise.all([startMember('A'), startMember('B')]);
  });

  test('TLS 1.2: a session made on A, kept in Redis, resumes on B', async () => {
    const first = await visit(a.sessions, { maxVersion: 'TLSv1.2' });
    assert.equal(first.line, 'A TLSv1.2 reused=false');
    assert.ok(first.session);
    const client = new Redis({ host: '127.0.0.1', port: redisPort });
    try {
      assert.equal((await client.keys('tls:session:*')).length, 1, 'the session is in Redis');
    } finally {
      client.disconnect();
    }
    const second = await visit(b.sessions, { maxVersion: 'TLSv1.2', session: first.session });
    assert.equal(second.line, 'B TLSv1.2 reused=true');
    assert.equal(second.reused, true);
  });

  test('TLS 1.3: a ticket from A, sealed with the fleet\'s keys, resumes on B', async () => {
    const first = await visit(a.tickets, {});
    assert.equal(first.line, 'A TLSv1.3 reused=false');
    assert.ok(first.session);
    const second = await visit(b.tickets, { session: first.session });
    assert.equal(second.line, 'B TLSv1.3 reused=true');
    assert.equal(second.reused, true);
  });

  test('Redis stopped: handshakes complete as full handshakes, and nothing hangs', async () => {
    const before = await visit(a.sessions, { maxVersion: 'TLSv1.2' });
    assert.equal(before.line, 'A TLSv1.2 reused=false');
    await stopRedis();
    const started = Date.now();
    // B cannot look the session up: a full handshake. A cannot store its new session: the
    // handshake completes all the same (newSession's done() comes after the failed command).
    const onB = await visit(b.sessions, { maxVersion: 'TLSv1.2', session: before.session });
    assert.equal(onB.line, 'B TLSv1.2 reused=false');
    assert.equal(onB.reused, false);
    const fresh = await visit(a.sessions, { maxVersion: 'TLSv1.2' });
    assert.equal(fresh.line, 'A TLSv1.2 reused=false');
    // TLS 1.3 tickets need no cache.
    const ticket = await visit(a.tickets, {});
    const resumed = await visit(b.tickets, { session: ticket.session });
    assert.equal(resumed.line, 'B TLSv1.3 reused=true');
    assert.ok(Date.now() - started < 10_000, 'the handshakes did not wait for Redis');
  });
});

describe('a fleet member whose private key is in another process', () => {
  test('openssl s_client and node:tls verify it; the TLS 1.2 RSA key exchange decrypts there', async () => {
    // Redis may be stopped by now: this member's sessions only cost it full handshakes.
    const member = await startMember('S', { key: undefined, signerKeyFile: pki.rsaKey, signerLatencyMs: 5 });
    const viaNode = await visit(member.tickets, {});
    assert.equal(viaNode.line, 'S TLSv1.3 reused=false');
    const rsaKx = await visit(member.tickets, { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' });
    assert.equal(rsaKx.line, 'S TLSv1.2 reused=false');
    const run = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${member.tickets}`, '-tls1_3', '-CAfile', pki.caCert, '-verify_return_error', '-brief'], {
      input: '', timeout: 20_000, encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /Verification: OK/);
    assert.match(run.stderr, /Signature type: RSA-PSS/);
  });
});


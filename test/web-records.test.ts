// Application data records protected outside the engine: Connection.trafficKeys / skipRecords, and
// typetls/web's WebCrypto record path (src/web/records.ts) on Node's WebCrypto (globalThis.crypto.subtle).
//
// In memory: records opened and sealed with WebCrypto beside an engine pair, a KeyUpdate read by the
// engine in between (the keys change, the answer goes out after the records already sealed), and a
// corrupted record the engine refuses with bad_record_mac. Over a TCP socket as web streams, to openssl
// s_server: a download with WebCrypto used and with it disabled (TLS 1.3 and 1.2), KeyUpdates from
// s_server in the middle of the data, and a record corrupted in flight.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Connection, TrafficKeys } from '../src/connection.js';
import { TlsError } from '../src/errors.js';
import { suiteByName } from '../src/suites.js';

import { RecordSplitter, runtimeSubtle, WebCryptoRecords, type SubtleLike } from '../src/web/records.js';
import { connect, type ByteTransport } from '../src/web/socket.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys } from './pair.js';
import { readAll, readAllBytes, send, waitFor } from './web-helpers.js';
import { startOpensslServer, stopAllPeers } from './interop/peers.js';

const subtle = runtimeSubtle()!;

/** Node's WebCrypto, counting the records it opens and seals. */
function countingSubtle(): SubtleLike & { opened: number; sealed: number } {
  const decrypt = subtle.decrypt.bind(subtle);
  const encrypt = subtle.encrypt.bind(subtle);
  const counting = {
    opened: 0,
    sealed: 0,
    importKey: subtle.importKey.bind(subtle),
    decrypt: (...args: Parameters<SubtleLike['decrypt']>) => {
      counting.opened++;
      return decrypt(...args);
    },
    encrypt: (...args: Parameters<SubtleLike['encrypt']>) => {
      counting.sealed++;
      return encrypt(...args);
    },
  };
  return counting;
}

/** Whole records of `bytes`. */
function records(bytes: Uint8Array): Uint8Array[] {
  const splitter = new RecordSplitter();
  splitter.push(bytes);
  const out: Uint8Array[] = [];
  for (let r = splitter.next(); r !== undefined; r = splitter.next()) out.push(r);
  return out;
}

/** Opens `bytes` (whole records) at `conn` as typetls/web does: application data here, the rest through the engine. */
async function openAll(web: WebCryptoRecords, conn: Connection, bytes: Uint8Array): Promise<{ data: string; viaEngine: number }> {
  let data = '';
  let viaEngine = 0;
  for (const record of records(bytes)) {
    const keys = conn.trafficKeys('read');
    const plaintext = keys !== undefined ? await web.open(keys, keys.seq, record) : undefined;
    if (plaintext !== undefined) {
      conn.skipRecords('read', 1);
      data += new TextDecoder().decode(plaintext);
      continue;
    }
    viaEngine++;
    conn.receive(record);
    for (const event of conn.process()) {
      if (event.type === 'data') data += new TextDecoder().decode(event.data);
      if (event.type === 'error') throw event.error;
    }
  }
  return { data, viaEngine };
}

/** Seals `text` at `conn` with WebCrypto, as typetls/web does. */
async function sealText(web: WebCryptoRecords, conn: Connection, text: string): Promise<Uint8Array> {
  const keys = conn.trafficKeys('write')!;
  const data = new TextEncoder().encode(text);
  conn.skipRecords('write', WebCryptoRecords.recordCount(keys, data.length));
  return web.seal(keys, data);
}

function deliver(to: Connection, bytes: Uint8Array): string {
  to.receive(bytes);
  let data = '';
  for (const event of to.process()) {
    if (event.type === 'data') data += new TextDecoder().decode(event.data);
    if (event.type === 'error') throw event.error;
  }
  return data;
}

describe('Connection.trafficKeys and skipRecords, with WebCrypto AES-GCM beside an engine pair', () => {
  for (const [version, maxVersion] of [['TLS 1.3', 0x0304], ['TLS 1.2', 0x0303]] as const) {
    it(`${version}: records opened and sealed outside the engine interleave with the engine's own; a KeyUpdate changes the keys`, async () => {
      const k = await testKeys();
      const suite = version === 'TLS 1.3' ? 'TLS_AES_128_GCM_SHA256' : 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';
      const pair = Pair.create(makeClientConfig(k, { maxVersion, cipherSuites: [suiteByName(suite)!.id] }), makeServerConfig(k, { maxVersion }));
      pair.handshake();
      const web = new WebCryptoRecords(subtle);
      const { client, server } = pair;
      // TLS 1.3: the server's NewSessionTicket may still be on its way to the client; deliver it first.
      pair.run();
      const readKeys = client.trafficKeys('read')!;
      assert.equal(readKeys.version, maxVersion);
      assert.equal(readKeys.algorithm, 'AES-128-GCM');
      assert.equal(web.supports(readKeys), true);

      // The server's engine seals; the client opens with WebCrypto, then the engine reads the next one.
      server.write(new TextEncoder().encode('one'));
      server.write(new TextEncoder().encode('two'));
      const first = await openAll(web, client, server.takeOutput());
      assert.deepEqual(first, { data: 'onetwo', viaEngine: 0 });
      assert.equal(client.trafficKeys('read')!.seq, readKeys.seq + 2);
      server.write(new TextEncoder().encode('three'));
      assert.equal(deliver(client, server.takeOutput()), 'three', 'the engine reads at the sequence number after the skipped ones');

      // The client seals with WebCrypto; the server's engine opens; then the client's engine writes.
      assert.equal(deliver(server, await sealText(web, client, 'four')), 'four');
      client.write(new TextEncoder().encode('five'));
      assert.equal(deliver(server, client.takeOutput()), 'five');
      // Output not yet taken must go out first: no keys until it is.
      client.write(new TextEncoder().encode('six'));
      assert.equal(client.trafficKeys('write'), undefined);
      assert.throws(() => client.skipRecords('write', 1), (e: unknown) => e instanceof TlsError && e.code === 'ERR_TLS_INVALID_STATE');
      assert.equal(deliver(server, client.takeOutput()), 'six');

      if (version === 'TLS 1.3') {
        // The server moves to its next key and asks the client to do the same (RFC 8446 Section 4.6.3).
        const oldRead = client.trafficKeys('read')!;
        const oldWrite = client.trafficKeys('write')!;
        server.write(new TextEncoder().encode('before'));
        server.updateKeys(true);
        server.write(new TextEncoder().encode('after'));
        const updated = await openAll(web, client, server.takeOutput());
        assert.deepEqual(updated, { data: 'beforeafter', viaEngine: 1 }, 'the KeyUpdate goes to the engine; the record after it opens under the new key');
        assert.notDeepEqual(client.trafficKeys('read')!.key, oldRead.key);
        assert.equal(client.trafficKeys('write'), undefined, "the client's KeyUpdate answer is waiting to be taken");
        const answer = client.takeOutput();
        assert.equal(deliver(server, answer), '');
        const newWrite = client.trafficKeys('write')!;
        assert.notDeepEqual(newWrite.key, oldWrite.key);
        assert.equal(newWrite.seq, 0);
        server.write(new TextEncoder().encode('seven'));
        assert.deepEqual(await openAll(web, client, server.takeOutput()), { data: 'seven', viaEngine: 0 });
        assert.equal(deliver(server, await sealText(web, client, 'eight')), 'eight');
      }

      // A record changed in flight does not open here; the engine, given it as it came, refuses it.
      server.write(new TextEncoder().encode('nine'));
      const bad = server.takeOutput();
      bad[bad.length - 3]! ^= 1;
      const keys = client.trafficKeys('read')!;
      assert.equal(await web.open(keys, keys.seq, bad), undefined);
      client.receive(bad);
      const events = client.process();
      const failure = events.find((e) => e.type === 'error');
      assert.ok(failure && failure.type === 'error');
      assert.equal(failure.error.code, 'ERR_TLS_BAD_RECORD_MAC');
      assert.doesNotMatch(failure.error.message, /[0-9a-f]{32}/, 'no key material in the message');
      const alert = client.takeOutput();
      assert.ok(alert.length > 0, 'the bad_record_mac alert is sent');
      assert.equal(client.trafficKeys('read'), undefined);
      assert.equal(client.trafficKeys('write'), undefined);
    });
  }

  it('no keys before the handshake, and none for ChaCha20-Poly1305 records in WebCrypto', async () => {
    const k = await testKeys();
    const pair = Pair.create(makeClientConfig(k, { cipherSuites: [suiteByName('TLS_CHACHA20_POLY1305_SHA256')!.id] }), makeServerConfig(k));
    assert.equal(pair.client.trafficKeys('read'), undefined);
    assert.equal(pair.client.trafficKeys('write'), undefined);
    pair.handshake();
    const keys = pair.client.trafficKeys('write') as TrafficKeys;
    assert.equal(keys.algorithm, 'CHACHA20-POLY1305');
    assert.equal(new WebCryptoRecords(subtle).supports(keys), false);
  });
});

// --- typetls/web over TCP to openssl s_server ------------------------------------------------------

let dir: string;
let ca: string;
const file = new Uint8Array(1024 * 1024 + 12345).map((_, i) => (i * 7 + (i >> 11)) & 0xff);
before(async () => {
  const pki = (await testKeys()).pki;
  ca = readFileSync(pki.caCert, 'utf8');
  dir = mkdtempSync(join(tmpdir(), 'typetls-web-records-'));
  writeFileSync(join(dir, 'bulk.bin'), file);
});
after(async () => {
  await stopAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

const sockets: net.Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
});

/** A TCP connection as web streams; `alter` may change what the server sends before the client sees it. */
async function tcp(port: number, alter?: (chunk: Uint8Array, offset: number) => void): Promise<ByteTransport> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const web = Duplex.toWeb(socket) as unknown as ByteTransport;
  if (alter === undefined) return web;
  let offset = 0;
  const readable = web.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const copy = new Uint8Array(chunk);
        alter(copy, offset);
        offset += copy.length;
        controller.enqueue(copy);
      },
    }),
  );
  return { readable, writable: web.writable };
}

async function download(port: number, options: { webCrypto: boolean; subtle?: SubtleLike }): Promise<Uint8Array> {
  const socket = connect(await tcp(port), { servername: 'localhost', ca, webCrypto: options.webCrypto });
  await socket.opened;
  await send(socket, 'GET /bulk.bin HTTP/1.0\r\n\r\n');
  const all = await readAllBytes(socket);
  await socket.close();
  const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
  return body;
}

/** Replaces globalThis.crypto.subtle's record operations with counting ones while `f` runs. */
async function withCountingSubtle<T>(f: (counts: { opened: number; sealed: number }) => Promise<T>): Promise<T> {
  const real = globalThis.crypto.subtle as unknown as Record<string, unknown>;
  const counting = countingSubtle();
  const saved = { decrypt: real.decrypt, encrypt: real.encrypt };
  real.decrypt = counting.decrypt;
  real.encrypt = counting.encrypt;
  try {
    return await f(counting);
  } finally {
    real.decrypt = saved.decrypt;
    real.encrypt = saved.encrypt;
  }
}

describe('typetls/web with WebCrypto records, to openssl s_server', () => {
  for (const [version, flags] of [
    ['TLSv1.3', ['-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']],
    ['TLSv1.2', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']],
  ] as const) {
    it(`${version}: a 1 MiB download arrives whole with WebCrypto opening the records, and with webCrypto: false`, { timeout: 60_000 }, async () => {
      const pki = (await testKeys()).pki;
      const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, ...flags, '-WWW', '-quiet'], 10_000, { cwd: dir });
      try {
        await withCountingSubtle(async (counts) => {
          const body = await download(server.port, { webCrypto: true });
          assert.equal(Buffer.compare(body, file), 0);
          assert.ok(counts.opened >= 64, `WebCrypto opened ${counts.opened} records`);
          assert.ok(counts.sealed >= 1, 'the request was sealed with WebCrypto');
          const before = { ...counts };
          const again = await download(server.port, { webCrypto: false });
          assert.equal(Buffer.compare(again, file), 0);
          assert.deepEqual(counts, before, 'webCrypto: false uses no WebCrypto');
        });
      } finally {
        await server.stop();
      }
    });
  }

  it('TLSv1.3: KeyUpdates from s_server between data (one asking for ours) are followed, and our data after them arrives', { timeout: 60_000 }, async () => {
    const pki = (await testKeys()).pki;
    const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    try {
      await withCountingSubtle(async (counts) => {
        const socket = connect(await tcp(server.port), { servername: 'localhost', ca });
        await socket.opened;
        const reader = socket.readable.getReader();
        const readUntil = async (needle: string): Promise<string> => {
          let text = '';
          while (!text.includes(needle)) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`the stream ended before ${needle}`);
            text += new TextDecoder().decode(value);
          }
          return text;
        };
        /** s_server takes one command per read of its stdin: the next line goes once it has run this one. */
        const command = async (line: string, done: number): Promise<void> => {
          server.send(Buffer.from(line));
          await waitFor(() => (server.stdout().toString('utf8').match(/SSL_do_handshake -> 1/g)?.length ?? 0) >= done);
        };
        server.send(Buffer.from('first line\n'));
        await readUntil('first line');
        const openedBefore = counts.opened;
        // s_server: "k" sends KeyUpdate, "K" sends one that asks for ours (update_requested).
        await command('k\n', 1);
        server.send(Buffer.from('after k\n'));
        await readUntil('after k');
        await command('K\n', 2);
        server.send(Buffer.from('after K\n'));
        await readUntil('after K');
        assert.ok(counts.opened > openedBefore, 'records after the KeyUpdates were opened with WebCrypto');
        await send(socket, 'from the client after the KeyUpdate\n');
        await waitFor(() => server.stdout().includes('from the client after the KeyUpdate'));
        const report = server.stdout().toString('utf8');
        assert.match(report, /from the client after the KeyUpdate/, 's_server read our data under our next key');
        // s_server reports each "k"/"K" as the SSL_key_update() and SSL_do_handshake() it ran.
        assert.equal(report.match(/SSL_do_handshake -> 1/g)?.length, 2, report);
        reader.releaseLock();
        await socket.close();
      });
    } finally {
      await server.stop();
    }
  });

  it('TLSv1.3: a record changed in flight fails the connection with bad_record_mac, and s_server receives the alert', { timeout: 60_000 }, async () => {
    const pki = (await testKeys()).pki;
    const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    try {
      // Flip one bit well inside what s_server sends (past the handshake and the first records).
      const target = 60_000;
      const transport = await tcp(server.port, (chunk, offset) => {
        if (offset <= target && target < offset + chunk.length) chunk[target - offset]! ^= 0x10;
      });
      const socket = connect(transport, { servername: 'localhost', ca });
      await socket.opened;
      server.send(Buffer.alloc(200_000, 0x41));
      await assert.rejects(readAll(socket), (e: unknown) => e instanceof TlsError && e.code === 'ERR_TLS_BAD_RECORD_MAC' && /authentication failed/.test(e.message));
      await assert.rejects(socket.closed, (e: unknown) => e instanceof TlsError && e.code === 'ERR_TLS_BAD_RECORD_MAC');
      await waitFor(() => /alert bad record mac/.test(server.stderr()));
      // "ssl3_read_bytes:sslv3 alert bad record mac:...:SSL alert number 20"
      assert.match(server.stderr(), /alert bad record mac.*SSL alert number 20/, "s_server reports our alert");
    } finally {
      await server.stop();
    }
  });
});


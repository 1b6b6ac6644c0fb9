// Records the handshakes the fuzz tests use as seeds, as committed .hex files:
//
//   node dist/test/recorded/record.js --update
//
// - server.pem: an RSA-2048 key and a self-signed certificate for CN=localhost, made with openssl;
// - tls12-<name>.hex: a typetls client talking to a typetls server in memory (test/pair.ts), both
//   with seeded randoms (test/fuzz/harness.ts), so a fresh seeded server replays the client's
//   flights to the end for RSA key exchange; each conversation carries data both ways and close_notify;
// - tls13-*.hex: the same in TLS 1.3 ('# max-version 0x0304': the fuzz engines then allow 1.3);
// - openssl-clienthello.hex: the first flight of a real `openssl s_client -tls1_2`, captured on a
//   127.0.0.1 socket; openssl-clienthello-default.hex: the same without -tls1_2 (a TLS 1.3 hello);
// - chromium-clienthello.hex: the first flight of headless Chromium, captured the same way.
//
// `--only NAME` records (and with --update writes) that one file and keeps server.pem.
//
// Without --update it only prints what it would record. The tests read the committed files and never
// need openssl.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteByName } from '../../src/suites.js';
import { NamedGroup } from '../../src/wire/enums.js';
import {
  fuzzClientConfig, fuzzServerConfig, recordedDir, RECORD_CLIENT_SEED, RECORD_SERVER_SEED, seededProvider,
} from '../fuzz/harness.js';
import { findRecords, toHex } from '../fuzz/mutator.js';
import { Pair } from '../pair.js';

const update = process.argv.includes('--update');
const dir = recordedDir();

function makeServerPem(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'typetls-record-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '36500', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'),
    ], { stdio: 'pipe' });
    const pem = readFileSync(join(tmp, 'key.pem'), 'utf8') + readFileSync(join(tmp, 'cert.pem'), 'utf8');
    writeFileSync(dir + 'server.pem', pem);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One in-memory conversation, every flight written down in order. */
function recordPair(suiteName: string, groups: number[] | undefined, maxVersion = 0x0303): string {
  const suite = suiteByName(suiteName);
  if (!suite) throw new Error(`unknown suite ${suiteName}`);
  const lines: string[] = [
    `# typetls client <-> typetls server, ${maxVersion === 0x0304 ? 'TLS 1.3' : 'TLS 1.2'}, ${suiteName}${groups ? ` group 0x${groups[0]!.toString(16)}` : ''}`,
    `# suite 0x${suite.id.toString(16).padStart(4, '0')}`,
    `# max-version 0x${maxVersion.toString(16).padStart(4, '0')}`,
    `# client seed 0x${RECORD_CLIENT_SEED.toString(16)}, server seed 0x${RECORD_SERVER_SEED.toString(16)} (test/fuzz/harness.ts)`,
  ];
  const only = { maxVersion, cipherSuites: [suite.id], ...(groups ? { groups } : {}) };
  const pair = Pair.create(
    fuzzClientConfig(seededProvider(RECORD_CLIENT_SEED), only),
    fuzzServerConfig(seededProvider(RECORD_SERVER_SEED), only),
    'localhost',
    (from, bytes) => {
      lines.push(`${from} ${toHex(bytes)}`);
      return bytes;
    },
  );
  pair.handshake();
  pair.client.write(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  pair.run();
  pair.server.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  pair.run();
  pair.client.close();
  pair.run();
  pair.server.close();
  pair.run();
  return lines.join('\n') + '\n';
}

/**
 * The first flight of a real client (`command args…` with the URL or address of a 127.0.0.1 socket
 * appended by `argsFor`), read from that socket until a whole record is in.
 */
async function recordFirstFlight(
  header: string[], command: string, argsFor: (port: number) => string[],
): Promise<string> {
  const received: Buffer[] = [];
  const server = createServer();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const hello = await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ClientHello from ${command} within 20 s`)), 20_000);
      server.on('connection', (socket) => {
        socket.on('data', (d: Buffer) => {
          received.push(d);
          const all = new Uint8Array(Buffer.concat(received));
          const recs = findRecords(all);
          if (recs.length > 0) {
            clearTimeout(timer);
            const r = recs[0]!;
            resolve(all.slice(0, r.offset + 5 + r.length));
            socket.destroy();
          }
        });
        socket.on('error', () => {});
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        child = spawn(command, argsFor(port), { stdio: ['pipe', 'ignore', 'ignore'] });
        child.on('error', reject);
      });
    });
    return [...header, `client ${toHex(hello)}`, ''].join('\n');
  } finally {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill();
      await exited;
    }
    server.close();
  }
}

/** The first flight of `openssl s_client [-tls1_2]`. */
function recordOpensslClientHello(versionFlag: string | undefined): Promise<string> {
  const version = execFileSync('openssl', ['version']).toString().trim();
  return recordFirstFlight(
    [
      `# the first flight of \`openssl s_client ${versionFlag ? `${versionFlag} ` : ''}-servername localhost\` (${version}), captured on 127.0.0.1`,
      ...(versionFlag ? [] : ['# max-version 0x0304']),
    ],
    'openssl',
    (port) => ['s_client', '-connect', `127.0.0.1:${port}`, ...(versionFlag ? [versionFlag] : []), '-servername', 'localhost'],
  );
}

/**
 * The first flight of headless Chromium (Debian's `chromium`) loading https://localhost:P/: GREASE,
 * an X25519MLKEM768 key share, ECH GREASE, compressed certificates and the rest of a browser's hello.
 */
function recordChromiumClientHello(): Promise<string> {
  const version = execFileSync('chromium', ['--version']).toString().trim();
  const profile = mkdtempSync(join(tmpdir(), 'typetls-record-chromium-'));
  return recordFirstFlight(
    [`# the first flight of headless ${version} loading https://localhost:P/, captured on 127.0.0.1`, '# max-version 0x0304'],
    'chromium',
    (port) => [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`, '--host-resolver-rules=MAP localhost 127.0.0.1', '--dump-dom',
      `https://localhost:${port}/`,
    ],
  ).finally(() => rmSync(profile, { recursive: true, force: true }));
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

async function main(): Promise<void> {
  if (update && !only) makeServerPem();
  const recorders: Record<string, () => string | Promise<string>> = {
    'tls12-rsa-aes128gcm.hex': () => recordPair('AES128-GCM-SHA256', undefined),
    'tls12-rsa-aes128cbc.hex': () => recordPair('AES128-SHA', undefined),
    'tls12-ecdhe-x25519.hex': () => recordPair('ECDHE-RSA-AES128-GCM-SHA256', [NamedGroup.x25519]),
    'tls12-ecdhe-p256-chacha.hex': () => recordPair('ECDHE-RSA-CHACHA20-POLY1305', [NamedGroup.secp256r1]),
    'tls13-aes128gcm-x25519.hex': () => recordPair('TLS_AES_128_GCM_SHA256', [NamedGroup.x25519], 0x0304),
    'openssl-clienthello.hex': () => recordOpensslClientHello('-tls1_2'),
    'openssl-clienthello-default.hex': () => recordOpensslClientHello(undefined),
    'chromium-clienthello.hex': () => recordChromiumClientHello(),
  };
  for (const [name, record] of Object.entries(recorders)) {
    if (only !== undefined && name !== only) continue;
    const text = await record();
    const flights = text.split('\n').filter((l) => l.startsWith('client') || l.startsWith('server')).length;
    if (update) writeFileSync(dir + name, text);
    console.log(`${update ? 'wrote' : 'would write'} ${name}: ${flights} flights`);
  }
}

await main();

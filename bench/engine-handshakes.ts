// The server's handshake engine alone, in memory (or the client's, --side client): the µs a ServerConnection spends per handshake
// (its construction, receive(), process() and takeOutput(), timed around each call), against a
// ClientConnection whose own time is not counted (CPU time of the process, process.cpuUsage()). No socket, no stream, no event loop: what is
// left of a server's CPU per handshake once the Node adapter is taken away, measured in one
// process, so that other load on the machine moves it far less than the two-process benchmark.
//
//   node dist/bench/engine-handshakes.js [--count N] [--rounds N] [--only REGEX] [--side client]
//   (--side client: the client engine's µs instead, the server's not counted)
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/engine-handshakes.js --only PSK   (a profile of the engine alone)

import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type Connection } from '../src/connection.js';
import { suiteByName } from '../src/suites.js';
import { NamedGroup, ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, testKeys, type TestKeys } from '../test/pair.js';
import { median } from './common.js';

interface Scenario {
  name: string;
  client: Partial<ClientConfig>;
  server: (k: TestKeys) => Partial<ServerConfig>;
  /** Resume from a session captured in a first, uncounted handshake. */
  resume?: boolean;
}

const tls13: Partial<ClientConfig> = { minVersion: ProtocolVersion['TLSv1.3'], maxVersion: ProtocolVersion['TLSv1.3'], groups: [NamedGroup.x25519] };
const tls12: Partial<ClientConfig> = {
  minVersion: ProtocolVersion['TLSv1.2'], maxVersion: ProtocolVersion['TLSv1.2'], groups: [NamedGroup.x25519],
  cipherSuites: [suiteByName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')!.id],
};

const scenarios: Scenario[] = [
  { name: 'TLS 1.3 X25519 + RSA-2048, full', client: tls13, server: (k) => ({ certificates: [k.rsa] }) },
  { name: 'TLS 1.3 X25519 + ECDSA P-256, full', client: tls13, server: (k) => ({ certificates: [k.ecdsa] }) },
  { name: 'TLS 1.2 ECDHE-RSA-AES128-GCM, full', client: tls12, server: (k) => ({ certificates: [k.rsa] }) },
  { name: 'TLS 1.2 session ID, resumed', client: tls12, server: (k) => ({ certificates: [k.rsa], issueTickets: false }), resume: true },
  { name: 'TLS 1.2 ticket, resumed', client: tls12, server: (k) => ({ certificates: [k.rsa] }), resume: true },
  { name: 'TLS 1.3 PSK + X25519, resumed', client: tls13, server: (k) => ({ certificates: [k.rsa] }), resume: true },
];

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** One handshake; returns the µs of the side timed (the server's unless `timeClient`) and the client's last session. */
function handshake(
  clientConfig: ClientConfig, serverConfig: ServerConfig, session: Uint8Array | undefined, timeClient: boolean,
): { us: number; session: Uint8Array | undefined; resumed: boolean } {
  // CPU time, not wall-clock time: on a busy machine the process waits for a core now and then.
  let us = 0;
  let t = process.cpuUsage();
  const client = new ClientConnection(clientConfig, { serverName: 'localhost', ...(session ? { session } : {}) });
  if (timeClient) us += cpuSince(t);
  t = process.cpuUsage();
  const server: Connection = new ServerConnection(serverConfig);
  if (!timeClient) us += cpuSince(t);
  let latest: Uint8Array | undefined;
  for (let flights = 0; flights < 20; flights++) {
    t = process.cpuUsage();
    const c = client.takeOutput();
    if (timeClient) us += cpuSince(t);
    let s: Uint8Array = new Uint8Array(0);
    if (c.length > 0) {
      t = process.cpuUsage();
      server.receive(c);
      for (const e of server.process()) if (e.type === 'error') throw e.error;
      s = server.takeOutput();
      if (!timeClient) us += cpuSince(t);
    }
    if (s.length > 0) {
      t = process.cpuUsage();
      client.receive(s);
      for (const e of client.process()) {
        if (e.type === 'error') throw e.error;
        if (e.type === 'session') latest = e.session;
      }
      if (timeClient) us += cpuSince(t);
    }
    if (c.length === 0 && s.length === 0) break;
  }
  if (!server.handshakeComplete || !client.handshakeComplete) throw new Error('the handshake did not complete');
  return { us, session: latest, resumed: client.info.sessionReused };
}

async function main(argv: string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = Number(value('--count') ?? 200);
  const rounds = Number(value('--rounds') ?? 15);
  const only = value('--only');
  const side = value('--side') ?? 'server';
  if (side !== 'server' && side !== 'client') throw new Error('--side is server or client');
  const timeClient = side === 'client';
  const keys = await testKeys();
  console.log(`${side} engine alone, in memory: CPU µs per handshake (${rounds} rounds of ${count}, after ${count} of warm-up)`);
  for (const s of scenarios) {
    if (only !== undefined && !new RegExp(only, 'i').test(s.name)) continue;
    const clientConfig = makeClientConfig(keys, s.client);
    const serverConfig = makeServerConfig(keys, { ...s.client, ...s.server(keys) } as Partial<ServerConfig>);
    let session = s.resume ? handshake(clientConfig, serverConfig, undefined, timeClient).session : undefined;
    if (s.resume && !session) throw new Error(`${s.name}: no session to resume`);
    const run = (): number => {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const r = handshake(clientConfig, serverConfig, session, timeClient);
        if (s.resume && !r.resumed) throw new Error(`${s.name}: not resumed`);
        // A TLS 1.3 ticket is used once by a well-behaved client; take the newest.
        if (s.resume && r.session) session = r.session;
        total += r.us;
      }
      return total / count;
    };
    run();
    const figures = Array.from({ length: rounds }, run);
    // Other work on the machine only ever adds time: the fastest round is the least disturbed.
    console.log(`  ${s.name.padEnd(40)} ${Math.min(...figures).toFixed(0).padStart(6)} µs fastest round, ${median(figures).toFixed(0).padStart(6)} µs median`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});

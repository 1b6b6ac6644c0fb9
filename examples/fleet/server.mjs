// One member of a fleet of typetls servers (run several, on several machines or ports):
//   - TLS 1.2 sessions by ID live in a shared Redis (session-cache.mjs), so a client that did a
//     full handshake with one member resumes on another; the 'sessions' listener issues no tickets
//     so that TLS 1.2 clients resume by session ID;
//   - TLS 1.3 (and TLS 1.2) tickets are sealed with the fleet's shared ticket keys ('tickets');
//   - with `signerKeyFile`, the member holds no private key: a signer process does (remote-key.mjs).
// Each connection is answered with one line, "NAME PROTOCOL reused=true|false", and closed.
//
//   node examples/fleet/server.mjs '{"name":"A","cert":"server.pem","key":"server.key",
//     "ticketKeys":"<96 hex digits>","redis":{"host":"127.0.0.1","port":6379}}'
// It prints "listening sessions=PORT tickets=PORT" (and sends the same as an IPC message when forked).

import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { createServer } from 'typetls';
import { shareSessions } from './session-cache.mjs';
import { remoteKey, startSigner } from './remote-key.mjs';

const SSL_OP_NO_TICKET = 0x4000;
const config = JSON.parse(process.argv[2]);
const cert = readFileSync(config.cert, 'utf8');
const signer = config.signerKeyFile ? startSigner(config.signerKeyFile, config.signerLatencyMs ?? 5) : undefined;
const key = signer ? remoteKey(signer, config.publicKey ? readFileSync(config.publicKey, 'utf8') : cert) : readFileSync(config.key, 'utf8');
const ticketKeys = Buffer.from(config.ticketKeys, 'hex');

const redis = new Redis({
  host: config.redis.host,
  port: config.redis.port,
  enableOfflineQueue: false, // no queueing while Redis is away: the command fails, the handshake goes on
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 1000),
});
redis.on('error', () => {}); // reconnection is ioredis's; a failed command is reported where it is used

function answer(socket) {
  socket.end(`${config.name} ${socket.getProtocol()} reused=${socket.isSessionReused()}\n`);
}

const sessions = createServer({ cert, key, ticketKeys, maxVersion: 'TLSv1.2', secureOptions: SSL_OP_NO_TICKET }, answer);
shareSessions(sessions, redis, { onError: (err) => process.stderr.write(`${config.name}: session cache: ${err.message}\n`) });
const tickets = createServer({ cert, key, ticketKeys }, answer);

// Serve once the cache is reachable (or after 5 s without it: sessions then cost full handshakes
// until ioredis reconnects), so that the first clients' sessions are kept.
await new Promise((resolve) => {
  redis.once('ready', resolve);
  setTimeout(resolve, 5000).unref();
});

const listen = (server) => new Promise((resolve) => server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => resolve(server.address().port)));
const ports = { sessions: await listen(sessions), tickets: await listen(tickets) };
console.log(`listening sessions=${ports.sessions} tickets=${ports.tickets}`);
process.send?.({ listening: ports });

function stop() {
  sessions.close();
  tickets.close();
  redis.disconnect();
  signer?.kill();
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGTERM', stop);
process.on('disconnect', stop);

// An in-memory client↔server pair over the sans-I/O engine (no sockets):
// handshake(), transfer(), and tampering with bytes in flight.

import { readFileSync } from 'node:fs';
import { clientConfig, serverConfig, type CertifiedKey, type ClientConfig, type ConfigOptions, type ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { parseCertificate, type Certificate } from '../src/x509/certificate.js';
import { pemDecode } from '../src/x509/pem.js';
import { makeTestPki, type TestPki } from './certs/make.js';

export function loadChain(path: string): Certificate[] {
  return pemDecode(readFileSync(path, 'utf8'))
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.der));
}

export function loadCertifiedKey(certPath: string, keyPath: string): CertifiedKey {
  return { chain: loadChain(certPath), key: nodeCryptoProvider.loadPrivateKey(readFileSync(keyPath, 'utf8')) };
}

export interface TestKeys {
  readonly pki: TestPki;
  readonly roots: Certificate[];
  readonly rsa: CertifiedKey;
  readonly ecdsa: CertifiedKey;
  readonly client: CertifiedKey;
  readonly expired: CertifiedKey;
  readonly unknown: CertifiedKey;
}

let keys: Promise<TestKeys> | undefined;
export function testKeys(): Promise<TestKeys> {
  keys ??= makeTestPki().then((pki) => ({
    pki,
    roots: loadChain(pki.caCert),
    rsa: loadCertifiedKey(pki.rsaCert, pki.rsaKey),
    ecdsa: loadCertifiedKey(pki.ecdsaCert, pki.ecdsaKey),
    client: loadCertifiedKey(pki.clientCert, pki.clientKey),
    expired: loadCertifiedKey(pki.expiredCert, pki.expiredKey),
    unknown: loadCertifiedKey(pki.unknownCert, pki.unknownKey),
  }));
  return keys;
}

export function makeClientConfig(k: TestKeys, options: Partial<ClientConfig> = {}): ClientConfig {
  return clientConfig({ provider: nodeCryptoProvider, roots: k.roots, ...options } as ConfigOptions<ClientConfig>);
}

export function makeServerConfig(k: TestKeys, options: Partial<ServerConfig> = {}): ServerConfig {
  return serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa], roots: k.roots, ...options } as ConfigOptions<ServerConfig>);
}

/** Bytes in flight can be altered by a test: return the bytes to deliver instead. */
export type Tamper = (from: 'client' | 'server', bytes: Uint8Array) => Uint8Array;

export class Pair {
  readonly clientEvents: ConnectionEvent[] = [];
  readonly serverEvents: ConnectionEvent[] = [];

  constructor(readonly client: Connection, readonly server: Connection, private readonly tamper?: Tamper) {}

  static create(clientCfg: ClientConfig, serverCfg: ServerConfig, serverName = 'localhost', tamper?: Tamper): Pair {
    return new Pair(new ClientConnection(clientCfg, { serverName }), new ServerConnection(serverCfg), tamper);
  }

  /** Moves bytes both ways until neither side has anything to send. Returns the number of flights. */
  run(maxFlights = 50): number {
    let flights = 0;
    for (; flights < maxFlights; flights++) {
      const c = this.client.takeOutput();
      const s = this.server.takeOutput();
      if (c.length === 0 && s.length === 0) break;
      if (c.length) {
        this.server.receive(this.tamper ? this.tamper('client', c) : c);
        this.serverEvents.push(...this.server.process());
      }
      if (s.length) {
        this.client.receive(this.tamper ? this.tamper('server', s) : s);
        this.clientEvents.push(...this.client.process());
      }
    }
    return flights;
  }

  handshake(): void {
    this.run();
    if (!this.client.handshakeComplete || !this.server.handshakeComplete) {
      const err = this.client.error ?? this.server.error;
      throw new Error(`handshake did not complete: ${err ? `${err.code}: ${err.message}` : 'no error reported'}`);
    }
  }

  /** Data received by one side, joined. */
  received(side: 'client' | 'server'): Uint8Array {
    const events = side === 'client' ? this.clientEvents : this.serverEvents;
    const parts = events.filter((e): e is Extract<ConnectionEvent, { type: 'data' }> => e.type === 'data').map((e) => e.data);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  errors(side: 'client' | 'server') {
    const events = side === 'client' ? this.clientEvents : this.serverEvents;
    return events.filter((e): e is Extract<ConnectionEvent, { type: 'error' }> => e.type === 'error').map((e) => e.error);
  }
}

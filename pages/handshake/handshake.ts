// The handshake the page draws: a typetls client and a typetls server, both in the page on the
// portable crypto provider, joined by nothing but two byte queues. Every trace event both engines emit
// is kept in order (messages sent and received, what each side holds after each step, secrets, alerts);
// the page (main.ts) draws them. Synchronous and free of the DOM, so a test could run it anywhere.

import {
  ClientConnection, ServerConnection, clientConfig, serverConfig, parseCertificate, pemDecode, portableCryptoProvider as provider,
  namedGroupName, suiteByName, type CertifiedKey, type Connection, type ServerConfig, type TraceEvent,
} from '../../src/engine.js';
import type { Version } from '../../src/cli/outline.js';

/** The demo's certificates, made when the page was built: a CA, an RSA-2048 server certificate for localhost, an ECDSA client certificate. */
export interface PagePki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface Choice {
  readonly version: Version;
  /** 'ecdhe' or 'rsa' (TLS 1.2 only: the RSA key exchange). */
  readonly keyExchange: 'ecdhe' | 'rsa';
  readonly resume: boolean;
  readonly mtls: boolean;
}

/** One connection's run: its trace, in the order things happened, and the outcome. */
export interface Run {
  readonly events: TraceEvent[];
  readonly protocol: string;
  readonly cipher: string;
  readonly group: string | undefined;
  readonly resumed: boolean;
  readonly request: string;
  readonly response: string;
  /** The client's certificate subject as the server saw it (mutual TLS). */
  readonly clientSubject: string | undefined;
  /** Bytes on the wire, each way. */
  readonly bytes: { readonly client: number; readonly server: number };
}

const certs = (pem: string) => pemDecode(pem).map((b) => parseCertificate(b.der));
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Runs the handshake(s) the choice asks for; with `resume`, the first (full) run and then the resumed one. */
export function runHandshakes(pki: PagePki, choice: Choice): Run[] {
  const roots = certs(pki.caCert);
  const serverKey: CertifiedKey = { chain: certs(pki.serverCert), key: provider.loadPrivateKey(pki.serverKey) };
  const clientKey: CertifiedKey = { chain: certs(pki.clientCert), key: provider.loadPrivateKey(pki.clientKey) };
  let events: TraceEvent[] = [];
  const trace = (event: TraceEvent): void => {
    events.push(event);
  };
  const rsa = suiteByName('TLS_RSA_WITH_AES_128_GCM_SHA256')!;
  const server: ServerConfig = serverConfig({
    provider,
    trace,
    certificates: [serverKey],
    ...(choice.mtls ? { requestCert: true, rejectUnauthorized: true, roots } : {}),
  });
  const client = clientConfig({
    provider,
    trace,
    roots,
    maxVersion: choice.version === 'TLSv1.3' ? 0x0304 : 0x0303,
    ...(choice.keyExchange === 'rsa' && choice.version === 'TLSv1.2' ? { cipherSuites: [rsa.id] } : {}),
    ...(choice.mtls ? { certificates: [clientKey] } : {}),
  });

  const runs: Run[] = [];
  let session: Uint8Array | undefined;
  for (const round of choice.resume ? [1, 2] : [1]) {
    events = [];
    const c = new ClientConnection(client, { serverName: 'localhost', ...(round === 2 && session ? { session } : {}) });
    const s = new ServerConnection(server);
    const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
    let response = '';
    let requestSeen = '';
    const bytes = { client: 0, server: 0 };
    const drive = (): void => {
      for (let turn = 0; turn < 64; turn++) {
        const fromClient = c.takeOutput();
        const fromServer = s.takeOutput();
        if (fromClient.length === 0 && fromServer.length === 0) return;
        bytes.client += fromClient.length;
        bytes.server += fromServer.length;
        if (fromClient.length) {
          s.receive(fromClient);
          for (const e of s.process()) {
            if (e.type === 'error') throw e.error;
            if (e.type === 'data') {
              requestSeen += text(e.data);
              if (requestSeen.endsWith('\r\n\r\n')) {
                s.write(new TextEncoder().encode(answer(s, requestSeen)));
                s.close();
              }
            }
          }
        }
        if (fromServer.length) {
          c.receive(fromServer);
          for (const e of c.process()) {
            if (e.type === 'error') throw e.error;
            if (e.type === 'data') response += text(e.data);
            if (e.type === 'session') session = e.session;
            if (e.type === 'peerClosed') c.close();
          }
        }
      }
      throw new Error('the handshake did not settle');
    };
    drive();
    if (!c.handshakeComplete) throw new Error('the handshake did not complete');
    c.write(new TextEncoder().encode(request));
    drive();
    const info = c.info;
    const peer = s.info.peerCertificates[0];
    runs.push({
      events,
      protocol: info.protocol!,
      cipher: info.cipherSuite!.standardName,
      group: info.group === undefined ? undefined : namedGroupName(info.group),
      resumed: info.sessionReused,
      request,
      response,
      clientSubject: peer ? peer.subject.attributes.map((a) => `${a.shortName ?? a.oid}=${a.value}`).join(', ') : undefined,
      bytes,
    });
  }
  return runs;
}

function answer(s: Connection, request: string): string {
  const body = `Hello from the server in this page. You asked for ${request.split('\r\n')[0]} over ${s.info.protocol} with ${s.info.cipherSuite?.standardName}.\n`;
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

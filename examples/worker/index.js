// A Cloudflare Worker that queries PostgreSQL over TLS with a private CA and a client certificate.
//
// The Workers runtime's own TLS (`secureTransport: 'starttls'`) trusts only the public roots and cannot
// present a client certificate. Here the Worker opens a plain TCP socket with `connect()` from
// cloudflare:sockets, asks PostgreSQL for TLS (SSLRequest), and runs typetls over that same socket: the
// server's certificate is checked against DB_CA, and the Worker signs in with DB_CLIENT_CERT/DB_CLIENT_KEY
// (pg_hba.conf `hostssl ... cert`: no password). Then `SELECT 1` through the simple query protocol, and the
// answer as JSON.
//
// Settings (wrangler.json `vars`, and `wrangler secret put DB_CLIENT_KEY` for the key):
//   DB_HOST, DB_PORT           where PostgreSQL listens
//   DB_SERVERNAME              the name its certificate carries (default DB_HOST)
//   DB_USER, DB_NAME           the role (the client certificate's CN, for `cert` authentication) and database
//   DB_CA                      PEM of the CA that issued the server's certificate
//   DB_CLIENT_CERT             PEM of the client certificate (leaf first, then any intermediates)
//   DB_CLIENT_KEY              PEM of its private key (PKCS#8, PKCS#1 or SEC1)
//   DB_TLS_MAX_VERSION         optional: 'TLSv1.2' to stay below TLS 1.3

import { connect as connectTcp } from 'cloudflare:sockets';
import { connect as connectTls } from 'typetls/web';

export default {
  async fetch(request, env) {
    try {
      return Response.json(await selectOne(env));
    } catch (error) {
      return Response.json({ error: error.message, code: error.code }, { status: 502 });
    }
  },
};

/** Connects, signs in with the client certificate, runs SELECT 1 and reports what came back. */
async function selectOne(env) {
  const tcp = connectTcp({ hostname: env.DB_HOST, port: Number(env.DB_PORT) });
  let tls;
  try {
    await startTls(tcp);
    tls = connectTls(tcp, {
      servername: env.DB_SERVERNAME ?? env.DB_HOST,
      ca: env.DB_CA,
      cert: env.DB_CLIENT_CERT,
      key: env.DB_CLIENT_KEY,
      // PostgreSQL 17 checks this name when a client offers ALPN; earlier versions ignore it.
      ALPNProtocols: ['postgresql'],
      ...(env.DB_TLS_MAX_VERSION ? { maxVersion: env.DB_TLS_MAX_VERSION } : {}),
    });
    const info = await tls.opened; // rejects with node's code: SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID, ...
    const db = new Session(tls);
    const server = await db.startup({ user: env.DB_USER, database: env.DB_NAME, application_name: 'typetls-worker' });
    const result = await db.query('SELECT 1');
    await db.terminate();
    return {
      tls: {
        protocol: info.protocol,
        cipher: info.cipher,
        group: info.group,
        authorized: info.authorized,
        serverCertificate: commonName(info.peerCertificates[0]),
      },
      server,
      ...result,
    };
  } finally {
    // close_notify, or the alert that says why the handshake failed, goes out before the socket closes.
    await tls?.close();
    await tcp.close().catch(() => undefined);
  }
}

/**
 * SSLRequest (PostgreSQL protocol, "SSL Session Encryption"): the server answers one byte, 'S' to go on
 * with TLS on the same connection or 'N' to refuse. Nothing may follow that byte before the TLS handshake:
 * anything that did would be plaintext someone slipped in (CVE-2021-23222), so it is an error.
 */
async function startTls(tcp) {
  const writer = tcp.writable.getWriter();
  await writer.write(int32s(8, 80877103));
  writer.releaseLock();
  const reader = tcp.readable.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done || value.length === 0) throw new Error('the server closed the connection instead of answering SSLRequest');
  if (value[0] === 0x4e) throw new Error('the server does not accept TLS (it answered N to SSLRequest)');
  if (value[0] !== 0x53) throw new Error(`the server answered SSLRequest with 0x${value[0].toString(16)}, neither S nor N`);
  if (value.length > 1) throw new Error('the server sent data after accepting SSLRequest, before the TLS handshake');
}

/** The PostgreSQL frontend/backend protocol 3.0 over a TLS socket: startup, simple query, terminate. */
class Session {
  constructor(tls) {
    this.writer = tls.writable.getWriter();
    this.reader = tls.readable.getReader();
    this.buffered = new Uint8Array(0);
  }

  /** StartupMessage; the server's AuthenticationOk, its ParameterStatus messages, up to ReadyForQuery. */
  async startup(parameters) {
    const fields = [int32s(196608)]; // protocol 3.0
    for (const [name, value] of Object.entries(parameters)) fields.push(cstring(name), cstring(value));
    fields.push(new Uint8Array(1));
    const payload = concat(fields);
    await this.writer.write(concat([int32s(4 + payload.length), payload]));
    const server = {};
    for (;;) {
      const { type, body } = await this.message();
      if (type === 'R') {
        const code = view(body).getInt32(0);
        // 0 is AuthenticationOk; anything else asks for a password or SASL, which `cert` never does.
        if (code !== 0) throw new Error(`the server asks for authentication method ${code}; this Worker signs in with its certificate only`);
      } else if (type === 'S') {
        const [name, value] = cstrings(body);
        if (name === 'server_version') server.version = value;
      } else if (type === 'Z') {
        return server;
      }
      // 'K' (BackendKeyData) and 'N' (NoticeResponse) need nothing here.
    }
  }

  /** A simple Query: the columns' names, the rows as text, and the command tag. */
  async query(sql) {
    const text = cstring(sql);
    await this.writer.write(concat([new Uint8Array([0x51]), int32s(4 + text.length), text]));
    const columns = [];
    const rows = [];
    let command;
    for (;;) {
      const { type, body } = await this.message();
      if (type === 'T') {
        let at = 2;
        for (let i = 0; i < view(body).getInt16(0); i++) {
          const end = body.indexOf(0, at);
          columns.push(decoder.decode(body.subarray(at, end)));
          at = end + 1 + 18; // table OID, column number, type OID, size, modifier, format
        }
      } else if (type === 'D') {
        const row = [];
        let at = 2;
        for (let i = 0; i < view(body).getInt16(0); i++) {
          const length = view(body).getInt32(at);
          at += 4;
          row.push(length < 0 ? null : decoder.decode(body.subarray(at, at + length)));
          at += Math.max(length, 0);
        }
        rows.push(row);
      } else if (type === 'C') {
        command = cstrings(body)[0];
      } else if (type === 'Z') {
        return { columns, rows, command };
      }
    }
  }

  /** Terminate, then close_notify. */
  async terminate() {
    await this.writer.write(concat([new Uint8Array([0x58]), int32s(4)]));
    this.writer.releaseLock();
    this.reader.releaseLock();
  }

  /** The next backend message; an ErrorResponse becomes an Error carrying its SQLSTATE. */
  async message() {
    await this.fill(5);
    const type = String.fromCharCode(this.buffered[0]);
    const length = view(this.buffered).getInt32(1);
    if (length < 4) throw new Error(`the server sent a message of length ${length}`);
    await this.fill(1 + length);
    const body = this.buffered.subarray(5, 1 + length);
    this.buffered = this.buffered.subarray(1 + length);
    if (type === 'E') throw serverError(body);
    return { type, body };
  }

  async fill(size) {
    while (this.buffered.length < size) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error('the server closed the connection');
      this.buffered = concat([this.buffered, value]);
    }
  }
}

/** ErrorResponse fields: S severity, C SQLSTATE, M message (PostgreSQL, "Error and Notice Message Fields"). */
function serverError(body) {
  const fields = {};
  for (let at = 0; body[at] !== 0 && at < body.length; ) {
    const end = body.indexOf(0, at + 1);
    fields[String.fromCharCode(body[at])] = decoder.decode(body.subarray(at + 1, end));
    at = end + 1;
  }
  const error = new Error(`PostgreSQL: ${fields.S ?? 'ERROR'}: ${fields.M ?? 'no message'}`);
  error.code = fields.C;
  return error;
}

function commonName(certificate) {
  return certificate?.subject.attributes.find((a) => a.shortName === 'CN')?.value;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const view = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const cstring = (text) => concat([encoder.encode(text), new Uint8Array(1)]);

function cstrings(bytes) {
  const strings = decoder.decode(bytes).split('\0');
  return strings.slice(0, -1);
}

function int32s(...values) {
  const bytes = new Uint8Array(4 * values.length);
  values.forEach((v, i) => view(bytes).setInt32(4 * i, v));
  return bytes;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import {
  classifyFirstBytes,
  describeConnection,
  describeError,
  HttpRequestReader,
  httpResponse,
  serveHttpOrEcho,
  type CliTlsSocket,
} from './http.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('classifyFirstBytes', () => {
  it('sees a request line from the method and a space', () => {
    assert.equal(classifyFirstBytes(bytes('GET / HTTP/1.1\r\n')), 'http');
    assert.equal(classifyFirstBytes(bytes('HEAD ')), 'http');
    assert.equal(classifyFirstBytes(bytes('OPTIONS *')), 'http');
  });
  it('waits while the bytes may still become a method', () => {
    for (const p of ['', 'G', 'GE', 'GET', 'OPTION', 'P', 'PO']) assert.equal(classifyFirstBytes(bytes(p)), undefined, p);
  });
  it('echoes anything else', () => {
    for (const p of ['hello', 'GETX', 'get / HTTP/1.1', 'X', '\x16\x03\x01', 'GET\t/']) assert.equal(classifyFirstBytes(bytes(p)), 'echo', p);
  });
});

describe('HttpRequestReader', () => {
  const two = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

  it('reads pipelined requests in one chunk', () => {
    const r = new HttpRequestReader();
    const got = r.push(bytes(two));
    assert.deepEqual(got.map((q) => [q.method, q.target, q.keepAlive]), [['GET', '/a', true], ['GET', '/b', false]]);
    assert.deepEqual(got[0]!.headers, [['host', 'x']]);
    assert.equal(r.error, undefined);
  });

  it('reads the same requests fed one byte at a time', () => {
    const r = new HttpRequestReader();
    const got = [];
    for (const b of bytes(two)) got.push(...r.push(Uint8Array.of(b)));
    assert.deepEqual(got.map((q) => q.target), ['/a', '/b']);
  });

  it('takes a bare LF as a line end (RFC 9112 Section 2.2), alone or mixed with CRLF', () => {
    for (const text of ['GET / HTTP/1.0\n\n', 'GET / HTTP/1.0\nHost: x\n\n', 'GET / HTTP/1.0\r\nHost: x\n\r\n', '\nGET / HTTP/1.0\r\n\n']) {
      const r = new HttpRequestReader();
      const got = r.push(bytes(text));
      assert.deepEqual(got.map((q) => [q.method, q.target, q.version]), [['GET', '/', 'HTTP/1.0']], JSON.stringify(text));
      assert.equal(r.error, undefined);
    }
    const r = new HttpRequestReader();
    const got = [];
    for (const b of bytes('GET /a HTTP/1.1\nHost: x\n\nGET /b HTTP/1.1\n\n')) got.push(...r.push(Uint8Array.of(b)));
    assert.deepEqual(got.map((q) => [q.target, q.headers]), [['/a', [['host', 'x']]], ['/b', []]]);
  });

  it('applies the keep-alive rules of HTTP/1.0 and 1.1 (RFC 9112 Section 9.3)', () => {
    const keep = (head: string) => new HttpRequestReader().push(bytes(`${head}\r\n\r\n`))[0]!.keepAlive;
    assert.equal(keep('GET / HTTP/1.1'), true);
    assert.equal(keep('GET / HTTP/1.1\r\nConnection: Close'), false);
    assert.equal(keep('GET / HTTP/1.1\r\nConnection: keep-alive, close'), false);
    assert.equal(keep('GET / HTTP/1.0'), false);
    assert.equal(keep('GET / HTTP/1.0\r\nConnection: keep-alive'), true);
  });

  it('skips a body announced by Content-Length, across chunks', () => {
    const r = new HttpRequestReader();
    assert.deepEqual(r.push(bytes('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123')).length, 1);
    assert.deepEqual(r.push(bytes('45')).length, 0);
    const got = r.push(bytes('6789GET /next HTTP/1.1\r\n\r\n'));
    assert.deepEqual(got.map((q) => q.target), ['/next']);
  });

  const errors: Array<[string, string, number]> = [
    ['a malformed request line', 'GET /\r\n\r\n', 400],
    ['HTTP/2 on the request line', 'GET / HTTP/2.0\r\n\r\n', 505],
    ['a header line without a colon', 'GET / HTTP/1.1\r\nbroken\r\n\r\n', 400],
    ['a header name with a space', 'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n', 400],
    ['differing Content-Length values', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['a non-numeric Content-Length', 'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['a chunked body', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 501],
  ];
  for (const [what, text, status] of errors) {
    it(`refuses ${what} with ${status}`, () => {
      const r = new HttpRequestReader();
      assert.deepEqual(r.push(bytes(text)), []);
      assert.equal(r.error?.status, status);
      assert.deepEqual(r.push(bytes('GET / HTTP/1.1\r\n\r\n')), [], 'nothing is read after an error');
    });
  }

  it('refuses a head larger than 64 KiB with 431, even before it ends', () => {
    const r = new HttpRequestReader();
    r.push(bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(70_000)}`));
    assert.equal(r.error?.status, 431);
  });
});

describe('httpResponse', () => {
  it('frames a text body with Content-Length, and Connection: close when closing', () => {
    const r = httpResponse(200, 'OK', 'version=TLSv1.2\n', { close: true }).toString('latin1');
    assert.equal(
      r,
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\nversion=TLSv1.2\n',
    );
    const head = httpResponse(200, 'OK', 'abc', { close: false, head: true }).toString('latin1');
    assert.match(head, /Content-Length: 3\r\n\r\n$/);
    assert.doesNotMatch(head, /Connection/);
  });
});

/** A stand-in for a TLS socket: what the peer sends is pushed in, what the server writes is collected. */
class FakeSocket extends Duplex {
  written: Buffer[] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    cb();
  }
  override _final(cb: () => void): void {
    this.ended = true;
    cb();
  }
  get output(): Buffer {
    return Buffer.concat(this.written);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('serveHttpOrEcho', () => {
  it('answers each request on a kept-alive connection and closes after Connection: close', async () => {
    const s = new FakeSocket();
    let n = 0;
    serveHttpOrEcho(s, () => `page ${++n}\n`);
    s.push(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    await tick();
    assert.equal(s.ended, false);
    s.push(bytes('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n'));
    await tick();
    const text = s.output.toString('latin1');
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.match(text, /page 1\n.*page 2\n$/s);
    assert.equal(s.ended, true, 'end() after the Connection: close response');
  });

  it('answers a request split in tiny pieces, the method included', async () => {
    const s = new FakeSocket();
    serveHttpOrEcho(s, () => 'ok\n');
    for (const piece of ['G', 'E', 'T /', ' HTTP/1.1\r\n', 'Connection: close\r\n\r', '\n']) {
      s.push(bytes(piece));
      await tick();
    }
    assert.match(s.output.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok\n$/);
    assert.equal(s.ended, true);
  });

  it('echoes binary data byte for byte, in order', async () => {
    const s = new FakeSocket();
    serveHttpOrEcho(s, () => 'never\n');
    const data = Buffer.concat([bytes('GE'), Buffer.from([0, 255]), randomBytes(200_000)]);
    for (let i = 0; i < data.length; i += 7_001) {
      s.push(data.subarray(i, i + 7_001));
      await tick();
    }
    assert.ok(s.output.equals(data));
    assert.equal(s.ended, false, 'the echo ends only when the peer does');
  });

  it('answers a bad request with 400 and closes', async () => {
    const s = new FakeSocket();
    serveHttpOrEcho(s, () => 'never\n');
    s.push(bytes('GET nonsense\r\n\r\n'));
    await tick();
    assert.match(s.output.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close/);
    assert.equal(s.ended, true);
  });
});

describe('describeConnection', () => {
  const socket = (extra: Partial<CliTlsSocket>) =>
    ({
      getProtocol: () => 'TLSv1.2',
      getCipher: () => ({ name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2' }),
      alpnProtocol: false,
      ...extra,
    }) as unknown as CliTlsSocket;

  it('names version, cipher (IANA), group and ALPN when known', () => {
    assert.equal(
      describeConnection(socket({ getEphemeralKeyInfo: () => ({ type: 'ECDH', name: 'X25519', size: 253 }), alpnProtocol: 'http/1.1' })),
      'version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 group=X25519 alpn=http/1.1\n',
    );
  });

  it('leaves out the group when the socket cannot tell (node:tls servers return {})', () => {
    assert.equal(describeConnection(socket({ getEphemeralKeyInfo: () => ({}) })), 'version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n');
    assert.equal(describeConnection(socket({})), 'version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n');
  });
});

describe('describeError', () => {
  it('gives CODE: message on one line', () => {
    const e = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    assert.equal(describeError(e), 'CERT_HAS_EXPIRED: certificate has expired');
    assert.equal(describeError(new TypeError('two\n  lines')), 'TypeError: two lines');
    assert.equal(describeError('text'), 'Error: text');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createRenderer, friendlyLabel, renderTrace, toHex } from './render.js';
import type { TraceEvent } from '../trace.js';

const seq = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const holds: TraceEvent = {
  kind: 'holds',
  side: 'server',
  step: 'ExpectChangeCipherSpec',
  holds: {
    certificate: seq(700),
    publicKey: 'RSA 2048 bits',
    privateKey: { secret: seq(16, 0xa0) },
    version: 0x0303,
    clientRandom: seq(32, 1),
    serverRandom: seq(32, 2),
    sessionId: seq(32, 3),
    cipherSuite: 0xc02f,
    preMasterSecret: seq(48, 4),
    masterSecret: seq(48, 5),
    sessionKeys: { clientWriteKey: seq(16, 6), serverWriteKey: seq(16, 7), clientWriteIv: seq(4, 8), serverWriteIv: seq(4, 9), clientWriteMacKey: seq(20, 10) },
  },
};

describe('friendlyLabel', () => {
  it('turns camelCase names into the seed documents\' labels', () => {
    const cases: Array<[string, string]> = [
      ['version', 'Version'],
      ['clientRandom', 'Client Random'],
      ['sessionId', 'Session ID'],
      ['cipherSuite', 'Cipher Suite'],
      ['publicKey', 'Public Key'],
      ['privateKey', 'Private Key'],
      ['preMasterSecret', 'Pre-Master-Secret'],
      ['masterSecret', 'Master Secret'],
      ['sessionKeys', 'Session Keys'],
      ['clientWriteIv', 'Client Write IV'],
      ['serverWriteMacKey', 'Server Write MAC Key'],
      ['client_write_key', 'Client Write Key'],
      ['Already Friendly', 'Already Friendly'],
    ];
    for (const [name, label] of cases) assert.equal(friendlyLabel(name), label);
  });
});

describe('renderTrace: holds', () => {
  const text = renderTrace(holds);
  const lines = text.split('\n');

  it('is a box titled with the side and the step, every line the same width, at most 78', () => {
    assert.match(lines[0]!, /^┌─ server now holds · waiting for ChangeCipherSpec ─+┐$/);
    assert.match(renderTrace({ ...holds, step: 'Traffic' }).split('\n')[0]!, /^┌─ server now holds · Traffic ─+┐$/);
    assert.match(lines.at(-1)!, /^└─+┘$/);
    const width = lines[0]!.length;
    assert.ok(width <= 78);
    for (const l of lines) assert.equal(l.length, width, l);
    for (const l of lines.slice(1, -1)) assert.match(l, /^│ .* │$/);
  });

  it('lists the items with friendly labels, in the order given', () => {
    const order = ['Certificate', 'Public Key', 'Private Key', 'Version', 'Client Random', 'Server Random', 'Session ID', 'Cipher Suite', 'Pre-Master-Secret', 'Master Secret', 'Session Keys', 'Client Write Key', 'Server Write Key', 'Client Write IV', 'Server Write IV', 'Client Write MAC Key'];
    let at = -1;
    for (const label of order) {
      const i = text.indexOf(`│ ${label}`) >= 0 ? text.indexOf(`│ ${label}`) : text.indexOf(` ${label} `);
      assert.ok(i > at, `${label} after the previous item`);
      at = i;
    }
  });

  it('shows real values in hex, 32 bytes a line, and names versions and suites', () => {
    assert.ok(text.includes(toHex(seq(32, 1))), 'client random on one line');
    assert.ok(text.includes(toHex(seq(32, 4))) && text.includes(toHex(seq(16, 4 + 32))), 'pre-master secret: 32 + 16 bytes');
    assert.ok(text.includes(toHex(seq(16, 6))), 'client write key');
    assert.match(text, /Version +TLSv1\.2 \(0x0303\)/);
    assert.match(text, /Cipher Suite +TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \(0xc02f\)/);
    assert.match(text, /… 700 bytes in all/, 'a long certificate is cut, with its length');
  });

  it('never prints the private key', () => {
    assert.match(text, /Private Key +\(held, not shown\)/);
    assert.ok(!text.includes(toHex(seq(16, 0xa0))));
    assert.ok(!text.includes('secret'), 'not even its field names');
  });

  it('uses ANSI colors only when asked', () => {
    assert.ok(!text.includes('\x1b['));
    const colored = renderTrace(holds, { color: true });
    assert.ok(colored.includes('\x1b['));
    assert.equal(plain(colored), text);
  });
});

describe('renderTrace: messages', () => {
  const hello: TraceEvent = {
    kind: 'message',
    side: 'client',
    direction: 'sent',
    name: 'ClientHello',
    bytes: seq(190),
    fields: {
      legacyVersion: 0x0303,
      random: seq(32, 0x40),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0xc02f, 0xc030, 0x009c],
      extensions: [{ type: 'server_name', hostName: 'localhost' }, { type: 'supported_groups', namedGroups: [0x1d, 0x17] }],
    },
  };

  it('has a header with side, arrow and size, then the fields indented', () => {
    const lines = renderTrace(hello).split('\n');
    assert.equal(lines[0], 'client → ClientHello  (sent, 190 bytes)');
    assert.match(lines[1]!, /^ {4}legacyVersion +TLSv1\.2 \(0x0303\)$/);
    const text = lines.join('\n');
    assert.ok(text.includes(toHex(seq(32, 0x40))));
    assert.match(text, /legacySessionId +\(empty\)/);
    assert.match(text, /TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \(0xc02f\),\s+TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 \(0xc030\),/);
    assert.match(text, /- type +server_name\n +hostName +localhost/);
    assert.match(text, /namedGroups +x25519 \(0x001d\), secp256r1 \(0x0017\)/);
    for (const l of lines) assert.ok(l.length <= 80, l);
  });

  it('wraps byte strings at 32 bytes a line', () => {
    const text = renderTrace({ ...hello, fields: { certificate: seq(80) } });
    const hexLines = text.split('\n').filter((l) => /^\s+[0-9a-f]+$/.test(l)).map((l) => l.trim());
    assert.deepEqual(hexLines, [toHex(seq(32)), toHex(seq(32, 32)), toHex(seq(16, 64))]);
  });

  it('shows a received message in full, or as its header only when brief', () => {
    const received: TraceEvent = { ...hello, side: 'server', direction: 'received' };
    assert.equal(renderTrace(received, { receivedMessages: 'brief' }), 'server ← ClientHello  (received, 190 bytes)');
    assert.ok(renderTrace(received).split('\n').length > 5);
  });
});

describe('renderTrace: one-line events', () => {
  it('secret, record, alert and note are one line each', () => {
    const secret = renderTrace({ kind: 'secret', side: 'client', label: 'master_secret', value: seq(48) });
    assert.equal(secret, `client secret master_secret ${toHex(seq(48))}`);
    const short = renderTrace({ kind: 'secret', side: 'client', label: 'master_secret', value: seq(48) }, { oneLineWidth: 80 });
    assert.ok(short.length <= 80 && short.endsWith('… (48 bytes)'), short);
    assert.equal(
      renderTrace({ kind: 'record', side: 'server', direction: 'received', contentType: 23, length: 45, encrypted: true }),
      'server ← record application_data, 45 bytes, encrypted',
    );
    assert.equal(renderTrace({ kind: 'alert', side: 'server', direction: 'sent', level: 2, description: 40 }), 'server → alert fatal handshake_failure (40)');
    assert.equal(renderTrace({ kind: 'alert', side: 'client', direction: 'received', level: 1, description: 0 }), 'client ← alert warning close_notify (0)');
    assert.equal(renderTrace({ kind: 'note', side: 'server', text: 'server chose TLS 1.2' }), 'server · server chose TLS 1.2');
  });
});

describe('createRenderer', () => {
  it('writes each event and a newline, without colors on a non-terminal stream', () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const annotate = createRenderer(stream);
    annotate({ kind: 'note', side: 'client', text: 'hello' });
    annotate(holds);
    const out = chunks.join('');
    assert.ok(out.startsWith('client · hello\n┌─ server now holds'));
    assert.ok(out.endsWith('┘\n'));
    assert.ok(!out.includes('\x1b['));
  });

  it('colors a terminal unless NO_COLOR is set', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const chunks: string[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c.toString()));
    const saved = process.env['NO_COLOR'];
    try {
      delete process.env['NO_COLOR'];
      createRenderer(tty)({ kind: 'note', side: 'client', text: 'x' });
      process.env['NO_COLOR'] = '1';
      createRenderer(tty)({ kind: 'note', side: 'client', text: 'y' });
    } finally {
      if (saved === undefined) delete process.env['NO_COLOR'];
      else process.env['NO_COLOR'] = saved;
    }
    const [x, y] = chunks.join('').split('\n');
    assert.ok(x!.includes('\x1b['), 'colored on a terminal');
    assert.ok(!y!.includes('\x1b['), 'plain with NO_COLOR');
  });
});

describe('empty strings', () => {
  it('show as (empty), so a present but empty field is visible', () => {
    const event: TraceEvent = {
      kind: 'message', side: 'server', direction: 'sent', name: 'EncryptedExtensions',
      fields: { extensions: [{ type: 'server_name', hostName: '' }] }, bytes: seq(10),
    };
    assert.match(renderTrace(event), /hostName +\(empty\)/);
  });
});

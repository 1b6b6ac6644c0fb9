import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TlsError } from '../errors.js';
import { pemDecode, pemEncode } from './pem.js';

test('round trip at every length around the base64 padding cases', () => {
  for (let n = 0; n < 70; n++) {
    const der = new Uint8Array(randomBytes(n));
    const pem = pemEncode('CERTIFICATE', der);
    // Agrees with node's base64 and the 64-column rule of RFC 7468 Section 2.
    const body = pem.split('\n').slice(1, -2);
    assert.equal(body.join(''), Buffer.from(der).toString('base64'));
    assert.ok(body.every((l, i) => (i < body.length - 1 ? l.length === 64 : l.length <= 64)));
    const blocks = pemDecode(pem);
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0]!.label, 'CERTIFICATE');
    assert.deepEqual(blocks[0]!.der, der);
  }
});

test('several blocks with text around them, CRLF line ends', () => {
  const a = pemEncode('CERTIFICATE', Uint8Array.of(1, 2, 3));
  const b = pemEncode('PRIVATE KEY', Uint8Array.of(4, 5)).replace(/\n/g, '\r\n');
  const blocks = pemDecode(`subject=CN = x\n${a}junk between\n${b}trailing`);
  assert.deepEqual(
    blocks.map((x) => [x.label, Array.from(x.der)]),
    [
      ['CERTIFICATE', [1, 2, 3]],
      ['PRIVATE KEY', [4, 5]],
    ],
  );
  assert.deepEqual(pemDecode('no pem here'), []);
});

test('bad base64 and mismatched labels are decode_error', () => {
  const bad = [
    '-----BEGIN CERTIFICATE-----\nAQID!A==\n-----END CERTIFICATE-----',
    '-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----',
    '-----BEGIN CERTIFICATE-----\nA=ID\n-----END CERTIFICATE-----',
    '-----BEGIN CERTIFICATE-----\nAQJ=\n-----END CERTIFICATE-----', // non-zero bits under the padding
    '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END RSA PRIVATE KEY-----',
  ];
  for (const text of bad) {
    assert.throws(() => pemDecode(text), (e: unknown) => e instanceof TlsError && e.kind === 'decode_error', text);
  }
});

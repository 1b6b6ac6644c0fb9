import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { nodeCryptoProvider } from '../crypto/node.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { aead12Protection, aead13Protection, cbcProtection, nullProtection, type RecordProtection } from './protection.js';

const provider = nodeCryptoProvider;
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const bytes = (n: number, start = 0): Uint8Array => new Uint8Array(n).map((_, i) => (start + i) & 0xff);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

function throwsTls(fn: () => unknown, kind: string, message?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}
const badMac = (fn: () => unknown): void => throwsTls(fn, 'bad_record_mac', 'record authentication failed');

/** A provider whose random() returns fixed bytes (Go's zeroSource idea), for known answers. */
function fixedRandom(fill: number): CryptoProvider {
  return Object.assign(Object.create(nodeCryptoProvider) as CryptoProvider, { random: (n: number) => new Uint8Array(n).fill(fill) });
}

/** seq(8) + type + version + length, as RFC 5246 Section 6.2.3.1 builds it. */
function pseudoHeader(seq: number, type: number, version: number, length: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeBigUInt64BE(BigInt(seq), 0);
  b[8] = type;
  b.writeUInt16BE(version, 9);
  b.writeUInt16BE(length, 11);
  return b;
}

/** Every single-bit flip of `body` must fail to open. */
function eachBitFlipFails(p: RecordProtection, type: number, version: number, seq: number, body: Uint8Array): void {
  for (let i = 0; i < body.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const altered = body.slice();
      altered[i]! ^= 1 << bit;
      badMac(() => p.open(type, version, seq, altered));
    }
  }
}

describe('nullProtection', () => {
  it('passes bytes through and is not encrypted', () => {
    const data = bytes(10);
    assert.equal(nullProtection.encrypted, false);
    assert.equal(nullProtection.maxExpansion, 0);
    assert.deepEqual(nullProtection.seal(22, 0x0303, 0, data), data);
    assert.deepEqual(nullProtection.open(22, 0x0303, 5, data), { contentType: 22, plaintext: data });
  });
});

describe('aead12Protection: AES-GCM (RFC 5288)', () => {
  const key = bytes(16, 0x40);
  const salt = hex('a1a2a3a4');

  it('writes the sequence number as the explicit nonce and matches an independent AES-GCM computation', () => {
    const p = aead12Protection(provider, 'AES-128-GCM', key, salt);
    const plaintext = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
    const seq = 0x0102030405;
    const body = p.seal(23, 0x0303, seq, plaintext);
    const explicit = Buffer.alloc(8);
    explicit.writeBigUInt64BE(BigInt(seq));
    const c = createCipheriv('aes-128-gcm', key, Buffer.concat([salt, explicit]));
    c.setAAD(pseudoHeader(seq, 23, 0x0303, plaintext.length));
    const expected = Buffer.concat([explicit, c.update(plaintext), c.final(), c.getAuthTag()]);
    assert.deepEqual(Buffer.from(body), expected);
    assert.equal(body.length, plaintext.length + 24);
    assert.equal(p.maxExpansion, 24);
    assert.equal(p.encrypted, true);
  });

  it('round-trips, and a flipped bit anywhere, a wrong seq, type or version is bad_record_mac', () => {
    for (const algorithm of ['AES-128-GCM', 'AES-256-GCM'] as const) {
      const k = bytes(algorithm === 'AES-128-GCM' ? 16 : 32, 7);
      const sender = aead12Protection(provider, algorithm, k, salt);
      const receiver = aead12Protection(provider, algorithm, k, salt);
      const plaintext = bytes(37);
      const body = sender.seal(23, 0x0303, 9, plaintext);
      assert.deepEqual(receiver.open(23, 0x0303, 9, body), { contentType: 23, plaintext });
      eachBitFlipFails(receiver, 23, 0x0303, 9, body);
      badMac(() => receiver.open(23, 0x0303, 10, body));
      badMac(() => receiver.open(22, 0x0303, 9, body));
      badMac(() => receiver.open(23, 0x0302, 9, body));
      badMac(() => receiver.open(23, 0x0303, 9, body.subarray(0, body.length - 1)));
      badMac(() => receiver.open(23, 0x0303, 9, body.subarray(0, 23)));
      badMac(() => aead12Protection(provider, algorithm, k, hex('a1a2a3a5')).open(23, 0x0303, 9, body));
    }
  });

  it('seals and opens an empty fragment', () => {
    const p = aead12Protection(provider, 'AES-128-GCM', key, salt);
    const body = p.seal(23, 0x0303, 0, new Uint8Array(0));
    assert.equal(body.length, 24);
    assert.deepEqual(p.open(23, 0x0303, 0, body).plaintext, new Uint8Array(0));
  });

  it('refuses a salt that is not 4 bytes', () => {
    throwsTls(() => aead12Protection(provider, 'AES-128-GCM', key, bytes(12)), 'internal_error');
  });
});

describe('aead12Protection: ChaCha20-Poly1305 (RFC 7905)', () => {
  const key = bytes(32, 0x80);
  const iv = hex('070000004041424344454647');

  it('provider: the RFC 8439 Section 2.8.2 AEAD vector', () => {
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const aead = provider.aead('CHACHA20-POLY1305', key);
    const sealed = aead.seal(iv, hex('50515253c0c1c2c3c4c5c6c7'), plaintext);
    assert.equal(
      Buffer.from(sealed).toString('hex'),
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
        '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
        '3ff4def08e4b7a9de576d26586cec64b6116' + '1ae10b594f09e26a7e902ecbd0600691',
    );
  });

  it('uses nonce = IV XOR padded seq, no explicit nonce, and matches an independent computation', () => {
    const p = aead12Protection(provider, 'CHACHA20-POLY1305', key, iv);
    const plaintext = bytes(20);
    const seq = 0x1122334455;
    const body = p.seal(22, 0x0303, seq, plaintext);
    const nonce = Buffer.from(iv);
    const padded = Buffer.alloc(12);
    padded.writeBigUInt64BE(BigInt(seq), 4);
    for (let i = 0; i < 12; i++) nonce[i]! ^= padded[i]!;
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(pseudoHeader(seq, 22, 0x0303, plaintext.length), { plaintextLength: plaintext.length });
    const expected = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    assert.deepEqual(Buffer.from(body), expected);
    assert.equal(p.maxExpansion, 16);
    assert.deepEqual(p.open(22, 0x0303, seq, body), { contentType: 22, plaintext });
    eachBitFlipFails(p, 22, 0x0303, seq, body);
    badMac(() => p.open(22, 0x0303, seq + 1, body));
    badMac(() => p.open(22, 0x0303, seq, body.subarray(0, 15)));
  });

  it('refuses an IV that is not 12 bytes', () => {
    throwsTls(() => aead12Protection(provider, 'CHACHA20-POLY1305', key, bytes(4)), 'internal_error');
  });
});

describe('aead13Protection (RFC 8446 Section 5.2)', () => {
  // RFC 8448 Section 3 (Simple 1-RTT Handshake): the client's application traffic
  // key and IV, its first application_data record (50 bytes 00..31, seq 0) and its
  // close_notify alert (seq 1).
  const clientKey = hex('17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51');
  const clientIv = hex('5b 78 92 3d ee 08 57 90 33 e5 23 d9');
  const clientAppRecord = hex(`17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
    42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
    62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`);
  const clientAlertRecord = hex('17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3');
  // The server's application key and IV; its application_data record is seq 1 (after NewSessionTicket).
  const serverKey = hex('9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56');
  const serverIv = hex('cf 78 2b 88 dd 83 54 9a ad f1 e9 84');
  const serverAppRecord = hex(`17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
    32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
    fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d`);
  const serverAlertRecord = hex('17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9');

  it('opens the RFC 8448 records and seals the same bytes', () => {
    const client = aead13Protection(provider, 'AES-128-GCM', clientKey, clientIv);
    assert.equal(client.outerContentType, 23);
    assert.equal(client.maxExpansion, 256);
    assert.deepEqual(client.open(23, 0x0303, 0, clientAppRecord.subarray(5)), { contentType: 23, plaintext: bytes(50) });
    assert.deepEqual(client.seal(23, 0x0303, 0, bytes(50)), clientAppRecord.subarray(5));
    assert.deepEqual(client.open(23, 0x0303, 1, clientAlertRecord.subarray(5)), { contentType: 21, plaintext: hex('0100') });
    assert.deepEqual(client.seal(21, 0x0303, 1, hex('0100')), clientAlertRecord.subarray(5));

    const server = aead13Protection(provider, 'AES-128-GCM', serverKey, serverIv);
    assert.deepEqual(server.open(23, 0x0303, 1, serverAppRecord.subarray(5)), { contentType: 23, plaintext: bytes(50) });
    assert.deepEqual(server.open(23, 0x0303, 2, serverAlertRecord.subarray(5)), { contentType: 21, plaintext: hex('0100') });
  });

  it('a flipped bit, another seq or another header is bad_record_mac', () => {
    const client = aead13Protection(provider, 'AES-128-GCM', clientKey, clientIv);
    const body = clientAlertRecord.subarray(5);
    eachBitFlipFails(client, 23, 0x0303, 1, body);
    badMac(() => client.open(23, 0x0303, 0, body));
    badMac(() => client.open(23, 0x0301, 1, body));
    badMac(() => client.open(23, 0x0303, 1, body.subarray(0, 15)));
  });

  it('refuses an outer type other than application_data with unexpected_message', () => {
    const client = aead13Protection(provider, 'AES-128-GCM', clientKey, clientIv);
    throwsTls(() => client.open(22, 0x0303, 1, clientAlertRecord.subarray(5)), 'unexpected_message');
  });

  it('strips zero padding to find the real type; all zeros is unexpected_message', () => {
    const key = bytes(32, 3);
    const iv = bytes(12, 9);
    const p = aead13Protection(provider, 'CHACHA20-POLY1305', key, iv);
    const aead = provider.aead('CHACHA20-POLY1305', key);
    const sealInner = (inner: Uint8Array): Uint8Array =>
      aead.seal(iv, Uint8Array.of(23, 3, 3, 0, inner.length + 16), inner);
    // content 'hi' (2 bytes), type handshake, 10 zeros of padding
    const padded = sealInner(cat(hex('6869'), Uint8Array.of(22), new Uint8Array(10)));
    assert.deepEqual(p.open(23, 0x0303, 0, padded), { contentType: 22, plaintext: hex('6869') });
    // Zero bytes inside the content are kept: only the trailing ones are padding.
    const zeroContent = sealInner(cat(hex('000100'), Uint8Array.of(23), new Uint8Array(3)));
    assert.deepEqual(p.open(23, 0x0303, 0, zeroContent), { contentType: 23, plaintext: hex('000100') });
    throwsTls(() => p.open(23, 0x0303, 0, sealInner(new Uint8Array(5))), 'unexpected_message');
    throwsTls(() => p.open(23, 0x0303, 0, sealInner(new Uint8Array(0))), 'unexpected_message');
    // A protected change_cipher_spec, or an unknown inner type, is unexpected_message (RFC 8446 Section 5).
    throwsTls(() => p.open(23, 0x0303, 0, sealInner(Uint8Array.of(1, 20))), 'unexpected_message');
    throwsTls(() => p.open(23, 0x0303, 0, sealInner(Uint8Array.of(1, 24))), 'unexpected_message');
  });

  it('refuses an inner plaintext over 2^14 + 1 bytes with record_overflow', () => {
    const p = aead13Protection(provider, 'AES-256-GCM', bytes(32), bytes(12));
    const ok = p.seal(23, 0x0303, 0, new Uint8Array(16384));
    assert.equal(p.open(23, 0x0303, 0, ok).plaintext.length, 16384);
    const over = p.seal(23, 0x0303, 1, new Uint8Array(16385));
    throwsTls(() => p.open(23, 0x0303, 1, over), 'record_overflow');
  });
});

describe('cbcProtection', () => {
  const key = bytes(16, 0x10);
  const macKey = bytes(20, 0x20);
  const options = { algorithm: 'AES-128-CBC', key, macHash: 'sha1', macKey } as const;

  /** AES-128-CBC without padding, by node:crypto directly. */
  const cbcEncrypt = (iv: Uint8Array, data: Uint8Array): Buffer => {
    const c = createCipheriv('aes-128-cbc', key, iv);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(data), c.final()]);
  };
  const hmac = (data: Uint8Array): Buffer => createHmac('sha1', macKey).update(data).digest();

  /** A MAC-then-encrypt record built by hand: IV || ENC(content || MAC || padding). */
  function mteRecord(seq: number, content: Uint8Array, padding: Uint8Array, iv = new Uint8Array(16).fill(0x77), mac?: Uint8Array): Uint8Array {
    const tag = mac ?? hmac(cat(pseudoHeader(seq, 23, 0x0303, content.length), content));
    return cat(iv, cbcEncrypt(iv, cat(content, tag, padding)));
  }
  /** An encrypt-then-MAC record built by hand: IV || ENC(content || padding) || MAC. */
  function etmRecord(seq: number, content: Uint8Array, padding: Uint8Array, iv = new Uint8Array(16).fill(0x77)): Uint8Array {
    const encrypted = cat(iv, cbcEncrypt(iv, cat(content, padding)));
    return cat(encrypted, hmac(cat(pseudoHeader(seq, 23, 0x0303, encrypted.length), encrypted)));
  }

  it('MtE: matches a record built by hand (explicit IV from provider.random)', () => {
    const p = cbcProtection(fixedRandom(0x77), { ...options, encryptThenMac: false });
    const content = bytes(30);
    // 30 + 20 (MAC) = 50; 50 + 14 = 64: padding_length 13, written 14 times.
    const body = p.seal(23, 0x0303, 3, content);
    assert.deepEqual(Buffer.from(body), Buffer.from(mteRecord(3, content, new Uint8Array(14).fill(13))));
    assert.equal(p.maxExpansion, 16 + 20 + 256);
  });

  it('EtM: matches a record built by hand (RFC 7366)', () => {
    const p = cbcProtection(fixedRandom(0x77), { ...options, encryptThenMac: true });
    const content = bytes(16);
    const body = p.seal(23, 0x0303, 3, content);
    assert.deepEqual(Buffer.from(body), Buffer.from(etmRecord(3, content, new Uint8Array(16).fill(15))));
  });

  for (const encryptThenMac of [false, true]) {
    const name = encryptThenMac ? 'EtM' : 'MtE';
    it(`${name}: round-trips every length around the block size, and a flipped bit anywhere is bad_record_mac`, () => {
      const sender = cbcProtection(provider, { ...options, encryptThenMac });
      const receiver = cbcProtection(provider, { ...options, encryptThenMac });
      for (let n = 0; n <= 48; n++) {
        const content = bytes(n, n);
        const body = sender.seal(23, 0x0303, n, content);
        assert.equal((body.length - (encryptThenMac ? 20 : 0)) % 16, 0);
        assert.deepEqual(receiver.open(23, 0x0303, n, body), { contentType: 23, plaintext: content });
      }
      const body = sender.seal(22, 0x0303, 5, bytes(21));
      eachBitFlipFails(receiver, 22, 0x0303, 5, body);
      badMac(() => receiver.open(22, 0x0303, 6, body));
      badMac(() => receiver.open(23, 0x0303, 5, body));
      badMac(() => receiver.open(22, 0x0302, 5, body));
    });

    it(`${name}: lengths that are not whole blocks or too short are bad_record_mac`, () => {
      const p = cbcProtection(provider, { ...options, encryptThenMac });
      const body = p.seal(23, 0x0303, 0, bytes(40));
      badMac(() => p.open(23, 0x0303, 0, body.subarray(0, body.length - 1)));
      badMac(() => p.open(23, 0x0303, 0, body.subarray(1)));
      for (const n of [0, 15, 16, 20, 31, 32, 36]) badMac(() => p.open(23, 0x0303, 0, bytes(n)));
    });
  }

  it('MtE: accepts longer padding (up to 255, RFC 5246 Section 6.2.3.2)', () => {
    const p = cbcProtection(provider, { ...options, encryptThenMac: false });
    const content = bytes(12);
    // 12 + 20 = 32; 32 bytes of padding with value 31 make 64.
    assert.deepEqual(p.open(23, 0x0303, 0, mteRecord(0, content, new Uint8Array(32).fill(31))).plaintext, content);
    // 255 + 1 bytes of padding: 12 + 20 + 256 = 288.
    assert.deepEqual(p.open(23, 0x0303, 0, mteRecord(0, content, new Uint8Array(256).fill(255))).plaintext, content);
  });

  it('MtE: bad padding and a bad MAC give exactly the same error', () => {
    const p = cbcProtection(provider, { ...options, encryptThenMac: false });
    // 32 + 20 (MAC) + 12 = 64
    const content = bytes(32);
    const good = new Uint8Array(12).fill(11);
    assert.deepEqual(p.open(23, 0x0303, 0, mteRecord(0, content, good)).plaintext, content);
    const errors: unknown[] = [];
    const capture = (fn: () => unknown): void => {
      try {
        fn();
        assert.fail('should have thrown');
      } catch (e) {
        errors.push(e);
      }
    };
    // A padding byte that differs from the padding length.
    const badByte = good.slice();
    badByte[3] = 10;
    capture(() => p.open(23, 0x0303, 0, mteRecord(0, content, badByte)));
    // A padding length longer than the record.
    capture(() => p.open(23, 0x0303, 0, mteRecord(0, content, new Uint8Array(12).fill(200))));
    // Good padding, wrong MAC.
    capture(() => p.open(23, 0x0303, 0, mteRecord(0, content, good, undefined, new Uint8Array(20).fill(1))));
    // Good padding, MAC for another sequence number.
    capture(() => p.open(23, 0x0303, 1, mteRecord(0, content, good)));
    // Bad padding whose MAC still verifies once the padding is taken as a single byte:
    // content (11) || MAC (20) || 0x05 makes 32 bytes; 0x05 claims six padding bytes that are MAC bytes.
    const short = bytes(11);
    const tag = hmac(cat(pseudoHeader(0, 23, 0x0303, short.length), short));
    const iv = new Uint8Array(16).fill(0x77);
    capture(() => p.open(23, 0x0303, 0, cat(iv, cbcEncrypt(iv, cat(short, tag, Uint8Array.of(5))))));
    assert.equal(errors.length, 5);
    for (const e of errors) {
      assert.ok(e instanceof TlsError);
      assert.equal(e.kind, 'bad_record_mac');
      assert.equal(e.message, 'record authentication failed');
      assert.equal(e.code, 'ERR_TLS_BAD_RECORD_MAC');
    }
  });

  it('EtM: bad padding under a good MAC gives the same error as a bad MAC', () => {
    const p = cbcProtection(provider, { ...options, encryptThenMac: true });
    const content = bytes(8);
    assert.deepEqual(p.open(23, 0x0303, 0, etmRecord(0, content, new Uint8Array(8).fill(7))).plaintext, content);
    const badPadding = new Uint8Array(8).fill(7);
    badPadding[0] = 6;
    badMac(() => p.open(23, 0x0303, 0, etmRecord(0, content, badPadding)));
    badMac(() => p.open(23, 0x0303, 0, etmRecord(0, content, new Uint8Array(8).fill(9))));
    badMac(() => p.open(23, 0x0303, 1, etmRecord(0, content, new Uint8Array(8).fill(7))));
  });

  for (const encryptThenMac of [false, true]) {
    it(`TLS 1.0 implicit IV (${encryptThenMac ? 'EtM' : 'MtE'}): chains from the last ciphertext block, no IV on the wire`, () => {
      const implicitIv = bytes(16, 0xa0);
      const sender = cbcProtection(provider, { ...options, encryptThenMac, implicitIv, macHash: 'sha1' });
      const receiver = cbcProtection(provider, { ...options, encryptThenMac, implicitIv });
      const first = sender.seal(23, 0x0301, 0, bytes(10));
      const second = sender.seal(23, 0x0301, 1, bytes(10));
      // Same plaintext, different IVs: different ciphertexts.
      assert.notDeepEqual(first, second);
      // The first record is CBC under the initial IV, with no IV in front.
      const ciphertext = encryptThenMac ? first.subarray(0, first.length - 20) : first;
      assert.equal(ciphertext.length, encryptThenMac ? 16 : 32);
      if (!encryptThenMac) {
        const tag = hmac(cat(pseudoHeader(0, 23, 0x0301, 10), bytes(10)));
        assert.deepEqual(Buffer.from(first), cbcEncrypt(implicitIv, cat(bytes(10), tag, new Uint8Array(2).fill(1))));
      }
      assert.deepEqual(receiver.open(23, 0x0301, 0, first).plaintext, bytes(10));
      assert.deepEqual(receiver.open(23, 0x0301, 1, second).plaintext, bytes(10));
      // Out of order, the chain is broken.
      const other = cbcProtection(provider, { ...options, encryptThenMac, implicitIv });
      badMac(() => other.open(23, 0x0301, 1, second));
    });
  }

  it('works with SHA-256 MACs and AES-256', () => {
    const opts = { algorithm: 'AES-256-CBC', key: bytes(32), macHash: 'sha256', macKey: bytes(32, 1), encryptThenMac: false } as const;
    const sender = cbcProtection(provider, opts);
    const body = sender.seal(23, 0x0303, 0, bytes(100));
    assert.deepEqual(cbcProtection(provider, opts).open(23, 0x0303, 0, body).plaintext, bytes(100));
    assert.equal(sender.maxExpansion, 16 + 32 + 256);
  });
});

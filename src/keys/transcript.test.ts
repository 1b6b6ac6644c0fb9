import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { testProviders } from '../../test/providers.js';
import { TlsError } from '../errors.js';
import { Transcript } from './transcript.js';

const sha = (alg: string, ...parts: Uint8Array[]): Uint8Array => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const clientHello = Uint8Array.of(1, 0, 0, 3, 0xaa, 0xbb, 0xcc);
const serverHello = Uint8Array.of(2, 0, 0, 2, 0x11, 0x22);
const certificate = Uint8Array.of(11, 0, 0, 1, 0x33);

for (const provider of testProviders) {
  describe(`${provider.name} provider`, () => {
    describe('Transcript', () => {
      it('buffers messages until the hash is fixed, then hashes as it goes', () => {
        const t = new Transcript(provider);
        assert.equal(t.algorithm, undefined);
        t.add(clientHello);
        t.add(serverHello);
        assert.throws(() => t.hash(), (e: unknown) => e instanceof TlsError && e.kind === 'internal_error');
        t.startHash('sha256');
        assert.equal(t.algorithm, 'sha256');
        assert.deepEqual(t.hash(), sha('sha256', clientHello, serverHello));
        // hash() does not end the running hash.
        assert.deepEqual(t.hash(), sha('sha256', clientHello, serverHello));
        t.add(certificate);
        assert.deepEqual(t.hash(), sha('sha256', clientHello, serverHello, certificate));
      });

      it('uses the hash it is given (SHA-384)', () => {
        const t = new Transcript(provider);
        t.startHash('sha384');
        t.add(clientHello);
        assert.deepEqual(t.hash(), sha('sha384', clientHello));
      });

      it('refuses to fix the hash twice', () => {
        const t = new Transcript(provider);
        t.startHash('sha256');
        assert.throws(() => t.startHash('sha384'), (e: unknown) => e instanceof TlsError && e.kind === 'internal_error');
      });

      it('keeps the raw messages from before startHash when asked before it', () => {
        const t = new Transcript(provider);
        assert.throws(() => t.messages(), TlsError);
        t.add(clientHello);
        t.keepMessages();
        t.add(serverHello);
        t.startHash('sha256');
        t.add(certificate);
        assert.deepEqual(t.messages(), new Uint8Array([...clientHello, ...serverHello, ...certificate]));
      });

      it('keeps only later messages when asked after startHash', () => {
        const t = new Transcript(provider);
        t.add(clientHello);
        t.startHash('sha256');
        t.keepMessages();
        t.add(serverHello);
        assert.deepEqual(t.messages(), serverHello);
      });

      it('rollupForHelloRetry replaces ClientHello1 by message_hash (RFC 8446 Section 4.4.1)', () => {
        const hrr = Uint8Array.of(2, 0, 0, 1, 0x99);
        for (const [alg, len] of [['sha256', 32], ['sha384', 48]] as const) {
          const t = new Transcript(provider);
          t.keepMessages();
          t.add(clientHello);
          t.startHash(alg);
          t.rollupForHelloRetry();
          t.add(hrr);
          const messageHash = new Uint8Array([254, 0, 0, len, ...sha(alg, clientHello)]);
          assert.deepEqual(t.hash(), sha(alg, messageHash, hrr));
          assert.deepEqual(t.messages(), new Uint8Array([...messageHash, ...hrr]));
        }
      });

      it('rollupForHelloRetry needs the hash fixed', () => {
        const t = new Transcript(provider);
        t.add(clientHello);
        assert.throws(() => t.rollupForHelloRetry(), (e: unknown) => e instanceof TlsError && e.kind === 'internal_error');
      });
    });
  });
}

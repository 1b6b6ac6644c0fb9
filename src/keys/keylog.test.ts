import assert from 'node:assert/strict';
import { it } from 'node:test';
import { keyLogLine } from './keylog.js';

it('keyLogLine writes LABEL <client random hex> <secret hex> in lowercase, without a newline', () => {
  const clientRandom = new Uint8Array(32).map((_, i) => i * 8);
  const secret = Uint8Array.of(0xab, 0xcd, 0x00, 0x0f);
  assert.equal(
    keyLogLine('CLIENT_RANDOM', clientRandom, secret),
    'CLIENT_RANDOM 0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0f8 abcd000f',
  );
  assert.equal(keyLogLine('SERVER_TRAFFIC_SECRET_0', Uint8Array.of(0xff), Uint8Array.of(0x0a)), 'SERVER_TRAFFIC_SECRET_0 ff 0a');
});

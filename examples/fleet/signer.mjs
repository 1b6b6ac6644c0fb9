// The key's own process: it alone reads the private key, and answers sign / decrypt requests
// over IPC after an added latency (argv: KEY_FILE [LATENCY_MS]), as a network HSM or KMS would.

import { constants, createPrivateKey, privateDecrypt, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const key = createPrivateKey(readFileSync(process.argv[2], 'utf8'));
const latencyMs = Number(process.argv[3] ?? 5);

/** A signature for a TLS signature scheme name (RFC 8446): the hash and padding it names. */
function signFor(scheme, data) {
  const hash = /sha(1|256|384|512)$/.exec(scheme)?.[0] ?? null;
  if (scheme.startsWith('rsa_pss')) {
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  return sign(scheme === 'ed25519' ? null : hash, data, key);
}

process.on('message', ({ id, operation, scheme, data }) => {
  setTimeout(() => {
    try {
      const result = operation === 'sign'
        ? signFor(scheme, data)
        : privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, data); // raw RSA: typetls checks the padding
      process.send({ id, result: new Uint8Array(result) });
    } catch (e) {
      process.send({ id, error: e instanceof Error ? e.message : String(e) });
    }
  }, latencyMs);
});
process.on('disconnect', () => process.exit(0));

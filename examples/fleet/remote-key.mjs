// A private key held by another process (signer.mjs standing in for an HSM or a cloud KMS): the
// server holds only the public key and a signer object that asks the key's process for each
// signature over IPC. The handshake of that connection waits; the server goes on serving others.

import { fork } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** Starts the signer process for `keyFile` (PEM), adding `latencyMs` to each operation. */
export function startSigner(keyFile, latencyMs = 5) {
  return fork(fileURLToPath(new URL('./signer.mjs', import.meta.url)), [keyFile, String(latencyMs)], { serialization: 'advanced' });
}

/** The signer object typetls takes as `key`: the public key, and sign() / decrypt() through the signer process. */
export function remoteKey(child, publicKeyPem) {
  let next = 0;
  const pending = new Map();
  child.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (error) p.reject(new Error(error));
    else p.resolve(result);
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('the signer process is gone'));
    pending.clear();
  });
  const ask = (operation, scheme, data) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ id, operation, scheme, data });
    });
  return {
    publicKey: createPublicKey(publicKeyPem),
    sign: (scheme, data) => ask('sign', scheme, data),
    decrypt: (ciphertext) => ask('decrypt', undefined, ciphertext),
  };
}

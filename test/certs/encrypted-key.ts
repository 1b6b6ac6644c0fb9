// Passphrase-encrypted PEM keys for the tests that check node:tls's error for a wrong passphrase.
//
// A key encrypted with a random salt and IV decrypts under a wrong passphrase to valid CBC padding
// about once in 256 tries; OpenSSL then reports the garbage as an unsupported key
// (ERR_OSSL_UNSUPPORTED) instead of a bad decrypt, for node:crypto and so for typetls. The tests
// take an encryption for which the wrong passphrases they try are a bad decrypt, as almost always.

import { createPrivateKey } from 'node:crypto';

/** true when every one of `wrong` fails to decrypt `pem` with ERR_OSSL_BAD_DECRYPT in node:crypto. */
export function wrongPassphrasesAreBadDecrypt(pem: string, wrong: readonly string[]): boolean {
  return wrong.every((passphrase) => {
    try {
      createPrivateKey({ key: pem, passphrase });
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ERR_OSSL_BAD_DECRYPT';
    }
  });
}

/**
 * `encrypt()` called again until its PEM is one for which each of `wrong` (by default a wrong
 * passphrase and the empty one, which is what a key given without any is tried with) is a bad decrypt.
 */
export function encryptedKeyWithBadDecrypt(encrypt: () => string, wrong: readonly string[] = ['wrong', '']): string {
  for (;;) {
    const pem = encrypt();
    if (wrongPassphrasesAreBadDecrypt(pem, wrong)) return pem;
  }
}

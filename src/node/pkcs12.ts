// PKCS#12 (RFC 7292), as node's `pfx` option takes it: the private key and the certificates of
// a .pfx/.p12 file made by `openssl pkcs12 -export` and the like.
//
// node:crypto cannot read PKCS#12, and the libraries that can are either asynchronous (PKI.js,
// on WebCrypto: a SecureContext is made synchronously) or read keys other than RSA poorly
// (node-forge). This reader is small and strict: DER through src/x509/der.ts, every primitive
// from node:crypto (HMAC, PBKDF2, AES-CBC, 3DES-CBC), the PKCS#12 key derivation of RFC 7292
// Appendix B written out. It reads what OpenSSL writes: the MAC (SHA-1 or SHA-2 HMAC), data and
// encryptedData contents, PBES2 (PBKDF2 with AES-CBC, OpenSSL 3's default) and the PKCS#12 PBEs
// with 3DES (`-legacy`'s key, and older files'). RC2 (`-legacy`'s certificate encryption) is
// refused as node refuses it: its OpenSSL has no RC2. Errors are node's.

import {
  X509Certificate, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, pbkdf2Sync, timingSafeEqual, type KeyObject,
} from 'node:crypto';
import { DerReader, Tag } from '../x509/der.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbeSha1With3Des: '1.2.840.113549.1.12.1.3',
  pbeSha1With2Des: '1.2.840.113549.1.12.1.4',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
} as const;

/** Digests by OID (the MAC's) with the PKCS#12 KDF block size v in bytes. */
const digests: Record<string, { name: string; v: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', v: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', v: 128 },
};

/** PBKDF2 PRFs by OID (RFC 8018 Appendix B.1). */
const hmacs: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** PBES2 encryption schemes by OID: node:crypto's cipher name and key length. */
const pbes2Ciphers: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** What a PFX holds: the private key, its certificate, and the other certificates (the chain). */
export interface Pkcs12Contents {
  readonly key: KeyObject;
  /** DER certificates, the key's own first. */
  readonly certificates: readonly Uint8Array[];
}

function pfxError(message: string, code?: string): Error {
  const e = new Error(message) as Error & { code?: string };
  if (code !== undefined) e.code = code;
  return e;
}

const unsupported = (): Error => pfxError('Unsupported PKCS12 PFX data', 'ERR_CRYPTO_UNSUPPORTED_OPERATION');

/** The key-derivation function of RFC 7292 Appendix B.2: `id` 1 for keys, 2 for IVs, 3 for MAC keys. */
export function pkcs12Kdf(digest: { name: string; v: number }, password: Uint8Array, salt: Uint8Array, id: number, iterations: number, length: number): Buffer {
  const { name, v } = digest;
  const repeat = (x: Uint8Array, n: number): Buffer => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = x[i % x.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([repeat(salt, v * Math.ceil(salt.length / v)), repeat(password, v * Math.ceil(password.length / v))]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; ) {
    let a = createHash(name).update(d).update(i).digest();
    for (let n = 1; n < iterations; n++) a = createHash(name).update(a).digest();
    blocks.push(a);
    produced += a.length;
    if (produced >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I, B being A repeated to v bytes.
    const b = repeat(a, v);
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k]! + b[k]! + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The password as PKCS#12 PBEs and the MAC take it: a BMPString with its two-byte terminator. */
function bmpPassword(passphrase: string): Buffer {
  const out = Buffer.alloc(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) out.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  return out;
}

/** AlgorithmIdentifier: the OID and the raw parameters (RFC 5280 Section 4.1.1.2). */
function algorithm(r: DerReader, field: string): { oid: string; params: Uint8Array | undefined } {
  const seq = r.sequence(field);
  const oid = seq.oid(`${field}.algorithm`);
  const params = seq.empty() ? undefined : seq.element(`${field}.parameters`).raw;
  seq.end();
  return { oid, params };
}

/** Decrypts with a PKCS#12 PBE (3DES) or PBES2 (RFC 8018 Section 6.2) algorithm. */
function decrypt(alg: { oid: string; params: Uint8Array | undefined }, passphrase: string, data: Uint8Array): Buffer {
  if (!alg.params) throw unsupported();
  if (alg.oid === OID.pbeSha1With3Des || alg.oid === OID.pbeSha1With2Des) {
    const { salt, iterations } = DerReader.readAll(alg.params, 'pkcs12-PbeParams', (r) => {
      const p = r.sequence('pkcs12-PbeParams');
      const out = { salt: p.octetString('salt'), iterations: p.smallInteger('iterations') };
      p.end();
      return out;
    });
    const password = bmpPassword(passphrase);
    const sha1 = digests['1.3.14.3.2.26']!;
    const threeKey = alg.oid === OID.pbeSha1With3Des;
    const key = pkcs12Kdf(sha1, password, salt, 1, iterations, threeKey ? 24 : 16);
    const iv = pkcs12Kdf(sha1, password, salt, 2, iterations, 8);
    return decipher(threeKey ? 'des-ede3-cbc' : 'des-ede-cbc', key, iv, data);
  }
  if (alg.oid === OID.pbes2) {
    const { kdf, scheme } = DerReader.readAll(alg.params, 'PBES2-params', (r) => {
      const p = r.sequence('PBES2-params');
      const out = { kdf: algorithm(p, 'keyDerivationFunc'), scheme: algorithm(p, 'encryptionScheme') };
      p.end();
      return out;
    });
    const cipher = pbes2Ciphers[scheme.oid];
    if (kdf.oid !== OID.pbkdf2 || !kdf.params || !cipher || !scheme.params) throw unsupported();
    const iv = DerReader.readAll(scheme.params, 'iv', (r) => r.octetString('iv'));
    const { salt, iterations, keyLength, prf } = DerReader.readAll(kdf.params, 'PBKDF2-params', (r) => {
      const p = r.sequence('PBKDF2-params');
      const salt = p.octetString('salt');
      const iterations = p.smallInteger('iterationCount');
      const keyLength = p.peekTag() === Tag.INTEGER ? p.smallInteger('keyLength') : undefined;
      const prf = p.empty() ? 'sha1' : hmacs[algorithm(p, 'prf').oid];
      p.end();
      return { salt, iterations, keyLength, prf };
    });
    if (!prf || (keyLength !== undefined && keyLength !== cipher.keyLength)) throw unsupported();
    const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, cipher.keyLength, prf);
    return decipher(cipher.name, key, iv, data);
  }
  throw unsupported();
}

function decipher(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  try {
    const d = createDecipheriv(name, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    // A wrong password shows as bad padding; the MAC has been checked by then, so this is a damaged file.
    throw pfxError('bad decrypt');
  }
}

/** ContentInfo (RFC 5652 Section 3) → its type and the [0] EXPLICIT content. */
function contentInfo(r: DerReader, field: string): { type: string; content: DerReader } {
  const seq = r.sequence(field);
  const type = seq.oid(`${field}.contentType`);
  const content = seq.explicit(0, `${field}.content`);
  seq.end();
  if (!content) throw pfxError('not enough data');
  return { type, content };
}

/** Verifies MacData (RFC 7292 Section 4) over the authSafe contents. */
function verifyMac(mac: DerReader, authSafe: Uint8Array, passphrase: string | undefined): void {
  const macData = mac.sequence('macData');
  const digestInfo = macData.sequence('mac');
  const alg = algorithm(digestInfo, 'digestAlgorithm');
  const expected = digestInfo.octetString('digest');
  digestInfo.end();
  const salt = macData.octetString('macSalt');
  const iterations = macData.empty() ? 1 : macData.smallInteger('iterations');
  macData.end();
  const digest = digests[alg.oid];
  if (!digest) throw unsupported();
  // No passphrase: OpenSSL tries the empty password with and without its terminator.
  const passwords = passphrase === undefined || passphrase === '' ? [bmpPassword(''), new Uint8Array(0)] : [bmpPassword(passphrase)];
  for (const password of passwords) {
    const key = pkcs12Kdf(digest, password, salt, 3, iterations, createHash(digest.name).digest().length);
    const actual = createHmac(digest.name, key).update(authSafe).digest();
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return;
  }
  throw pfxError('mac verify failure');
}

/**
 * Reads a PFX: checks its MAC with the passphrase, decrypts its contents and returns the
 * private key with its certificate first. Errors as node's: "mac verify failure" for a wrong
 * passphrase, "not enough data" for what is not a PFX, ERR_CRYPTO_UNSUPPORTED_OPERATION for
 * algorithms it lacks, and ERR_CRYPTO_OPERATION_FAILED when the key or the certificate is missing.
 */
export function readPkcs12(pfx: Uint8Array, passphrase: string | undefined): Pkcs12Contents {
  let keys: KeyObject[] = [];
  const certs: Uint8Array[] = [];
  const pass = passphrase ?? '';
  const readBags = (bytes: Uint8Array): void => {
    DerReader.readAll(bytes, 'SafeContents', (r) => {
      const bags = r.sequence('SafeContents');
      while (!bags.empty()) {
        const bag = bags.sequence('SafeBag');
        const bagId = bag.oid('bagId');
        const value = bag.explicit(0, 'bagValue');
        if (!value) throw pfxError('not enough data');
        if (bagId === OID.certBag) {
          const certBag = value.sequence('CertBag');
          const certId = certBag.oid('certId');
          const certValue = certBag.explicit(0, 'certValue');
          if (certId === OID.x509Certificate && certValue) certs.push(certValue.octetString('x509Certificate'));
        } else if (bagId === OID.keyBag) {
          keys.push(createPrivateKey({ key: Buffer.from(value.element('PrivateKeyInfo').raw), format: 'der', type: 'pkcs8' }));
        } else if (bagId === OID.shroudedKeyBag) {
          const epki = value.sequence('EncryptedPrivateKeyInfo');
          const alg = algorithm(epki, 'encryptionAlgorithm');
          const encrypted = epki.octetString('encryptedData');
          keys.push(createPrivateKey({ key: decrypt(alg, pass, encrypted), format: 'der', type: 'pkcs8' }));
        }
        // Other bags (CRLs, secrets, nested SafeContents) and the attributes are not needed.
      }
    });
  };
  try {
    DerReader.readAll(pfx, 'PFX', (r) => {
      const seq = r.sequence('PFX');
      if (seq.smallInteger('version') !== 3) throw unsupported();
      const authSafe = contentInfo(seq, 'authSafe');
      if (authSafe.type !== OID.data) throw unsupported();
      const authSafeBytes = authSafe.content.octetString('authSafe.content');
      if (!seq.empty()) verifyMac(seq, authSafeBytes, passphrase);
      seq.end();
      DerReader.readAll(authSafeBytes, 'AuthenticatedSafe', (a) => {
        const infos = a.sequence('AuthenticatedSafe');
        while (!infos.empty()) {
          const info = contentInfo(infos, 'ContentInfo');
          if (info.type === OID.data) {
            readBags(info.content.octetString('data'));
          } else if (info.type === OID.encryptedData) {
            // EncryptedData (RFC 5652 Section 8) with its EncryptedContentInfo.
            const ed = info.content.sequence('EncryptedData');
            ed.smallInteger('version');
            const eci = ed.sequence('EncryptedContentInfo');
            eci.oid('contentType');
            const alg = algorithm(eci, 'contentEncryptionAlgorithm');
            const encrypted = eci.implicit(0, 'encryptedContent');
            if (!encrypted) throw pfxError('not enough data');
            readBags(decrypt(alg, pass, encrypted));
          } else {
            throw unsupported();
          }
        }
      });
    });
  } catch (e) {
    if (e instanceof Error && e.name === 'TlsError') throw pfxError('not enough data');
    throw e;
  }
  keys = keys.slice(0, 1);
  const key = keys[0];
  if (!key) throw pfxError('Unable to load private key from PFX data', 'ERR_CRYPTO_OPERATION_FAILED');
  // The key's certificate is the one carrying its public key; the others follow in file order.
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const own = certs.findIndex((c) => certificateSpki(c)?.equals(spki));
  if (own < 0) throw pfxError('Unable to load certificate from PFX data', 'ERR_CRYPTO_OPERATION_FAILED');
  return { key, certificates: [certs[own]!, ...certs.filter((_, i) => i !== own)] };
}

function certificateSpki(der: Uint8Array): Buffer | undefined {
  try {
    return new X509Certificate(der).publicKey.export({ format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

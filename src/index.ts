// typetls: a TLS library (client and server) in TypeScript.
//
// Two ways in: the node:tls-compatible API (connect, createServer, TLSSocket, ...), and the
// sans-I/O engine underneath it (ClientConnection/ServerConnection with explicit configs),
// which runs over any transport.
//
// The default export (and `require('typetls')`, index.cts) is the module as one mutable object,
// as node's `tls` is: `tls.DEFAULT_MAX_VERSION = 'TLSv1.2'` or a replaced `tls.createSecureContext`
// take effect for the connections and servers made afterwards.

// The node:tls-compatible API.
export {
  connect,
  createServer,
  createSecureContext,
  createHttpsServer,
  checkServerIdentity,
  getCiphers,
  rootCertificates,
  convertALPNProtocols,
  createSecurePair,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  DEFAULT_CIPHERS,
  DEFAULT_ECDH_CURVE,
  CLIENT_RENEG_LIMIT,
  CLIENT_RENEG_WINDOW,
  Server,
  SecureContext,
  TLSSocket,
} from './node/api.js';
export type { ConnectionOptions, TlsServerOptions, TlsOptions, TLSSocketOptions } from './node/api.js';
export type { PeerCertificate, DetailedPeerCertificate } from './node/peer-certificate.js';

// The engine, the portable crypto provider and certificates (shared with typetls/web).
export * from './engine.js';
export { nodeCryptoProvider } from './crypto/node.js';

import { nodeCryptoProvider } from './crypto/node.js';
import type { CryptoProvider as CryptoProviderForOcsp } from './crypto/provider.js';
import { checkOcspResponse as checkOcsp } from './x509/ocsp.js';
import { parseCertificate as parseCertificateForOcsp } from './x509/certificate.js';
import { pemDecode as pemDecodeForOcsp } from './x509/pem.js';
import { verifyCertificateChain as verifyWithProvider, type VerifyCertificateChainOptions, type VerifyResult } from './x509/verify.js';

/**
 * Checks a DER OCSP response (RFC 6960) for `cert`, issued by `issuer` (each PEM or DER), at `time` (now by
 * default): undefined when it says good, else `{ code, message }` (CERT_REVOKED, OCSP_CERT_UNKNOWN,
 * OCSP_VERIFY_FAILED). For an 'OCSPResponse' handler; `requireOCSP: true` makes the client do it itself.
 * Throws when `cert` or `issuer` cannot be read as a certificate. See docs/certificates.md.
 */
export function checkOcspResponse(
  response: Uint8Array,
  cert: string | Uint8Array,
  issuer: string | Uint8Array,
  options: { readonly time?: Date; readonly provider?: CryptoProviderForOcsp } = {},
): { readonly code: string; readonly message: string } | undefined {
  const parse = (x: string | Uint8Array) => parseCertificateForOcsp(typeof x === 'string' ? pemDecodeForOcsp(x).find((b) => b.label === 'CERTIFICATE')?.der ?? new Uint8Array(0) : x);
  return checkOcsp(options.provider ?? nodeCryptoProvider, new Uint8Array(response), parse(cert), parse(issuer), options.time ?? new Date());
}

/** Validates a certificate chain (PEM or DER) outside a handshake, with node:crypto unless `provider` is given. */
export function verifyCertificateChain(options: VerifyCertificateChainOptions): Promise<VerifyResult> {
  return verifyWithProvider({ ...options, provider: options.provider ?? nodeCryptoProvider });
}

// The module object: every export above, once, on node's mutable `tls` object.
import * as self from './index.js';
import { tlsModule } from './node/tls-module.js';

export default tlsModule;

for (const [name, value] of Object.entries(self)) {
  if (name === 'default' || Object.hasOwn(tlsModule, name)) continue;
  // As node's: rootCertificates can be read, not replaced (an assignment throws in strict code).
  if (name === 'rootCertificates') Object.defineProperty(tlsModule, name, { enumerable: true, get: () => value });
  else tlsModule[name] = value;
}

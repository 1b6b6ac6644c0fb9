// typetls: a TLS library (client and server) in TypeScript.
//
// Two ways in: the node:tls-compatible API (connect, createServer, TLSSocket, ...), and the
// sans-I/O engine underneath it (ClientConnection/ServerConnection with explicit configs),
// which runs over any transport.

// The node:tls-compatible API.
export {
  connect,
  createServer,
  createSecureContext,
  createHttpsServer,
  checkServerIdentity,
  getCiphers,
  rootCertificates,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
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
import { verifyCertificateChain as verifyWithProvider, type VerifyCertificateChainOptions, type VerifyResult } from './x509/verify.js';

/** Validates a certificate chain (PEM or DER) outside a handshake, with node:crypto unless `provider` is given. */
export function verifyCertificateChain(options: VerifyCertificateChainOptions): Promise<VerifyResult> {
  return verifyWithProvider({ ...options, provider: options.provider ?? nodeCryptoProvider });
}

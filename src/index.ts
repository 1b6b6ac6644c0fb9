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

// The engine.
export { ClientConnection, ServerConnection } from './connection.js';
export type { Connection, ConnectionEvent, ConnectionInfo, ClientOptions } from './connection.js';
export { clientConfig, serverConfig, defaultGroups, defaultLimits, defaultSignatureSchemes, PskMode } from './config.js';
export type { ClientConfig, ServerConfig, CommonConfig, CertifiedKey, ConfigOptions, Limits } from './config.js';
export { MemorySessionStore, ReplayFilter } from './handshake/resumption.js';
export type { SessionStore } from './handshake/resumption.js';
export { TlsError, alertFor } from './errors.js';
export type { ErrorKind } from './errors.js';
export {
  ContentType,
  HandshakeType,
  AlertLevel,
  AlertDescription,
  ProtocolVersion,
  NamedGroup,
  SignatureScheme,
  ExtensionType,
  contentTypeName,
  handshakeTypeName,
  alertDescriptionName,
  protocolVersionName,
  namedGroupName,
  signatureSchemeName,
  extensionTypeName,
} from './wire/enums.js';
export { cipherSuites, suiteByName, suiteById, defaultCipherSuites } from './suites.js';
export type { CipherSuite } from './suites.js';
export { nodeCryptoProvider } from './crypto/node.js';
export { PortableCryptoProvider, portableCryptoProvider } from './crypto/portable.js';
export type { CryptoProvider, PrivateKey, PublicKey } from './crypto/provider.js';
export type { Annotator, TraceEvent } from './trace.js';

// Certificates.
export { parseCertificate } from './x509/certificate.js';
export type { Certificate, Name, SubjectAltName } from './x509/certificate.js';
export { pemDecode, pemEncode } from './x509/pem.js';
export type { PemBlock } from './x509/pem.js';
export type { VerifyResult, VerifyCertificateChainOptions } from './x509/verify.js';

import { nodeCryptoProvider } from './crypto/node.js';
import { verifyCertificateChain as verifyWithProvider, type VerifyCertificateChainOptions, type VerifyResult } from './x509/verify.js';

/** Validates a certificate chain (PEM or DER) outside a handshake, with node:crypto unless `provider` is given. */
export function verifyCertificateChain(options: VerifyCertificateChainOptions): Promise<VerifyResult> {
  return verifyWithProvider({ ...options, provider: options.provider ?? nodeCryptoProvider });
}

// What every entry point exports: the sans-I/O engine, its configs, errors and enums, the portable
// crypto provider, and certificates. The package root (src/index.ts) adds the node:tls-compatible API
// and the node:crypto provider; typetls/web (src/web/index.ts) adds TLS over web streams.

// The engine.
export { ClientConnection, ServerConnection } from './connection.js';
export type { Connection, ConnectionEvent, ConnectionInfo, ClientOptions, TrafficKeys } from './connection.js';
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
export { PortableCryptoProvider, portableCryptoProvider, montgomeryKeyShare } from './crypto/portable.js';
export type { CryptoProvider, PrivateKey, PublicKey, KeyShare } from './crypto/provider.js';
export type { Annotator, TraceEvent } from './trace.js';

// Certificates.
export { parseCertificate } from './x509/certificate.js';
export type { Certificate, Name, SubjectAltName } from './x509/certificate.js';
export { pemDecode, pemEncode } from './x509/pem.js';
export type { PemBlock } from './x509/pem.js';
export type { VerifyResult, VerifyCertificateChainOptions } from './x509/verify.js';

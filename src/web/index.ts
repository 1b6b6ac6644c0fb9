// typetls/web: the runtime-neutral entry point, for browsers, Cloudflare Workers, Deno and Bun.
//
// The sans-I/O engine and the portable crypto provider, and nothing that needs Node: no node:tls
// adapter, no node:crypto, no native addon. Everything here runs on Uint8Array and
// globalThis.crypto.getRandomValues; a bundler building for the browser pulls in no node:* module
// (test/web-bundle.test.ts checks that with esbuild).
//
// Trust: no system root store is reachable from a page or a Worker, so `ca` names what to trust. The
// Mozilla roots that node:tls ships are a separate module, 'typetls/web/roots' (generated at build time
// by scripts/generate-roots.mjs), which only a bundle that imports it carries:
//   import { rootCertificates } from 'typetls/web/roots';  connect(transport, { servername, ca: rootCertificates })

// The engine, the portable crypto provider and certificates (what the package root exports too).
export * from '../engine.js';

import { portableCryptoProvider } from '../crypto/portable.js';
import { verifyCertificateChain as verifyWithProvider, type VerifyCertificateChainOptions, type VerifyResult } from '../x509/verify.js';

/** Validates a certificate chain (PEM or DER) outside a handshake, with the portable provider unless `provider` is given. */
export function verifyCertificateChain(options: VerifyCertificateChainOptions): Promise<VerifyResult> {
  return verifyWithProvider({ ...options, provider: options.provider ?? portableCryptoProvider });
}

// TLS over web streams (a Workers socket, a WebSocket adapter, Deno's streams).
export { connect, accept } from './socket.js';
export type { ByteTransport, PemOrDer, TlsCommonOptions, TlsConnectOptions, TlsAcceptOptions, TlsSocket, TlsSocketInfo } from './socket.js';
export { webSocketTransport } from './websocket.js';
export type { WebSocketLike } from './websocket.js';

// Certificate path validation (RFC 5280 Section 6) and identity checks (RFC 6125).

import type { CryptoProvider } from '../crypto/provider.js';
import type { Certificate } from './certificate.js';

export interface VerifyOptions {
  /** The chain as the peer sent it, leaf first; intermediates in any order. */
  readonly presented: readonly Certificate[];
  readonly roots: readonly Certificate[];
  /** The DNS name to check against the leaf (SAN dNSName), when the target is a name. */
  readonly hostname?: string;
  /** The IP address (text) to check against the leaf's iPAddress SANs, when the target is an address. */
  readonly ip?: string;
  readonly now: Date;
  readonly purpose: 'serverAuth' | 'clientAuth';
  /** The most intermediates allowed between leaf and root. */
  readonly maxDepth?: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly chain: readonly Certificate[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Builds a path from the leaf to one of `roots` and validates it. Failure codes
 * are node:tls's: CERT_HAS_EXPIRED, CERT_NOT_YET_VALID, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT,
 * CERT_SIGNATURE_FAILURE, INVALID_CA, PATH_LENGTH_EXCEEDED, INVALID_PURPOSE,
 * ERR_TLS_CERT_ALTNAME_INVALID. Never throws.
 */
export declare function verifyChain(provider: CryptoProvider, options: VerifyOptions): VerifyResult;

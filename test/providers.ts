// The crypto providers the provider-neutral tests run against: the node:crypto one (with its
// native addon when built) and the portable one. A published vector or a handshake that passes
// with one must pass with the other.

import { nodeCryptoProvider } from '../src/crypto/node.js';
import { portableCryptoProvider } from '../src/crypto/portable.js';
import type { CryptoProvider } from '../src/crypto/provider.js';

export const testProviders: readonly CryptoProvider[] = [nodeCryptoProvider, portableCryptoProvider];

// The finite-field Diffie-Hellman groups of RFC 7919 Appendix A (generator 2).
// TLS 1.2 DHE suites use them (RFC 7919 Section 3), and they are what typetls
// checks a server's own DHE parameters against.

import { NamedGroup } from '../wire/enums.js';

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export interface FfdheGroup {
  readonly group: number;
  readonly name: string;
  readonly p: Uint8Array;
  readonly g: Uint8Array;
}

/** RFC 7919 Appendix A.1: ffdhe2048. */
const FFDHE2048_P =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695' +
  'A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A' +
  'D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935' +
  '984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A' +
  'BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4' +
  'AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61' +
  '9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005' +
  'C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF';

/** RFC 7919 Appendix A.2: ffdhe3072. */
const FFDHE3072_P =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695' +
  'A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A' +
  'D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935' +
  '984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A' +
  'BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4' +
  'AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61' +
  '9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005' +
  'C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B' +
  'BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C' +
  'AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF' +
  '5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E' +
  '0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF';

export const ffdheGroups: readonly FfdheGroup[] = [
  { group: NamedGroup.ffdhe2048, name: 'ffdhe2048', p: hexBytes(FFDHE2048_P), g: Uint8Array.of(2) },
  { group: NamedGroup.ffdhe3072, name: 'ffdhe3072', p: hexBytes(FFDHE3072_P), g: Uint8Array.of(2) },
];

export function ffdheGroup(group: number): FfdheGroup | undefined {
  return ffdheGroups.find((g) => g.group === group);
}

/** The smallest prime a client accepts from a server (RFC 7919 Section 3 and today's practice). */
export const MIN_DHE_BITS = 2048;

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** Compares two big-endian unsigned numbers. */
function compare(a: Uint8Array, b: Uint8Array): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** RFC 7919 Section 5.1 / SP 800-56A: a peer's public value must lie in 2..p-2. */
export function dhPublicInRange(y: Uint8Array, p: Uint8Array): boolean {
  const pMinusOne = p.slice();
  pMinusOne[pMinusOne.length - 1]! -= 1; // p is odd: no borrow
  return compare(y, Uint8Array.of(1)) > 0 && compare(y, pMinusOne) < 0;
}

/** The bit length of a big-endian number. */
export function bitLength(n: Uint8Array): number {
  const x = stripZeros(n);
  if (x.length === 1 && x[0] === 0) return 0;
  return (x.length - 1) * 8 + (32 - Math.clz32(x[0]!));
}

/** RFC 5246 Section 8.1.2: leading zero bytes of the DH result are stripped in TLS 1.2. */
export function dhPreMasterSecret(z: Uint8Array): Uint8Array {
  return stripZeros(z).slice();
}

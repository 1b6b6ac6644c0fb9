// Argument validation with node's error codes and messages (ERR_INVALID_ARG_TYPE,
// ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE), worded as node's lib/internal/errors.js words
// them, so a program that matches node:tls's messages sees the same text.

import { inspect } from 'node:util';

type Coded = Error & { code: string };

function coded<E extends Error>(error: E, code: string): E & { code: string } {
  const e = error as E & { code: string };
  e.code = code;
  return e;
}

const kTypes = new Set(['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol']);

/** "of type string or an instance of Buffer": node's list of what was expected. */
function expectedText(expected: readonly string[]): string {
  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const e of expected) {
    if (kTypes.has(e)) types.push(e.toLowerCase());
    else if (/^([A-Z][a-z0-9]*)+$/.test(e)) instances.push(e);
    else other.push(e);
  }
  if (instances.length > 0 && types.includes('object')) {
    types.splice(types.indexOf('object'), 1);
    instances.push('Object');
  }
  let msg = '';
  if (types.length > 0) {
    if (types.length > 2) msg += `one of type ${types.slice(0, -1).join(', ')}, or ${types.at(-1)}`;
    else if (types.length === 2) msg += `one of type ${types[0]} or ${types[1]}`;
    else msg += `of type ${types[0]}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    if (instances.length > 2) msg += `an instance of ${instances.slice(0, -1).join(', ')}, or ${instances.at(-1)}`;
    else msg += `an instance of ${instances.join(' or ')}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 2) msg += `one of ${other.slice(0, -1).join(', ')}, or ${other.at(-1)}`;
    else if (other.length === 2) msg += `one of ${other[0]} or ${other[1]}`;
    else msg += `${other[0]!.toLowerCase() !== other[0] ? 'an ' : ''}${other[0]}`;
  }
  return msg;
}

/** node's determineSpecificType(): "type number (1)", "an instance of Object", "null". */
export function receivedText(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function' && value.name) return `function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  let inspected = inspect(value, { colors: false });
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return `type ${typeof value} (${inspected})`;
}

function subject(name: string): string {
  if (name.endsWith(' argument')) return `The ${name}`;
  return `The "${name}" ${name.includes('.') ? 'property' : 'argument'}`;
}

/** ERR_INVALID_ARG_TYPE: `expected` lists type names ('string'), classes ('Buffer') or others ('null'). */
export function invalidArgType(name: string, expected: string | readonly string[], actual: unknown): TypeError & { code: string } {
  const list = typeof expected === 'string' ? [expected] : expected;
  return coded(new TypeError(`${subject(name)} must be ${expectedText(list)}. Received ${receivedText(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** ERR_INVALID_ARG_VALUE: "The property 'options.x' is invalid. Received ..." */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  let inspected = inspect(value);
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`;
  const kind = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The ${kind} '${name}' ${reason}. Received ${inspected}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_OUT_OF_RANGE: 'The value of "x" is out of range. It must be >= 0. Received -1' */
export function outOfRange(name: string, range: string, received: unknown, quoted = true): RangeError & { code: string } {
  const what = quoted ? `The value of "${name}" is out of range.` : name;
  return coded(new RangeError(`${what} It must be ${range}. Received ${formatReceived(received)}`), 'ERR_OUT_OF_RANGE');
}

function addSeparators(digits: string): string {
  let out = '';
  let i = digits.length;
  const start = digits[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) out = `_${digits.slice(i - 3, i)}${out}`;
  return `${digits.slice(0, i)}${out}`;
}

function formatReceived(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > 2 ** 32) return addSeparators(String(v));
  if (typeof v === 'bigint') {
    const s = String(v);
    return `${v > 2n ** 32n || v < -(2n ** 32n) ? addSeparators(s) : s}n`;
  }
  return inspect(v);
}

/** A node-coded Error or TypeError with a message of its own. */
export function nodeError(code: string, message: string, type: 'Error' | 'TypeError' | 'RangeError' = 'Error'): Coded {
  const e = type === 'TypeError' ? new TypeError(message) : type === 'RangeError' ? new RangeError(message) : new Error(message);
  return coded(e, code);
}

const isBinary = (v: unknown): boolean => ArrayBuffer.isView(v);

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'string', value);
}

export function validateNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
}

export function validateFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw invalidArgType(name, 'Function', value);
}

export function validateObject(value: unknown, name: string, nullable = false): void {
  if (value === null ? !nullable : typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'Object', value);
}

/** node's validateKeyOrCertOption: a string, a Buffer/TypedArray/DataView, or an array of those. */
export function validateKeyOrCert(name: string, value: unknown): void {
  const one = (v: unknown): void => {
    if (typeof v !== 'string' && !isBinary(v)) throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], v);
  };
  if (Array.isArray(value)) value.forEach(one);
  else one(value);
}

export function validateBinary(value: unknown, name: string): void {
  if (!isBinary(value)) throw invalidArgType(name, ['Buffer', 'TypedArray', 'DataView'], value);
}

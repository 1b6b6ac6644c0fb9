// Renders trace events (src/trace.ts) for a terminal: each handshake message
// with its fields, and after each step a box with what that side now holds,
// in the order the engine lists it (the seed documents' lists: version,
// randoms, session ID, cipher suite, certificate, keys, pre-master secret,
// master secret, session keys). Private keys are never printed.

import type { Writable } from 'node:stream';
import type { Annotator, TraceEvent, TraceFields, TraceValue } from '../trace.js';
import { suiteById } from '../suites.js';
import {
  alertDescriptionName,
  contentTypeName,
  namedGroupName,
  protocolVersionName,
  signatureSchemeName,
} from '../wire/enums.js';

export interface RenderOptions {
  /** ANSI colors. Default: none. */
  readonly color?: boolean;
  /** Width of wrapped lists; boxes are at most 78 wide. Default 80. */
  readonly width?: number;
  /** Byte strings longer than this show their first bytes and their length. Default 96. */
  readonly maxHexBytes?: number;
  /** 'brief' renders received messages as their header line only (the sender's side shows the fields). */
  readonly receivedMessages?: 'full' | 'brief';
  /** When set, one-line events (secrets) are shortened to this many columns. */
  readonly oneLineWidth?: number;
}

/** Hex bytes per line: 32 bytes are 64 columns. */
const bytesPerLine = 32;

const ansi = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;

type Paint = (style: keyof typeof ansi, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => (text === '' ? text : `${ansi[style]}${text}${ansi.reset}`) : (_style, text) => text;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// ---------------------------------------------------------------------------
// Labels

const words: Record<string, string> = {
  id: 'ID',
  iv: 'IV',
  ivs: 'IVs',
  mac: 'MAC',
  hmac: 'HMAC',
  psk: 'PSK',
  alpn: 'ALPN',
  sni: 'SNI',
  ecdhe: 'ECDHE',
  ecdh: 'ECDH',
  dhe: 'DHE',
  rsa: 'RSA',
  ecdsa: 'ECDSA',
  tls: 'TLS',
  der: 'DER',
  rtt: 'RTT',
  ocsp: 'OCSP',
  hrr: 'HRR',
};

/** Labels spelled as the seed documents spell them. */
const knownLabels: Record<string, string> = {
  preMasterSecret: 'Pre-Master-Secret',
  sessionId: 'Session ID',
  legacySessionId: 'Session ID',
};

/** 'clientWriteMacKey' → 'Client Write MAC Key'; names with spaces or capitals pass unchanged. */
export function friendlyLabel(name: string): string {
  const known = knownLabels[name];
  if (known) return known;
  if (/[\s-]/.test(name) || /^[A-Z]/.test(name)) return name;
  const parts = name
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .filter((w) => w !== '');
  return parts.map((w) => words[w.toLowerCase()] ?? w[0]!.toUpperCase() + w.slice(1)).join(' ');
}

function isPrivateKeyName(name: string): boolean {
  return /private[\s_-]?key/i.test(name);
}

/** Numbers whose meaning the field name tells: versions, suites, groups, schemes, as names. */
function namedNumber(name: string, value: number): string {
  const n = name.toLowerCase();
  const hex = (w: number) => `0x${value.toString(16).padStart(w, '0')}`;
  if (/version/.test(n)) return `${protocolVersionName(value)} (${hex(4)})`;
  if (/ciphersuite/.test(n)) return `${suiteById(value)?.standardName ?? 'unknown'} (${hex(4)})`;
  if (/group|curve/.test(n)) return `${namedGroupName(value)} (${hex(4)})`;
  if (/signature(scheme|algorithm)/.test(n)) return `${signatureSchemeName(value)} (${hex(4)})`;
  return String(value);
}

// ---------------------------------------------------------------------------
// Values to lines

interface Layout {
  readonly width: number;
  readonly maxHexBytes: number;
  readonly paint: Paint;
  /** How field names are shown: as given for messages, friendly for holds. */
  readonly label: (name: string) => string;
}

function isFields(v: TraceValue): v is TraceFields {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

function isScalar(v: TraceValue): boolean {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function scalarText(name: string, v: TraceValue): string {
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return namedNumber(name, v);
  // An empty string (a server's empty server_name acknowledgement) still shows that it is there.
  return v === '' ? '(empty)' : String(v);
}

/** Hex lines of at most 32 bytes; long strings are cut at `max` bytes with a note of their length. */
function hexLines(bytes: Uint8Array, max: number): string[] {
  if (bytes.length === 0) return ['(empty)'];
  const shown = bytes.length > max ? bytes.subarray(0, Math.max(bytesPerLine, max - (max % bytesPerLine))) : bytes;
  const lines: string[] = [];
  for (let i = 0; i < shown.length; i += bytesPerLine) lines.push(toHex(shown.subarray(i, i + bytesPerLine)));
  if (shown.length < bytes.length) lines.push(`… ${bytes.length} bytes in all`);
  return lines;
}

/** Breaks a line that is wider than `width` into pieces (only when it has no better break). */
function hardWrap(line: string, width: number): string[] {
  if (line.length <= width || width < 8) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
  return out;
}

/** Wraps text at spaces; a word wider than `width` is broken. */
function wrapText(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.flatMap((l) => hardWrap(l, width));
}

/** Joins list items with ', ', wrapping between items. */
function wrapList(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (line !== '' && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line === '' ? piece : `${line} ${piece}`;
    }
  });
  if (line !== '') lines.push(line);
  return lines.flatMap((l) => hardWrap(l, width));
}

/**
 * The lines of one value, at most `width` wide (without indentation), and
 * whether it is short enough to sit next to its name.
 */
function valueLines(name: string, value: TraceValue, width: number, layout: Layout): string[] {
  if (isPrivateKeyName(name)) return [value === null || value === undefined || value === false ? '(none)' : '(held, not shown)'];
  if (value instanceof Uint8Array) return hexLines(value, layout.maxHexBytes);
  if (isScalar(value)) return scalarText(name, value).split('\n').flatMap((l) => wrapText(l, width));
  if (Array.isArray(value)) {
    const list = value as readonly TraceValue[];
    if (list.length === 0) return ['(none)'];
    if (list.every(isScalar)) return wrapList(list.map((v) => scalarText(name, v)), width);
    // Items that are byte strings or records: one '- ' item each.
    const out: string[] = [];
    for (const item of list) {
      const lines = isFields(item) ? fieldLines(item, width - 2, layout) : valueLines(name, item, width - 2, layout);
      lines.forEach((l, i) => out.push(`${i === 0 ? '- ' : '  '}${l}`));
    }
    return out;
  }
  return fieldLines(value as TraceFields, width, layout);
}

/**
 * `name  value` lines for a set of fields; values that do not fit next to their
 * name go below it, indented by two.
 */
function fieldLines(fields: TraceFields, width: number, layout: Layout): string[] {
  const label = layout.label;
  const names = Object.keys(fields);
  const column = Math.min(24, Math.max(0, ...names.map((n) => label(n).length)) + 2);
  const out: string[] = [];
  for (const name of names) {
    const title = label(name);
    const value = fields[name];
    const inline = valueLines(name, value, width - column, layout);
    const nested = !isPrivateKeyName(name) && (isFields(value) || (Array.isArray(value) && !(value as readonly TraceValue[]).every(isScalar)));
    if (!nested && inline.length === 1 && title.length < column && column + inline[0]!.length <= width) {
      out.push(layout.paint('blue', title.padEnd(column)) + inline[0]);
      continue;
    }
    out.push(layout.paint('blue', title));
    for (const l of valueLines(name, value, width - 2, layout)) out.push(`  ${l}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Events

/** Visible width: the text without ANSI escapes. */
function visible(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function sideTag(side: 'client' | 'server', paint: Paint): string {
  return paint(side === 'client' ? 'cyan' : 'magenta', side);
}

function box(title: string, lines: readonly string[], width: number, paint: Paint): string {
  const inner = width - 4;
  const head = `┌─ ${title} `;
  const out = [paint('yellow', head.slice(0, 3)) + title + paint('yellow', ' ' + '─'.repeat(Math.max(0, width - 1 - visible(head))) + '┐')];
  for (const line of lines) {
    out.push(`${paint('yellow', '│')} ${line}${' '.repeat(Math.max(0, inner - visible(line)))} ${paint('yellow', '│')}`);
  }
  out.push(paint('yellow', `└${'─'.repeat(width - 2)}┘`));
  return out.join('\n');
}

/** One event as text for a terminal (several lines for messages and holds), without a final newline. */
export function renderTrace(event: TraceEvent, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const paint = painter(options.color ?? false);
  const layout: Layout = { width, maxHexBytes: options.maxHexBytes ?? 96, paint, label: (n) => n };
  const who = sideTag(event.side, paint);

  switch (event.kind) {
    case 'message': {
      const arrow = event.direction === 'sent' ? '→' : '←';
      const size = `${event.bytes.length} byte${event.bytes.length === 1 ? '' : 's'}`;
      const header = `${who} ${arrow} ${paint('bold', event.name)}  ${paint('dim', `(${event.direction}, ${size})`)}`;
      if (event.direction === 'received' && options.receivedMessages === 'brief') return header;
      const body = fieldLines(event.fields, width - 4, layout);
      return [header, ...body.map((l) => `    ${l}`)].join('\n');
    }
    case 'holds': {
      // The step is the state the side is now in: 'ExpectServerHello' waits for a ServerHello.
      const expect = /^Expect([A-Z]\w*)$/.exec(event.step);
      const title = `${who} now holds ${paint('dim', expect ? `· waiting for ${expect[1]}` : `· ${event.step}`)}`;
      const inner = Math.min(width, 78) - 4;
      const lines = fieldLines(event.holds, inner, { ...layout, label: friendlyLabel });
      return box(title, lines, inner + 4, paint);
    }
    case 'secret': {
      const hex = toHex(event.value);
      const line = `${who} ${paint('green', 'secret')} ${event.label} ${hex}`;
      const limit = options.oneLineWidth;
      if (limit === undefined || visible(line) <= limit) return line;
      const tail = ` … (${event.value.length} bytes)`;
      const room = Math.max(8, limit - (visible(line) - hex.length) - tail.length);
      return `${who} ${paint('green', 'secret')} ${event.label} ${hex.slice(0, room)}${tail}`;
    }
    case 'record': {
      const arrow = event.direction === 'sent' ? '→' : '←';
      const kind = contentTypeName(event.contentType);
      return paint('dim', `${event.side} ${arrow} record ${kind}, ${event.length} bytes${event.encrypted ? ', encrypted' : ''}`);
    }
    case 'alert': {
      const arrow = event.direction === 'sent' ? '→' : '←';
      const level = event.level === 1 ? 'warning' : event.level === 2 ? 'fatal' : `level ${event.level}`;
      const text = `alert ${level} ${alertDescriptionName(event.description)} (${event.description})`;
      return `${who} ${arrow} ${event.description === 0 ? text : paint('red', text)}`;
    }
    case 'note':
      return `${who} ${paint('dim', '·')} ${event.text}`;
    default: {
      const unknown: never = event;
      return `(unknown trace event ${JSON.stringify((unknown as { kind?: unknown }).kind)})`;
    }
  }
}

/** Whether to color output for `stream`: a terminal, and NO_COLOR unset (https://no-color.org). */
export function wantsColor(stream: Writable): boolean {
  const noColor = process.env['NO_COLOR'];
  return Boolean((stream as { isTTY?: boolean }).isTTY) && (noColor === undefined || noColor === '');
}

/** An annotator that writes each event, rendered, to `stream`. */
export function createRenderer(stream: Writable, options: RenderOptions = {}): Annotator {
  const resolved: RenderOptions = { ...options, color: options.color ?? wantsColor(stream) };
  return (event) => {
    stream.write(renderTrace(event, resolved) + '\n');
  };
}

// PEM <-> DER (RFC 7468).

import { TlsError } from '../errors.js';

export interface PemBlock {
  readonly label: string; // "CERTIFICATE", "PRIVATE KEY", ...
  readonly der: Uint8Array;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map<string, number>([...BASE64].map((c, i) => [c, i]));

// RFC 7468 Section 3: "-----BEGIN label-----" ... "-----END label-----", the labels equal.
const BLOCK = /-----BEGIN ([^-\r\n]*)-----([\s\S]*?)-----END ([^-\r\n]*)-----/g;

/** Every PEM block in `text`, in order; text between blocks is ignored. Throws TlsError(decode_error) on bad base64. */
export function pemDecode(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1] ?? '';
    if ((m[3] ?? '') !== label) {
      throw new TlsError('decode_error', `PEM block "BEGIN ${label}" ends with "END ${m[3]}"`);
    }
    let body = m[2]!;
    // RFC 1421 encapsulated headers (Proc-Type, DEK-Info): an encrypted legacy key we cannot read.
    if (/^\s*[A-Za-z-]+:/.test(body)) {
      throw new TlsError('decode_error', `PEM block ${label} has headers (an encrypted key?)`);
    }
    body = body.replace(/[ \t\r\n]/g, '');
    blocks.push({ label, der: base64Decode(body, label) });
  }
  return blocks;
}

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  // RFC 7468 Section 2: lines of exactly 64 characters, the last one shorter.
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

function base64Decode(s: string, label: string): Uint8Array {
  const bad = () => new TlsError('decode_error', `PEM block ${label} is not valid base64`);
  if (s.length % 4 !== 0) throw bad();
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = s[i + j]!;
      if (c === '=') {
        if (!last || j < 4 - pad) throw bad();
        v <<= 6;
        continue;
      }
      const x = BASE64_VALUE.get(c);
      if (x === undefined) throw bad();
      v = (v << 6) | x;
    }
    // The bits below the padding must be zero (RFC 4648 Section 3.5, canonical encoding).
    if (last && pad === 2 && (v & 0xffff) !== 0) throw bad();
    if (last && pad === 1 && (v & 0xff) !== 0) throw bad();
    const bytes = [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    for (let j = 0; j < 3 && o < out.length; j++) out[o++] = bytes[j]!;
  }
  return out;
}

function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = Math.min(3, b.length - i);
    const v = (b[i]! << 16) | ((n > 1 ? b[i + 1]! : 0) << 8) | (n > 2 ? b[i + 2]! : 0);
    s += BASE64[(v >>> 18) & 63]! + BASE64[(v >>> 12) & 63]!;
    s += n > 1 ? BASE64[(v >>> 6) & 63]! : '=';
    s += n > 2 ? BASE64[v & 63]! : '=';
  }
  return s;
}

// OpenSSL cipher strings: our expansion against the installed openssl's, string by string.
// `openssl ciphers -s -v STRING` lists what OpenSSL selects, in order; typetls must select the
// same suites in the same order (for the suites it implements), and fail where OpenSSL fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getCiphers as nodeGetCiphers } from 'node:tls';

import { expandCipherString, openSslCiphers } from '../src/cipher-string.js';
import { selectCiphers } from '../src/node/options.js';
import { DEFAULT_CIPHERS, getCiphers } from '../src/node/api.js';
import { constants as nodeConstants } from 'node:crypto';
import { cipherSuites } from '../src/suites.js';

/** What openssl selects for a TLS 1.2 string: its names in order, or its error's reason. */
function openssl(args: string[]): string[] | string {
  try {
    const out = execFileSync('openssl', ['ciphers', '-v', '-ciphersuites', '', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0]!);
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr);
    const reason = /:(no cipher match|invalid command):/.exec(stderr)?.[1];
    assert.ok(reason, `openssl failed in an unexpected way for ${args.join(' ')}: ${stderr}`);
    return reason;
  }
}

function ours(rules: string): string[] | string {
  try {
    return expandCipherString(rules).ciphers.map((c) => c.name);
  } catch (e) {
    return (e as Error).message;
  }
}

const implemented = new Set(cipherSuites.filter((s) => !s.tls13).map((s) => s.openSslName));

/** Strings programs and node's own tests use, and every operator and kind of alias. */
const strings = [
  'DEFAULT', 'ALL', 'ALL:COMPLEMENTOFALL', 'COMPLEMENTOFDEFAULT', 'COMPLEMENTOFALL', 'HIGH', 'MEDIUM', 'LOW', 'FIPS', 'HIGH+FIPS',
  'HIGH:!aNULL:!MD5', 'HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA', 'ALL@SECLEVEL=0', 'DEFAULT:@SECLEVEL=0',
  'DEFAULT@SECLEVEL=0', 'RSA@SECLEVEL=0', 'RSA', 'kRSA', 'aRSA', 'aECDSA', 'ECDSA', 'aNULL', 'eNULL', 'NULL', 'DSS', 'aDSS',
  'ECDHE', 'EECDH', 'kEECDH', 'kECDHE', 'ECDH', 'DHE', 'EDH', 'kEDH', 'kDHE', 'DH', 'ADH', 'AECDH', 'PSK', 'kPSK', 'aPSK',
  'kRSAPSK', 'kDHEPSK', 'kECDHEPSK', 'SRP', 'kSRP', 'aSRP', 'AES', 'AES128', 'AES256', 'AESGCM', 'AESCCM', 'AESCCM8',
  'CHACHA20', 'CAMELLIA', 'CAMELLIA128', 'CAMELLIA256', 'ARIA', 'ARIAGCM', 'ARIA128', 'ARIA256', 'CBC', 'SHA', 'SHA1',
  'SHA256', 'SHA384', 'MD5', 'SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.2', 'ECDHE+AESGCM', 'EECDH+AESGCM:EDH+AESGCM',
  'ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL', 'AES:@STRENGTH', 'ALL:@STRENGTH', 'kRSA:+AES256', 'ALL:-aRSA:aRSA',
  'ALL:!ECDHE:+SHA1', 'AES+kRSA+SHA1', 'AES128-SHA+COMPLEMENTOFDEFAULT', 'ECDHE-RSA-AES128-SHA:ALL:!RSA',
  'ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384', 'AES256-SHA256:AES128-GCM-SHA256:AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256',
  'AES128-SHA AES256-SHA', 'AES128-SHA,AES256-SHA;ECDHE-ECDSA-AES128-SHA', 'DEFAULTX', 'RSA:DEFAULT', 'HIGH:-AES256:AES256',
  '!aNULL:ALL', 'ALL:!aNULL:+RSA:@STRENGTH', 'HIGH,TLS_AES_128_GCM_SHA256', 'aes256-sha', 'FOOBARBAZ', 'HIGH+', 'HIGH:@FOO',
  'HIGH:@SECLEVEL=6', '@STRENGTH', 'ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH',
];

test('cipher strings: the same suites in the same order as openssl ciphers, or the same error', () => {
  for (const rules of strings) {
    const theirs = openssl([rules]);
    assert.deepEqual(ours(rules), theirs, rules);
    // The suites typetls implements, in OpenSSL's order, are what a node `ciphers` string gives it.
    if (typeof theirs === 'string') continue;
    const mine = cipherSuites.filter((s) => !s.tls13);
    const selected = selectCiphers(rules).cipherSuites.filter((id) => !cipherSuites.find((s) => s.id === id)!.tls13);
    assert.deepEqual(
      selected.map((id) => mine.find((s) => s.id === id)!.openSslName),
      theirs.filter((name) => implemented.has(name)),
      rules,
    );
  }
});

test('cipher strings: what -s (supported at the security level) lists is in our expansion, in order', () => {
  for (const rules of ['ALL@SECLEVEL=0', 'DEFAULT', 'HIGH:!aNULL', 'RSA@SECLEVEL=0']) {
    const supported = openssl(['-s', '-tls1_2', rules]);
    assert.ok(Array.isArray(supported));
    const expanded = ours(rules) as string[];
    assert.deepEqual(
      expanded.filter((name) => supported.includes(name)),
      supported,
      rules,
    );
  }
});

test("the table: every suite of OpenSSL's, with its id, IANA name, version and strength classes", () => {
  const lines = execFileSync('openssl', ['ciphers', '-ciphersuites', '', '-V', '-stdname', '-v', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'], { encoding: 'utf8' })
    .trim()
    .split('\n');
  assert.equal(openSslCiphers.length, lines.length);
  lines.forEach((line, i) => {
    const [id, , standardName, , name] = line.trim().split(/\s+/);
    const c = openSslCiphers[i]!;
    assert.deepEqual([c.name, c.standardName, c.id], [name, standardName, parseInt(id!.replace(/0x|,/g, ''), 16)], line);
  });
  // Every suite typetls implements is in OpenSSL's table under the same names.
  for (const s of cipherSuites.filter((x) => !x.tls13)) {
    const c = openSslCiphers.find((x) => x.id === s.id);
    assert.deepEqual([c?.name, c?.standardName], [s.openSslName, s.standardName]);
  }
});

test("getCiphers(): node:tls's list (lower-case OpenSSL names, sorted), less the suites typetls lacks", () => {
  const ours = new Set(cipherSuites.map((s) => s.openSslName.toLowerCase()));
  const expected = nodeGetCiphers().filter((name) => ours.has(name));
  assert.deepEqual(getCiphers(), expected);
  assert.ok(expected.includes('tls_aes_128_ccm_8_sha256') && expected.includes('ecdhe-rsa-aes128-gcm-sha256'));
});

test("DEFAULT_CIPHERS is node's default string, and what ciphers is when not given", () => {
  assert.equal(DEFAULT_CIPHERS, nodeConstants.defaultCoreCipherList);
  assert.deepEqual(selectCiphers(undefined), selectCiphers(DEFAULT_CIPHERS));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import type { Certificate, SubjectAltName } from './certificate.js';
import { checkHostname, checkIp, formatIpAddress, isIpAddress, parseIpAddress } from './identity.js';
import { der } from './der.js';

// Only the fields identity.ts reads.
function fakeCert(san: Partial<SubjectAltName> | undefined, cn?: string): Certificate {
  const attributes = cn === undefined ? [] : [{ oid: '2.5.4.3', shortName: 'CN', value: cn }];
  const subjectAltName = san && { dnsNames: [], ipAddresses: [], emails: [], uris: [], ...san };
  return { subject: { raw: der.sequence(), attributes }, subjectAltName } as unknown as Certificate;
}

const ip = (s: string) => parseIpAddress(s)!;

test('DNS names: case, trailing dot, wildcard rules (RFC 6125 Section 6.4.3)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['localhost', 'localhost', true],
    ['LocalHost.', 'localhost', true],
    ['localhost', 'LOCALHOST.', true],
    ['a.example.com', '*.example.com', true],
    ['A.Example.COM', '*.EXAMPLE.com', true],
    ['a.b.example.com', '*.example.com', false],
    ['example.com', '*.example.com', false],
    ['xn--bcher-kva.example.com', '*.example.com', false],
    ['xn--bcher-kva.example.com', 'xn--bcher-kva.example.com', true],
    ['a.com', '*.com', false],
    // No wildcard directly under a listed public suffix (identity.ts multiLabelPublicSuffixes) ...
    ['example.co.uk', '*.co.uk', false],
    ['me.github.io', '*.github.io', false],
    ['example.com.au', '*.COM.AU', false],
    // ... but one label further down is an ordinary registered domain.
    ['www.example.co.uk', '*.example.co.uk', true],
    ['example.co.uk', 'example.co.uk', true],
    ['foo.example.com', 'f*.example.com', false],
    ['a.example.com', 'a.*.com', false],
    ['a..com', 'a..com', false],
    ['wrong.example', 'localhost', false],
    ['', '', false],
  ];
  for (const [host, pattern, expected] of cases) {
    const err = checkHostname(fakeCert({ dnsNames: [pattern] }), host);
    assert.equal(err === undefined, expected, `${host} vs ${pattern}`);
  }
});

test("node's messages; the CN is a name under node's rules only, when there is no dNSName", () => {
  const cert = fakeCert({ dnsNames: ['localhost'], ipAddresses: [ip('127.0.0.1')] }, 'wrong.example');
  for (const rules of ['strict', 'node'] as const) {
    assert.deepEqual(checkHostname(cert, 'wrong.example.', rules), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message:
        "Hostname/IP does not match certificate's altnames: Host: wrong.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1",
    });
  }
  assert.equal(checkHostname(fakeCert(undefined, 'localhost'), 'localhost', 'node'), undefined);
  assert.equal(checkHostname(fakeCert(undefined, '*.example.com'), 'a.example.com', 'node'), undefined);
  assert.equal(
    checkHostname(fakeCert(undefined, 'localhost'), 'other', 'node')!.message,
    "Hostname/IP does not match certificate's altnames: Host: other. is not cert's CN: localhost",
  );
  assert.match(checkHostname(fakeCert(undefined), 'x', 'node')!.message, /Cert does not contain a DNS name/);
  // node:tls: a subjectAltName with only an IP address leaves the CN as the name.
  assert.equal(checkHostname(fakeCert({ ipAddresses: [ip('127.0.0.1')] }, 'localhost'), 'localhost', 'node'), undefined);
  // Strict (the default): the CN is never a name (RFC 9525 Section 6.3, CABF BR 7.1.4.2).
  assert.match(checkHostname(fakeCert(undefined, 'localhost'), 'localhost')!.message, /does not contain a DNS name in its subjectAltName/);
  assert.ok(checkHostname(fakeCert({ ipAddresses: [ip('127.0.0.1')] }, 'localhost'), 'localhost'));
});

test('strict rules: names in the preferred syntax, A-labels, no address in another notation', () => {
  const cert = fakeCert({ dnsNames: ['xn--bcher-kva.example', 'under_score.example', '*.example.com', '127.0.0.1'], ipAddresses: [ip('127.0.0.1')] });
  assert.equal(checkHostname(cert, 'bücher.example'), undefined, 'an IDN compares as its A-label');
  assert.equal(checkHostname(cert, 'xn--bcher-kva.example'), undefined);
  assert.ok(checkHostname(cert, 'under_score.example'), 'a dNSName with an underscore names nothing');
  assert.equal(checkHostname(cert, 'under_score.example', 'node'), undefined, "node's rules take it");
  assert.equal(checkHostname(cert, 'a.example.com'), undefined);
  assert.equal(checkHostname(cert, '127.0.0.1'), undefined, 'an address compares with the iPAddress entries');
  for (const other of ['0x7f.0.0.1', '127.000.000.001', '2130706433', '127.1']) {
    assert.ok(checkHostname(cert, other), `${other} is neither an address in canonical form nor a host name`);
  }
  assert.ok(checkIp(fakeCert({ dnsNames: ['127.0.0.1'] }), '127.0.0.1'), 'a dNSName in address notation is not an address');
});

test('IP addresses compare as bytes', () => {
  const cert = fakeCert({ dnsNames: ['localhost'], ipAddresses: [ip('127.0.0.1'), ip('::1')] });
  assert.equal(checkIp(cert, '127.0.0.1'), undefined);
  assert.equal(checkIp(cert, '0:0:0:0:0:0:0:1'), undefined);
  assert.equal(checkIp(cert, '::0001'), undefined);
  assert.equal(checkHostname(cert, '::1'), undefined);
  assert.deepEqual(checkIp(cert, '127.0.0.2'), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    message: "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1",
  });
  // The IPv4 address does not match its IPv4-mapped IPv6 form, nor a DNS name.
  assert.ok(checkIp(fakeCert({ ipAddresses: [ip('::ffff:127.0.0.1')] }), '127.0.0.1'));
  assert.ok(checkIp(fakeCert({ dnsNames: ['127.0.0.1'] }), '127.0.0.1'));
});

test('isIpAddress agrees with node:net isIP', () => {
  const samples = [
    '127.0.0.1', '255.255.255.255', '256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.', '::', '::1', '1::', 'fe80::1%eth0',
    '2001:db8::8a2e:370:7334', '2001:db8:0:0:0:0:2:1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::',
    '::ffff:192.168.1.1', '1::2::3', 'gggg::1', '12345::', ':1', '1:', 'localhost', '', '1.2.3.4::', '::1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
  ];
  for (const s of samples) assert.equal(isIpAddress(s), isIP(s) !== 0, s);
});

test('IPv6 text form (RFC 5952)', () => {
  assert.equal(formatIpAddress(ip('::1')), '::1');
  assert.equal(formatIpAddress(ip('::')), '::');
  assert.equal(formatIpAddress(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIpAddress(ip('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIpAddress(ip('FE80:0:0:0:0:0:0:0')), 'fe80::');
});

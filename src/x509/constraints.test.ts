import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsError } from '../errors.js';
import type { Certificate, NameConstraints } from './certificate.js';
import { checkNameConstraints, cnAsHostname, dnsNameWithinBase, ipWithinRange } from './constraints.js';
import { encodeNameConstraints } from './builder.js';
import { der } from './der.js';
import { parseIpAddress } from './identity.js';
import { Oid, parseCertificate } from './certificate.js';
import { buildCertificate } from './builder.js';
import { generateKeyPairSync } from 'node:crypto';
import { nodeCryptoProvider as provider } from '../crypto/node.js';
import { SignatureScheme } from '../wire/enums.js';

const ip = (s: string) => parseIpAddress(s)!;
const none = { dnsNames: [], ipRanges: [], emails: [], uris: [], directoryNames: [], otherNames: [], otherForms: [], malformed: [] };

// Only the fields constraints.ts reads.
function fakeCert(dnsNames: string[], ips: string[] = [], cn?: string, withSan = true): Certificate {
  const attributes = cn === undefined ? [] : [{ oid: '2.5.4.3', shortName: 'CN', value: cn }];
  const subjectAltName = withSan ? { dnsNames, ipAddresses: ips.map(ip), emails: [], uris: [], directoryNames: [], otherNames: [], otherForms: [] } : undefined;
  return { subject: { raw: der.sequence(), attributes }, subjectAltName } as unknown as Certificate;
}

test('dNSName subtrees (RFC 5280 Section 4.2.1.10)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['example.com', 'example.com', true],
    ['www.example.com', 'example.com', true],
    ['a.b.example.com', 'EXAMPLE.com', true],
    ['www.example.com.', 'example.com', true],
    ['badexample.com', 'example.com', false],
    ['example.org', 'example.com', false],
    ['anything.at.all', '', true],
    ['*.example.com', 'example.com', true],
  ];
  for (const [name, base, expected] of cases) assert.equal(dnsNameWithinBase(name, base), expected, `${name} in ${base}`);
});

test('iPAddress subtrees: masked comparison, one family', () => {
  const v4 = { address: ip('10.0.0.0'), mask: ip('255.0.0.0') };
  assert.equal(ipWithinRange(ip('10.1.2.3'), v4), true);
  assert.equal(ipWithinRange(ip('11.1.2.3'), v4), false);
  assert.equal(ipWithinRange(ip('::ffff:10.1.2.3'), v4), false);
  const v6 = { address: ip('2001:db8::'), mask: ip('ffff:ffff::') };
  assert.equal(ipWithinRange(ip('2001:db8:1::5'), v6), true);
  assert.equal(ipWithinRange(ip('2001:db9::5'), v6), false);
});

test('a CN counts as a DNS name only when it is a host name and there is no dNSName', () => {
  assert.equal(cnAsHostname(fakeCert([], [], 'www.example.com')), 'www.example.com');
  assert.equal(cnAsHostname(fakeCert([], [], 'Example Server')), undefined);
  assert.equal(cnAsHostname(fakeCert([], [], 'localhost')), undefined);
  const nc: NameConstraints = { permitted: { ...none, dnsNames: ['example.com'], ipRanges: [] }, excluded: undefined };
  assert.equal(checkNameConstraints(nc, fakeCert([], [], 'www.evil.com', false), true)?.kind, 'permitted');
  assert.equal(checkNameConstraints(nc, fakeCert([], [], 'www.evil.com', false), false), undefined, 'an intermediate CN is not checked');
  assert.equal(checkNameConstraints(nc, fakeCert(['www.example.com'], [], 'www.evil.com'), true), undefined, 'the SAN wins');
  assert.equal(checkNameConstraints(nc, fakeCert([], ['10.0.0.1'], 'Server'), true), undefined, 'IP names unconstrained here');
});

test('permitted and excluded together; permitted is reported first, as OpenSSL does', () => {
  const nc: NameConstraints = {
    permitted: { ...none, dnsNames: ['example.com'], ipRanges: [{ address: ip('10.0.0.0'), mask: ip('255.0.0.0') }] },
    excluded: { ...none, dnsNames: ['bad.example.com'], ipRanges: [] },
  };
  assert.equal(checkNameConstraints(nc, fakeCert(['a.example.com'], ['10.2.3.4']), true), undefined);
  assert.equal(checkNameConstraints(nc, fakeCert(['x.bad.example.com']), true)?.kind, 'excluded');
  assert.equal(checkNameConstraints(nc, fakeCert(['x.bad.example.com', 'evil.com']), true)?.kind, 'permitted');
  assert.equal(checkNameConstraints(nc, fakeCert(['a.example.com'], ['192.168.0.1']), true)?.kind, 'permitted');
});

test('nameConstraints DER: the builder\'s encoding parses back; empty, min/max and bad address lengths are refused', () => {
  const key = provider.loadPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const withNc = (value: Uint8Array) =>
    buildCertificate(
      provider,
      {
        subject: { CN: 'NC' },
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2030-01-01T00:00:00Z'),
        subjectPublicKeyInfo: key.spki,
        isCA: true,
        extraExtensions: [{ oid: Oid.nameConstraints, critical: true, value }],
      },
      key,
      SignatureScheme.ecdsa_secp256r1_sha256,
    );
  const good = parseCertificate(
    withNc(encodeNameConstraints({ permitted: { dns: ['example.com'], ip: ['10.0.0.0/8', '2001:db8::/32'] }, excluded: { dns: ['bad.example.com'] } })),
  );
  const nc = good.nameConstraints!;
  assert.deepEqual(nc.permitted!.dnsNames, ['example.com']);
  assert.deepEqual(nc.permitted!.ipRanges.map((r) => [Array.from(r.address), Array.from(r.mask)]).slice(0, 1), [[[10, 0, 0, 0], [255, 0, 0, 0]]]);
  assert.equal(nc.permitted!.ipRanges[1]!.mask.length, 16);
  assert.deepEqual(nc.excluded!.dnsNames, ['bad.example.com']);
  const email = parseCertificate(withNc(der.sequence(der.explicit(1, der.sequence(der.implicit(1, new TextEncoder().encode('example.com')))))));
  assert.deepEqual(email.nameConstraints!.excluded!.emails, ['example.com']);
  const dnsBase = der.implicit(2, new TextEncoder().encode('example.com'));
  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['empty', der.sequence(), /nameConstraints is empty/],
    ['empty subtrees', der.sequence(der.explicit(0)), /permittedSubtrees is empty/],
    ['minimum present', der.sequence(der.explicit(0, der.sequence(dnsBase, der.implicit(0, Uint8Array.of(1))))), /minimum or maximum/],
    ['maximum present', der.sequence(der.explicit(0, der.sequence(dnsBase, der.implicit(1, Uint8Array.of(1))))), /minimum or maximum/],
    ['a 4-byte iPAddress (no mask)', der.sequence(der.explicit(0, der.sequence(der.implicit(7, Uint8Array.of(10, 0, 0, 0))))), /4 bytes/],
  ];
  for (const [name, value, pattern] of bad) {
    assert.throws(() => parseCertificate(withNc(value)), (e: unknown) => e instanceof TlsError && pattern.test(e.message), name);
  }
  assert.throws(() => encodeNameConstraints({ permitted: { ip: ['10.0.0.0/33'] } }), TlsError);
});

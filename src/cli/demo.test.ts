import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchOutline, outlineFor } from './outline.js';
import type { Side } from '../trace.js';

const sent = (...names: string[]) =>
  names.map((n) => {
    const [side, name] = n.split(' ') as [Side, string];
    return { side, name };
  });

describe('demo outlines', () => {
  it('the TLS 1.2 full handshake has the seed documents\' eight steps', () => {
    const o = outlineFor('TLSv1.2', false, false);
    assert.deepEqual(
      o.steps.map((s) => `${s.side} ${s.name}`),
      ['client ClientHello', 'server ServerHello', 'server Certificate', 'server ServerKeyExchange', 'server ServerHelloDone',
        'client ClientKeyExchange', 'client Finished', 'server Finished'],
    );
  });

  it('matches messages to steps, skipping ServerKeyExchange for RSA key exchange', () => {
    const o = outlineFor('TLSv1.2', false, false);
    const rsa = sent('client ClientHello', 'server ServerHello', 'server Certificate', 'server ServerHelloDone', 'client ClientKeyExchange');
    assert.deepEqual(matchOutline(o, rsa), [0, 1, 2, 4, 5]);
  });

  it('does not skip a step that is not optional, nor match the wrong side', () => {
    const o = outlineFor('TLSv1.2', false, false);
    assert.equal(matchOutline(o, sent('client ClientHello', 'server Certificate')), undefined);
    assert.equal(matchOutline(o, sent('server ClientHello')), undefined);
  });

  it('tells a resumed TLS 1.2 handshake (server Finished first) from a full one', () => {
    const flow = sent('client ClientHello', 'server ServerHello', 'server Finished');
    assert.equal(matchOutline(outlineFor('TLSv1.2', false, false), flow), undefined);
    assert.deepEqual(matchOutline(outlineFor('TLSv1.2', true, false), flow), [0, 1, 2]);
  });

  it('places the client certificate steps of mutual TLS in each version', () => {
    const v12 = outlineFor('TLSv1.2', false, true).steps.map((s) => `${s.side} ${s.name}`);
    assert.ok(v12.indexOf('server CertificateRequest') < v12.indexOf('server ServerHelloDone'));
    assert.deepEqual(v12.slice(6, 9), ['client Certificate', 'client ClientKeyExchange', 'client CertificateVerify']);
    const v13 = outlineFor('TLSv1.3', false, true).steps.map((s) => `${s.side} ${s.name}`);
    assert.deepEqual(v13.slice(3, 4), ['server CertificateRequest']);
    assert.deepEqual(v13.slice(-3), ['client Certificate', 'client CertificateVerify', 'client Finished']);
  });

  it('a resumed TLS 1.3 handshake has no certificate', () => {
    const o = outlineFor('TLSv1.3', true, false);
    assert.ok(!o.steps.some((s) => s.name === 'Certificate' || s.name === 'CertificateVerify'));
  });
});

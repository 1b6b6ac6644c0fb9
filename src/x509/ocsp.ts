// OCSP responses (RFC 6960), as a TLS server staples them (RFC 6066 Section 8, RFC 8446 Section 4.4.2.1).
//
// checkOcspResponse decides whether a response vouches for a certificate:
// - a successful response of the basic type (RFC 6960 Section 4.2.1);
// - signed by the certificate's issuer, or by a delegated responder: a certificate in the response,
//   issued (and signed) by that issuer, with extKeyUsage id-kp-OCSPSigning, valid now (Section 4.2.2.2);
//   the responderID names the signer (by name or by the SHA-1 of its key);
// - a SingleResponse whose certID matches: the hash (SHA-1 or SHA-256) of the issuer's name and key
//   and the certificate's serial number (Section 4.1.1);
// - current: thisUpdate not in the future and nextUpdate not past (5 minutes of clock skew allowed
//   each way); without nextUpdate, thisUpdate no older than 7 days;
// - status good. revoked is CERT_REVOKED, unknown OCSP_CERT_UNKNOWN, anything else OCSP_VERIFY_FAILED.

import type { CryptoProvider } from '../crypto/provider.js';
import type { Certificate } from './certificate.js';
import { Oid, parseCertificate, readAlgorithmIdentifier, readName, signatureSchemeOf } from './certificate.js';
import { DerReader, Tag, bytesEqual, contextTag, malformed } from './der.js';
import { reasonName } from './crl.js';

export interface OcspFailure {
  readonly code: string;
  readonly message: string;
}

const SKEW_MS = 5 * 60_000;
const MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 7 * 24 * 3600_000;

interface SingleResponse {
  readonly hashOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serial: Uint8Array;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly reason: number | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
}

interface BasicResponse {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: { readonly oid: string; readonly scheme: number | undefined };
  readonly signature: Uint8Array;
  readonly responderName: Uint8Array | undefined;
  readonly responderKeyHash: Uint8Array | undefined;
  readonly responses: readonly SingleResponse[];
  readonly certs: readonly Certificate[];
}

/** OCSPResponse (RFC 6960 Section 4.2.1) down to its BasicOCSPResponse. Throws TlsError(bad_certificate) when malformed. */
export function parseOcspResponse(der: Uint8Array): { status: number; basic: BasicResponse | undefined } {
  return DerReader.readAll(der, 'OCSPResponse', (outer) => {
    const r = outer.sequence('OCSPResponse');
    const statusEl = r.expectElement(0x0a, 'responseStatus');
    if (statusEl.contents.length !== 1) throw malformed('OCSPResponse.responseStatus is not one octet');
    const status = statusEl.contents[0]!;
    const bytes = r.explicit(0, 'responseBytes');
    r.end();
    if (!bytes) return { status, basic: undefined };
    const rb = bytes.sequence('ResponseBytes');
    bytes.end();
    const type = rb.oid('responseType');
    const response = rb.octetString('response');
    rb.end();
    if (type !== Oid.ocspBasic) return { status, basic: undefined };
    return { status, basic: DerReader.readAll(response, 'BasicOCSPResponse', readBasic) };
  });
}

function readBasic(outer: DerReader): BasicResponse {
  const b = outer.sequence('BasicOCSPResponse');
  const tbsEl = b.expectElement(Tag.SEQUENCE, 'tbsResponseData');
  const alg = readAlgorithmIdentifier(b, 'signatureAlgorithm');
  const signature = b.bitString('signature').bytes;
  const certs: Certificate[] = [];
  const certsEl = b.explicit(0, 'certs');
  if (certsEl) {
    const list = certsEl.sequence('certs');
    certsEl.end();
    while (!list.empty()) certs.push(parseCertificate(list.expectElement(Tag.SEQUENCE, 'Certificate').raw));
  }
  b.end();
  const t = new DerReader(tbsEl.contents, 'ResponseData');
  const v = t.explicit(0, 'version');
  if (v) {
    if (v.smallInteger('version') !== 0) throw malformed('ResponseData.version is not v1');
    v.end();
  }
  let responderName: Uint8Array | undefined;
  let responderKeyHash: Uint8Array | undefined;
  const byName = t.explicit(1, 'byName');
  if (byName) {
    responderName = readName(byName, 'Name').raw;
    byName.end();
  } else {
    const byKey = t.explicit(2, 'byKey');
    if (!byKey) throw malformed('ResponseData.responderID is missing');
    responderKeyHash = byKey.octetString('KeyHash');
    byKey.end();
  }
  t.time('producedAt');
  const list = t.sequence('responses');
  const responses: SingleResponse[] = [];
  while (!list.empty()) {
    const s = list.sequence('SingleResponse');
    const id = s.sequence('CertID');
    const hash = readAlgorithmIdentifier(id, 'hashAlgorithm');
    const issuerNameHash = id.octetString('issuerNameHash');
    const issuerKeyHash = id.octetString('issuerKeyHash');
    const serial = id.integer('serialNumber');
    id.end();
    const statusEl = s.element('certStatus');
    let status: SingleResponse['status'];
    let reason: number | undefined;
    if (statusEl.tag === contextTag(0, false)) status = 'good';
    else if (statusEl.tag === contextTag(2, false)) status = 'unknown';
    else if (statusEl.tag === contextTag(1, true)) {
      status = 'revoked';
      const info = new DerReader(statusEl.contents, 'RevokedInfo');
      info.time('revocationTime');
      const why = info.explicit(0, 'revocationReason');
      if (why) {
        const e = why.expectElement(0x0a, 'CRLReason');
        reason = e.contents[0];
        why.end();
      }
      info.end();
    } else throw malformed('SingleResponse.certStatus is not good, revoked or unknown');
    const thisUpdate = s.time('thisUpdate');
    const nu = s.explicit(0, 'nextUpdate');
    let nextUpdate: Date | undefined;
    if (nu) {
      nextUpdate = nu.time('nextUpdate');
      nu.end();
    }
    s.explicit(1, 'singleExtensions');
    s.end();
    responses.push({ hashOid: hash.oid, issuerNameHash, issuerKeyHash, serial, status, reason, thisUpdate, nextUpdate });
  }
  t.explicit(1, 'responseExtensions');
  t.end();
  return {
    tbs: tbsEl.raw,
    signatureAlgorithm: { oid: alg.oid, scheme: signatureSchemeOf(alg) },
    signature,
    responderName,
    responderKeyHash,
    responses,
    certs,
  };
}

/** The subjectPublicKey BIT STRING's value of a SubjectPublicKeyInfo (what certID and byKey hash). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  return DerReader.readAll(spki, 'SubjectPublicKeyInfo', (r) => {
    const s = r.sequence('SubjectPublicKeyInfo');
    s.sequence('algorithm');
    const { bytes } = s.bitString('subjectPublicKey');
    s.end();
    return bytes;
  });
}

const hashName = new Map<string, 'sha1' | 'sha256'>([
  [Oid.sha1, 'sha1'],
  [Oid.sha256, 'sha256'],
]);

const failed = (why: string): OcspFailure => ({ code: 'OCSP_VERIFY_FAILED', message: `OCSP verification failed: ${why}` });

function verifies(provider: CryptoProvider, signer: Certificate, scheme: number | undefined, data: Uint8Array, signature: Uint8Array): boolean {
  if (scheme === undefined) return false;
  try {
    return provider.verify(provider.loadPublicKey(signer.subjectPublicKeyInfo), scheme, data, signature);
  } catch {
    return false;
  }
}

/**
 * Whether `response` (DER OCSPResponse) says `cert`, issued by `issuer`, is good at `now`.
 * Undefined when it does; else the failure (CERT_REVOKED, OCSP_CERT_UNKNOWN, OCSP_VERIFY_FAILED). Never throws.
 */
export function checkOcspResponse(
  provider: CryptoProvider,
  response: Uint8Array,
  cert: Certificate,
  issuer: Certificate,
  now: Date,
): OcspFailure | undefined {
  let parsed: ReturnType<typeof parseOcspResponse>;
  try {
    parsed = parseOcspResponse(response);
  } catch (e) {
    return failed(e instanceof Error ? e.message : String(e));
  }
  if (parsed.status !== 0) return failed(`the responder answered with status ${parsed.status}, not successful`);
  const basic = parsed.basic;
  if (!basic) return failed('the response is not a basic OCSP response');

  // RFC 6960 Section 4.2.2.2: the issuer itself, or a responder it delegated to.
  const issuerKeyHash = provider.hash('sha1', publicKeyBits(issuer.subjectPublicKeyInfo));
  const names = (c: Certificate) =>
    basic.responderName !== undefined
      ? bytesEqual(basic.responderName, c.subject.raw)
      : bytesEqual(basic.responderKeyHash!, provider.hash('sha1', publicKeyBits(c.subjectPublicKeyInfo)));
  let signer: Certificate | undefined;
  if (names(issuer) || (basic.responderKeyHash !== undefined && bytesEqual(basic.responderKeyHash, issuerKeyHash))) {
    signer = issuer;
  } else {
    signer = basic.certs.find(
      (c) =>
        names(c) &&
        bytesEqual(c.issuer.raw, issuer.subject.raw) &&
        (c.extKeyUsage?.includes(Oid.ocspSigning) ?? false) &&
        now.getTime() >= c.notBefore.getTime() &&
        now.getTime() <= c.notAfter.getTime() &&
        verifies(provider, issuer, c.signatureAlgorithm.scheme, c.tbsCertificate, c.signatureValue),
    );
    if (!signer) return failed('the responder is neither the issuer nor a responder the issuer delegated to (id-kp-OCSPSigning)');
  }
  if (!verifies(provider, signer, basic.signatureAlgorithm.scheme, basic.tbs, basic.signature)) {
    return failed('the response signature does not verify');
  }

  // RFC 6960 Section 4.1.1: CertID.
  const single = basic.responses.find((s) => {
    const hash = hashName.get(s.hashOid);
    if (hash === undefined) return false;
    return (
      bytesEqual(s.serial, cert.serialNumber) &&
      bytesEqual(s.issuerNameHash, provider.hash(hash, issuer.subject.raw)) &&
      bytesEqual(s.issuerKeyHash, provider.hash(hash, publicKeyBits(issuer.subjectPublicKeyInfo)))
    );
  });
  if (!single) return failed('the response is not about this certificate (no matching certID)');

  // RFC 6960 Section 4.2.2.1: current.
  const t = now.getTime();
  if (single.thisUpdate.getTime() > t + SKEW_MS) return failed('the response is not yet valid (thisUpdate is in the future)');
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < t - SKEW_MS) return failed('the response has expired (nextUpdate has passed)');
  if (single.nextUpdate === undefined && t - single.thisUpdate.getTime() > MAX_AGE_WITHOUT_NEXT_UPDATE_MS) {
    return failed('the response has no nextUpdate and is older than 7 days');
  }
  if (single.status === 'revoked') {
    return { code: 'CERT_REVOKED', message: `certificate revoked${single.reason !== undefined ? ` (reason ${reasonName(single.reason)})` : ''}` };
  }
  if (single.status === 'unknown') return { code: 'OCSP_CERT_UNKNOWN', message: 'OCSP unknown cert' };
  return undefined;
}

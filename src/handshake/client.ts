// The client's first flight and ServerHello: RFC 5246 Section 7.4.1.2-7.4.1.3.

import type { ClientConfig } from '../config.js';
import { TlsError } from '../errors.js';
import { suiteAllowedAt, suiteById } from '../suites.js';
import type { TraceFields } from '../trace.js';
import {
  CompressionMethod, ECPointFormat, ExtensionType, HandshakeType, ProtocolVersion, extensionTypeName,
} from '../wire/enums.js';
import {
  decodeAlpn, decodeRenegotiationInfo, encodeAlpn, encodeEcPointFormats, encodeRenegotiationInfo, encodeServerName,
  encodeSignatureAlgorithms, encodeSupportedGroups, expectEmptyExtension, findExtension,
} from '../wire/extensions.js';
import type { ClientHello, Extension } from '../wire/messages.js';
import { isIpAddress } from '../x509/identity.js';
import { expect, protocolName, type HandshakeContext, type Input, type State } from './common.js';
import { ExpectCertificate } from './client12.js';
import { holds12, type Negotiated12 } from './tls12.js';

/** What the client offered, kept to check the server's answer against. */
export interface ClientOffer {
  readonly hello: ClientHello;
  readonly serverName: string | undefined;
  readonly config: ClientConfig;
}

const TLS12 = ProtocolVersion['TLSv1.2'];

/** Builds and sends the ClientHello; the handshake then waits for ServerHello. */
export function startClient(cx: HandshakeContext, config: ClientConfig, serverName: string | undefined): State {
  const version = Math.min(config.maxVersion, TLS12);
  const suites = config.cipherSuites.filter((id) => {
    const s = suiteById(id);
    return s !== undefined && !s.tls13 && suiteAllowedAt(s, version);
  });
  if (suites.length === 0) throw new TlsError('api_misuse', 'no cipher suite is enabled for the configured versions', { code: 'ERR_TLS_INVALID_CIPHER' });

  const extensions: Extension[] = [];
  // RFC 6066 Section 3: only DNS names go in server_name, never IP literals.
  if (serverName !== undefined && !isIpAddress(serverName)) {
    extensions.push({ type: ExtensionType.server_name, data: encodeServerName(serverName.replace(/\.$/, '')) });
  }
  extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(config.groups) });
  extensions.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([ECPointFormat.uncompressed]) });
  extensions.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(config.signatureSchemes) });
  if (config.extendedMasterSecret) extensions.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
  extensions.push({ type: ExtensionType.encrypt_then_mac, data: new Uint8Array(0) });
  // RFC 5746 Section 3.4: an empty renegotiation_info in the initial ClientHello.
  extensions.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
  if (config.alpnProtocols.length > 0) {
    extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(config.alpnProtocols) });
  }

  const hello: ClientHello = {
    type: HandshakeType.client_hello,
    legacyVersion: version,
    random: cx.provider.random(32),
    legacySessionId: new Uint8Array(0),
    cipherSuites: suites,
    legacyCompressionMethods: Uint8Array.of(CompressionMethod.null),
    extensions,
  };
  cx.sendHandshake(hello);
  return new ExpectServerHello({ hello, serverName, config });
}

/** RFC 5246 Section 7.4.1.4: the server may only answer extensions the client sent. */
function checkServerExtensions(offered: readonly Extension[], answered: readonly Extension[]): void {
  const sent = new Set(offered.map((e) => e.type));
  for (const e of answered) {
    if (!sent.has(e.type)) {
      throw new TlsError('unsupported_extension', `server sent extension ${extensionTypeName(e.type)} that the client did not offer`);
    }
  }
}

export class ExpectServerHello implements State {
  readonly name = 'ExpectServerHello';
  constructor(readonly offer: ClientOffer) {}

  holds(): TraceFields {
    return holds12({ version: this.offer.hello.legacyVersion, clientRandom: this.offer.hello.random });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const sh = expect(cx, input, HandshakeType.server_hello);
    const { config, hello } = this.offer;

    // RFC 5246 Appendix E.1: the server's version must be one the client can speak.
    if (sh.legacyVersion < config.minVersion || sh.legacyVersion > hello.legacyVersion) {
      throw new TlsError('protocol_version', `server chose ${protocolName(sh.legacyVersion)}, outside the client's ${protocolName(config.minVersion)} to ${protocolName(hello.legacyVersion)}`);
    }
    if (sh.legacyVersion !== TLS12) {
      throw new TlsError('protocol_version', `server chose ${protocolName(sh.legacyVersion)}, which this client does not implement`);
    }
    // RFC 5246 Section 7.4.1.3: the suite and compression must be among those offered.
    const suite = suiteById(sh.cipherSuite);
    if (!suite || !hello.cipherSuites.includes(sh.cipherSuite) || !suiteAllowedAt(suite, sh.legacyVersion)) {
      throw new TlsError('illegal_parameter', 'server chose a cipher suite the client did not offer');
    }
    if (sh.legacyCompressionMethod !== CompressionMethod.null) {
      throw new TlsError('illegal_parameter', 'server chose a compression method the client did not offer');
    }
    checkServerExtensions(hello.extensions, sh.extensions);

    // RFC 5746 Section 3.4: in an initial handshake renegotiation_info must be empty.
    const reneg = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    if (reneg && decodeRenegotiationInfo(reneg.data).length !== 0) {
      throw new TlsError('handshake_failure', 'server sent a non-empty renegotiation_info in an initial handshake');
    }
    const ems = findExtension(sh.extensions, ExtensionType.extended_master_secret);
    if (ems) expectEmptyExtension(ems.data, 'extended_master_secret');
    const etm = findExtension(sh.extensions, ExtensionType.encrypt_then_mac);
    if (etm) expectEmptyExtension(etm.data, 'encrypt_then_mac');
    // RFC 7301 Section 3.1: exactly one protocol, one the client offered.
    const alpn = findExtension(sh.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeAlpn(alpn.data);
      if (chosen.length !== 1 || !config.alpnProtocols.includes(chosen[0]!)) {
        throw new TlsError('illegal_parameter', 'server chose an ALPN protocol the client did not offer');
      }
      cx.info.alpnProtocol = chosen[0]!;
    }
    const sni = findExtension(sh.extensions, ExtensionType.server_name);
    if (sni) expectEmptyExtension(sni.data, 'server_name');

    cx.version = sh.legacyVersion;
    cx.setRecordVersion(sh.legacyVersion);
    // A TLS 1.2 CertificateVerify signs the messages themselves: keep them when we may have to sign.
    if (config.certificates.length > 0) cx.transcript.keepMessages();
    cx.transcript.startHash(suite.hash);
    cx.info.version = sh.legacyVersion;
    cx.info.protocol = protocolName(sh.legacyVersion);
    cx.info.cipherSuite = suite;
    cx.info.extendedMasterSecret = ems !== undefined;

    const hs: Negotiated12 = {
      version: sh.legacyVersion,
      clientRandom: hello.random,
      serverRandom: sh.random,
      sessionId: sh.legacySessionId,
      suite,
      extendedMasterSecret: ems !== undefined,
      encryptThenMac: etm !== undefined && suite.cipher.kind === 'cbc',
      secureRenegotiation: reneg !== undefined,
    };
    // RFC 7627 Section 5.3: without EMS, refuse to go on when we asked for it? We allow
    // it for interoperability with older servers, as OpenSSL and Go do.
    return new ExpectCertificate(this.offer, hs);
  }
}

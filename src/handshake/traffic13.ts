// After a TLS 1.3 handshake: application data, NewSessionTicket, KeyUpdate
// (RFC 8446 Section 4.6).

import { TlsError } from '../errors.js';
import { nextTrafficSecret } from '../keys/tls13.js';
import type { Side, TraceFields } from '../trace.js';
import { HandshakeType } from '../wire/enums.js';
import type { NewSessionTicket13 } from '../wire/messages.js';
import type { ClientOffer } from './client.js';
import { messageName, receive, type HandshakeContext, type Input, type State } from './common.js';
import { clientSessionFromTicket13 } from './resumption.js';
import { deriveTrafficKeys, holds13, protectionFor, type ApplicationSecrets13, type Negotiated13, type TrafficKeys13 } from './tls13.js';

/** RFC 8446 Section 4.6.3: KeyUpdateRequest values. */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

export class Traffic13 implements State {
  readonly name = 'Traffic';
  readonly traffic = true;
  private clientSecret: Uint8Array;
  private serverSecret: Uint8Array;
  /** For exportKeyingMaterial() (RFC 8446 Section 7.5). */
  readonly exporterMasterSecret: Uint8Array;
  /** All the application secrets, kept for the trace's "holds" (asked for only when the connection is traced). */
  private readonly traced: ApplicationSecrets13 | undefined;

  /**
   * Of the application secrets, an idle connection keeps for its lifetime only what is still used:
   * the traffic secrets (for KeyUpdate) and the exporter master secret; the master secret and the
   * first traffic keys (already in the record protections) are let go unless `traced`.
   */
  constructor(
    readonly side: Side,
    readonly hs: Negotiated13,
    app: ApplicationSecrets13,
    readonly resumptionMasterSecret: Uint8Array,
    /** The client's offer (client side only): the session it stores names the server and its config. */
    readonly offer: ClientOffer | undefined,
    traced = false,
  ) {
    this.clientSecret = app.clientApplicationTrafficSecret;
    this.serverSecret = app.serverApplicationTrafficSecret;
    this.exporterMasterSecret = app.exporterMasterSecret;
    this.traced = traced ? app : undefined;
  }

  holds(): TraceFields {
    return holds13({ hs: this.hs, application: this.traced, resumptionMasterSecret: this.resumptionMasterSecret });
  }

  handle(cx: HandshakeContext, input: Input): State {
    if (input.kind !== 'handshake') {
      throw new TlsError('unexpected_message', 'ChangeCipherSpec received after the handshake');
    }
    const type = input.frame.type;
    if (type === HandshakeType.key_update) {
      const message = receive(cx, input.frame);
      if (message.type !== HandshakeType.key_update) throw new TlsError('internal_error', 'decoder returned another message');
      this.updateReadKey(cx);
      if (message.requestUpdate === KeyUpdateRequest.update_requested) this.updateWriteKey(cx, false);
      return this;
    }
    if (type === HandshakeType.new_session_ticket && this.side === 'client') {
      const ticket = receive(cx, input.frame) as NewSessionTicket13;
      const session = clientSessionFromTicket13(cx, this.hs, this.resumptionMasterSecret, ticket, this.offer!);
      if (session) cx.emit({ type: 'session', session });
      return this;
    }
    throw new TlsError('unexpected_message', `${messageName(type)} received after the handshake`);
  }

  /** RFC 8446 Section 4.6.3: the peer moved to its next traffic secret. */
  private updateReadKey(cx: HandshakeContext): void {
    const peerIsClient = this.side === 'server';
    const next = nextTrafficSecret(cx.provider, this.hs.suite.hash, peerIsClient ? this.clientSecret : this.serverSecret);
    if (peerIsClient) this.clientSecret = next;
    else this.serverSecret = next;
    cx.setReadProtection(protectionFor(cx, this.hs.suite, this.nextKeys(cx, peerIsClient ? 'client' : 'server', next)));
    cx.trace?.({ kind: 'note', side: cx.side, text: 'KeyUpdate received: the peer now writes with its next traffic secret' });
  }

  /** Sends KeyUpdate under the current key, then moves our own writing to the next secret. */
  updateWriteKey(cx: HandshakeContext, requestPeer: boolean): void {
    cx.sendHandshake({
      type: HandshakeType.key_update,
      requestUpdate: requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested,
    });
    const weAreClient = this.side === 'client';
    const next = nextTrafficSecret(cx.provider, this.hs.suite.hash, weAreClient ? this.clientSecret : this.serverSecret);
    if (weAreClient) this.clientSecret = next;
    else this.serverSecret = next;
    cx.setWriteProtection(protectionFor(cx, this.hs.suite, this.nextKeys(cx, weAreClient ? 'client' : 'server', next)));
  }

  /** RFC 8446 Section 7.2: the keys of application_traffic_secret_N+1, traced as the first ones are. */
  private nextKeys(cx: HandshakeContext, writer: Side, secret: Uint8Array): TrafficKeys13 {
    cx.trace?.({ kind: 'secret', side: cx.side, label: `next ${writer} application traffic secret`, value: secret });
    return deriveTrafficKeys(cx, this.hs.suite, secret, `next ${writer} application`);
  }
}

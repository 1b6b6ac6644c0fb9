// After a TLS 1.2 handshake: application data flows; renegotiation is refused.

import { TlsError } from '../errors.js';
import type { Side, TraceFields } from '../trace.js';
import { AlertDescription, HandshakeType } from '../wire/enums.js';
import { messageName, receive, type HandshakeContext, type Input, type State } from './common.js';
import { holds12, type Negotiated12 } from './tls12.js';

export class Traffic12 implements State {
  readonly name = 'Traffic';
  readonly traffic = true;
  constructor(readonly side: Side, readonly hs: Negotiated12, readonly masterSecret: Uint8Array) {}

  holds(): TraceFields {
    return holds12({ hs: this.hs, masterSecret: this.masterSecret });
  }

  handle(cx: HandshakeContext, input: Input): State {
    if (input.kind !== 'handshake') {
      throw new TlsError('unexpected_message', 'ChangeCipherSpec received after the handshake');
    }
    const type = input.frame.type;
    // RFC 5746 Section 4.2 / 4.4: typetls never renegotiates. A HelloRequest (to a client) or a
    // ClientHello (to a server) is answered with a no_renegotiation warning and the connection goes on.
    const renegotiation =
      (this.side === 'client' && type === HandshakeType.hello_request) || (this.side === 'server' && type === HandshakeType.client_hello);
    if (renegotiation) {
      receive(cx, input.frame);
      cx.trace?.({ kind: 'note', side: cx.side, text: `renegotiation refused: ${messageName(type)} answered with no_renegotiation` });
      cx.sendWarning(AlertDescription.no_renegotiation);
      return this;
    }
    throw new TlsError('unexpected_message', `${messageName(type)} received after the handshake`);
  }
}

// The Worker of test/workerd/workerd.test.ts's server cases: a TLS server inside a WebSocket. The Worker
// takes the WebSocket upgrade (WebSocketPair), runs typetls's accept() over the server end (its certificate
// and the CA for client certificates come from the bindings), reads one line, and answers it with what was
// negotiated and who the client is, then closes with close_notify. The TLS client is at the other end of
// the WebSocket, so whatever carries the WebSocket sees only ciphertext.

import { accept, webSocketTransport } from 'typetls/web';

export default {
  async fetch(request, env, ctx) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('a WebSocket upgrade is expected', { status: 426 });
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept();
    ctx.waitUntil(serve(server, env));
    return new Response(null, { status: 101, webSocket: client });
  },
};

async function serve(ws, env) {
  const tls = accept(webSocketTransport(ws), { cert: env.SERVER_CERT, key: env.SERVER_KEY, ca: env.CA, requestCert: true });
  try {
    const info = await tls.opened;
    const reader = tls.readable.getReader();
    const decoder = new TextDecoder();
    let line = '';
    while (!line.includes('\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      line += decoder.decode(value, { stream: true });
    }
    reader.releaseLock();
    const answer = {
      received: line,
      protocol: info.protocol,
      cipher: info.cipher,
      authorized: info.authorized,
      clientCertificate: info.peerCertificates[0]?.subject.attributes.find((a) => a.shortName === 'CN')?.value,
    };
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(`${JSON.stringify(answer)}\n`));
    writer.releaseLock();
  } finally {
    await tls.close();
  }
}

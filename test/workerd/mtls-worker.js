// The Worker of test/workerd/workerd.test.ts's mutual-TLS cases: GET /?port=P&maxVersion=V connects to
// 127.0.0.1:P with cloudflare:sockets, runs a typetls client over the socket (the CA and the client
// certificate come from the bindings), sends a line, reads the server's line, and answers with what was
// negotiated and received.

import { connect as connectTcp } from 'cloudflare:sockets';
import { connect as connectTls } from 'typetls/web';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const tcp = connectTcp({ hostname: '127.0.0.1', port: Number(url.searchParams.get('port')) });
    const tls = connectTls(tcp, {
      servername: 'localhost',
      ca: env.CA,
      cert: env.CLIENT_CERT,
      key: env.CLIENT_KEY,
      maxVersion: url.searchParams.get('maxVersion') ?? 'TLSv1.3',
    });
    try {
      const info = await tls.opened;
      const writer = tls.writable.getWriter();
      await writer.write(new TextEncoder().encode('hello from the Worker\n'));
      writer.releaseLock();
      let received = '';
      const reader = tls.readable.getReader();
      const decoder = new TextDecoder();
      while (!received.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
      reader.releaseLock();
      return Response.json({
        protocol: info.protocol,
        cipher: info.cipher,
        authorized: info.authorized,
        serverCertificate: info.peerCertificates[0]?.subject.attributes.find((a) => a.shortName === 'CN')?.value,
        received,
      });
    } catch (error) {
      return Response.json({ error: error.message, code: error.code }, { status: 502 });
    } finally {
      await tls.close();
      await tcp.close().catch(() => undefined);
    }
  },
};

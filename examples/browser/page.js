// A page that speaks TLS itself: typetls/web over a WebSocket to a relay (serve.mjs) that carries the
// bytes to a TCP server. The relay sees only ciphertext; the page checks the server's certificate
// against the CA you paste, or against the Mozilla roots (typetls/web/roots) when you paste none.

import { connect, webSocketTransport } from 'typetls/web';
import { rootCertificates } from 'typetls/web/roots';

const form = document.querySelector('form');
const out = document.querySelector('#out');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const servername = form.servername.value.trim();
  const ca = form.ca.value.trim() || rootCertificates;
  out.textContent = `connecting to ${servername} through the relay...\n`;
  const ws = new WebSocket(new URL('/relay', location.href).href.replace(/^http/, 'ws'));
  const tls = connect(webSocketTransport(ws), { servername, ca, ALPNProtocols: ['http/1.1'] });
  try {
    const info = await tls.opened;
    out.textContent += `${info.protocol}, ${info.cipher}, ${info.group}; certificate for ${info.peerCertificates[0]?.subject.attributes.map((a) => `${a.shortName}=${a.value}`).join(', ')}: authorized\n\n`;
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(`GET ${form.path.value} HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`));
    writer.releaseLock();
    const decoder = new TextDecoder();
    for await (const chunk of tls.readable) out.textContent += decoder.decode(chunk, { stream: true });
  } catch (error) {
    // A certificate for another name: ERR_TLS_CERT_ALTNAME_INVALID; an unknown CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...
    out.textContent += `failed: ${error.code}: ${error.message}\n`;
  } finally {
    await tls.close();
  }
});

// Serves the example page (index.html and page.js, bundled with esbuild) on http://127.0.0.1:PORT/ and
// relays WebSocket connections at /relay to a TCP server: the page's TLS goes through, end to end.
//
//   node examples/browser/serve.mjs --target example.com:443 [--port 8080]
//
// Needs typetls (built: npm run build in the repository), esbuild and ws (both dev dependencies here).
// The relay forwards to the one --target only: a relay that lets a page pick any host is an open proxy.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { WebSocketServer } from 'ws';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const target = arg('--target');
if (!target || !/^[^:]+:\d+$/.test(target)) {
  console.error('usage: node examples/browser/serve.mjs --target HOST:PORT [--port 8080]');
  process.exit(2);
}
const [targetHost, targetPort] = target.split(':');
const here = fileURLToPath(new URL('.', import.meta.url));

const script = await esbuild.build({
  entryPoints: [`${here}page.js`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: true,
  write: false,
});
const files = {
  '/': ['text/html; charset=utf-8', readFileSync(`${here}index.html`)],
  '/page.js': ['text/javascript; charset=utf-8', script.outputFiles[0].contents],
};

const server = http.createServer((req, res) => {
  const file = files[new URL(req.url, 'http://x').pathname];
  if (!file) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
});
const relay = new WebSocketServer({ server, path: '/relay' });
relay.on('connection', (ws) => {
  const tcp = net.connect(Number(targetPort), targetHost);
  ws.on('message', (data) => tcp.write(data));
  tcp.on('data', (data) => ws.send(data));
  tcp.on('close', () => ws.close());
  tcp.on('error', () => ws.close());
  ws.on('close', () => tcp.end());
});
server.listen(Number(arg('--port', '8080')), '127.0.0.1', () => {
  console.log(`page: http://127.0.0.1:${server.address().port}/ (relay to ${target})`);
});

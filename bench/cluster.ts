// The cluster scaling scenario's server: a `cluster` primary that runs N bench/server.js
// workers on one shared port (node's round-robin scheduling), so a TLS server uses several
// cores. argv[2] is the ServerSpec, argv[3] the number of workers.

import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { WorkerMessage } from './common.js';
import { send } from './common.js';

const workers = Number(process.argv[3] ?? '1');
cluster.setupPrimary({ exec: fileURLToPath(new URL('./server.js', import.meta.url)), args: [process.argv[2]!] });

let listening = 0;
let port = 0;
for (let i = 0; i < workers; i++) {
  const worker = cluster.fork();
  worker.on('message', (m: WorkerMessage) => {
    if (m.type !== 'listening') return;
    port = m.port;
    if (++listening === workers) send({ type: 'listening', port });
  });
}
process.on('disconnect', () => {
  for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  process.exit(0);
});

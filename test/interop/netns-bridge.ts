// Runs a server program that cannot be told which address to bind (gnutls-serv binds every address) inside
// a private network namespace, and makes it reachable through a Unix socket.
//
//   unshare -rn --pid --fork --kill-child node netns-bridge.js SOCKET PORT CMD ARGS...
//
// In the new namespace only a loopback interface exists, so the program's wildcard bind reaches nothing
// outside. The bridge brings the loopback up, starts CMD (which must listen on PORT), waits until the
// namespace's socket table shows it listening, then listens on the Unix socket SOCKET (a path: the file
// system is shared, the network is not) and forwards each connection to 127.0.0.1:PORT inside the
// namespace. It prints "netns-bridge: ready" on stderr once connections are forwarded. CMD's stdout and
// stderr are the bridge's. The bridge is PID 1 of its own PID namespace (--pid --fork): when it dies (unshare
// sends it SIGKILL when unshare itself is stopped, --kill-child), the kernel ends CMD too.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

const [socketPath, portText, cmd, ...args] = process.argv.slice(2);
if (socketPath === undefined || portText === undefined || cmd === undefined) {
  process.stderr.write('usage: netns-bridge SOCKET PORT CMD ARGS...\n');
  process.exit(2);
}
const port = Number(portText);

const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
if (up.status !== 0) {
  process.stderr.write(`netns-bridge: cannot bring up lo: ${up.error?.message ?? up.stderr}\n`);
  process.exit(3);
}

const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (e: NodeJS.ErrnoException) => {
  process.stderr.write(e.code === 'ENOENT' ? `peer not installed: ${cmd}\n` : `netns-bridge: ${e.message}\n`);
  process.exit(4);
});
child.on('exit', (code, signal) => {
  process.stderr.write(`netns-bridge: ${cmd} exited (${code ?? signal})\n`);
  process.exit(5);
});
const stop = (): void => {
  child.kill('SIGKILL');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** Whether the socket table of this namespace shows a listener on the port (IPv4 or IPv6). */
function listening(): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 3 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === '0A') return true;
    }
  }
  return false;
}

const deadline = Date.now() + 10_000;
const wait = setInterval(() => {
  if (!listening()) {
    if (Date.now() > deadline) {
      process.stderr.write(`netns-bridge: ${cmd} did not listen on port ${port}\n`);
      child.kill('SIGKILL');
      process.exit(6);
    }
    return;
  }
  clearInterval(wait);
  const bridge = createServer({ allowHalfOpen: true }, (outer) => {
    const inner = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    outer.pipe(inner);
    inner.pipe(outer);
    outer.on('error', () => inner.destroy());
    inner.on('error', () => outer.destroy());
    outer.on('close', () => inner.destroy());
    inner.on('close', () => outer.destroy());
  });
  bridge.listen(socketPath, () => process.stderr.write('netns-bridge: ready\n'));
}, 20);

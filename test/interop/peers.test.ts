// The interop tests' own harness: a peer started on a free port is waited for until it listens there
// itself. Another process can take the port between the OS handing it out and the peer's bind; the
// listener found then is not the peer's, and a test must not connect to it (it would meet another
// certificate, and fail for a reason that is not its own).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { holdsSocket, listenerInTable } from './peers.js';

const linux = (() => {
  try {
    readFileSync('/proc/net/tcp', 'utf8');
    return true;
  } catch {
    return false;
  }
})();

test('a listener on 127.0.0.1 is told apart by the process that holds it', { skip: !linux && 'needs /proc (Linux)' }, async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const inode = listenerInTable(port);
    assert.ok(typeof inode === 'string' && /^\d+$/.test(inode) && inode !== '0', `inode ${inode}`);
    assert.equal(holdsSocket(process.pid, inode), true, 'this process holds its own listening socket');
    assert.equal(holdsSocket(other.pid!, inode), false, 'another process does not');
  } finally {
    other.kill();
    server.close();
    await once(server, 'close');
  }
  assert.equal(listenerInTable(port), null, 'nothing listens there once the server is closed');
});

// A TLS 1.2 session cache shared by a fleet of servers, in Redis, over node's 'newSession' /
// 'resumeSession' events (with a listener, the server's own cache is not used). A cache that is
// down or slow costs a full handshake, never a connection: each command has a deadline, and the
// client queues nothing while it reconnects.

/**
 * @param {import('typetls').Server} server
 * @param {import('ioredis').Redis} redis  made with { enableOfflineQueue: false } so that a command fails at once when Redis is away
 * @param {{ timeoutMs?: number, prefix?: string, ttlSeconds?: number, onError?: (err: Error) => void }} [options]
 */
export function shareSessions(server, redis, options = {}) {
  const timeoutMs = options.timeoutMs ?? 100;
  const prefix = options.prefix ?? 'tls:session:';
  const ttlSeconds = options.ttlSeconds ?? 300;
  const onError = options.onError ?? (() => {});
  const withDeadline = (promise) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('session cache timed out')), timeoutMs).unref())]);

  server.on('newSession', (id, data, done) => {
    withDeadline(redis.set(prefix + id.toString('hex'), data, 'EX', ttlSeconds)).catch(onError).finally(() => done());
  });
  server.on('resumeSession', (id, callback) => {
    withDeadline(redis.getBuffer(prefix + id.toString('hex'))).then(
      (data) => callback(null, data ?? null),
      (err) => {
        onError(err);
        callback(null, null); // a full handshake
      },
    );
  });
}

// A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, a new cluster in a temporary
// directory, listening on 127.0.0.1 only, TLS on with the given server certificate, and pg_hba.conf
// admitting nothing but TLS connections that present a client certificate from the given CA (`cert`
// authentication: the certificate's CN is the role). Its log (stderr, log_connections on) is kept.
//
// PostgreSQL refuses to run as root: as root the cluster belongs to Debian's `postgres` user, and initdb
// and postgres run as that user (spawn's uid/gid, so the PID we hold is the server's own).

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, stopProcess } from '../interop/peers.js';

const ciHint = 'bash .ci/run installs it (Debian package postgresql)';

/** The directory holding initdb and postgres: the newest /usr/lib/postgresql/N/bin, else PATH. */
export function postgresBinDir(): string {
  const has = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (has(join(debian, v, 'bin'))) return join(debian, v, 'bin');
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && has(dir)) return dir;
  throw new Error(`PostgreSQL's server programs (initdb, postgres) are not installed: not in ${debian}/*/bin nor on PATH; ${ciHint}`);
}

/** The uid and gid to run PostgreSQL as: ours, or the `postgres` user's when we are root. */
function serverIdentity(): { uid: number; gid: number } {
  const uid = process.getuid!();
  if (uid !== 0) return { uid, gid: process.getgid!() };
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(`running as root, and there is no 'postgres' user to run PostgreSQL as (PostgreSQL refuses root); ${ciHint}, which creates that user`);
  }
}

export interface PostgresTls {
  /** PEM files: the server's certificate and key, and the CA that client certificates must chain to. */
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface PostgresServer {
  readonly port: number;
  /** The role initdb created (the superuser); a client certificate with this CN signs in as it. */
  readonly user: string;
  /** Everything the server logged so far. */
  log(): string;
  /**
   * Waits until the log from offset `from` on matches `pattern` (the server may log a connection after the
   * client has gone on); resolves with that part of the log.
   */
  waitForLog(pattern: RegExp, from?: number, timeoutMs?: number): Promise<string>; // timeoutMs: 30 s
  /** Stops the server by its PID (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

/** initdb, then postgres on a free 127.0.0.1 port; resolves once it accepts connections. */
export async function startPostgres(tls: PostgresTls, user: string): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const owner = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'typetls-postgres-'));
  try {
    const data = join(dir, 'data');
    for (const [name, from] of [['server.crt', tls.cert], ['server.key', tls.key], ['ca.crt', tls.ca]] as const) {
      copyFileSync(from, join(dir, name));
      chmodSync(join(dir, name), 0o600);
      chownSync(join(dir, name), owner.uid, owner.gid);
    }
    chownSync(dir, owner.uid, owner.gid);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
    await run(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=reject', '--encoding=UTF8', '--no-sync', '--no-instructions'], owner, env);
    // Only TLS connections from 127.0.0.1 that present a certificate from our CA (`cert` implies
    // clientcert=verify-full); the certificate's CN is the role.
    writeFileSync(join(data, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 cert\n');
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return await launch(join(bin, 'postgres'), dir, data, port, user, owner, env);
      } catch (e) {
        lastError = e;
        if (!(e instanceof Error && /could not bind|already in use/.test(e.message))) break;
      }
    }
    throw lastError;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function launch(
  program: string, dir: string, data: string, port: number, user: string,
  owner: { uid: number; gid: number }, env: NodeJS.ProcessEnv,
): Promise<PostgresServer> {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    ssl: 'on',
    ssl_cert_file: join(dir, 'server.crt'),
    ssl_key_file: join(dir, 'server.key'),
    ssl_ca_file: join(dir, 'ca.crt'),
    // PostgreSQL's default, named: its one key exchange group, so a TLS 1.3 client offering X25519 first
    // is asked for P-256 by HelloRetryRequest.
    ssl_ecdh_curve: 'prime256v1',
    log_connections: 'on',
    log_disconnections: 'on',
    logging_collector: 'off',
    fsync: 'off',
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn(program, args, { ...owner, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const log = (): string => Buffer.concat(chunks).toString('utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const server: PostgresServer = {
    port,
    user,
    log,
    waitForLog: async (pattern, from = 0, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = log().slice(from);
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not log ${pattern} within ${timeoutMs} ms; its log ends:\n${tail(text)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.race([
      server.waitForLog(/database system is ready to accept connections/, 0, 30_000),
      exited.then(() => {
        throw new Error(`PostgreSQL exited before accepting connections: ${tail(log())}`);
      }),
    ]);
  } catch (e) {
    await stopServer(child);
    throw e;
  }
  return server;
}

/** SIGINT is PostgreSQL's fast shutdown (it ends the sessions and exits); SIGKILL if that takes over 10 s. */
const stopServer = (child: ChildProcess): Promise<void> => stopProcess(child, 'SIGINT', 10_000);

function run(program: string, args: readonly string[], owner: { uid: number; gid: number }, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...owner, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => output.push(c));
    child.stderr!.on('data', (c: Buffer) => output.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${program} ${args.join(' ')} failed (${code}): ${tail(Buffer.concat(output).toString('utf8'))}`)),
    );
  });
}

const tail = (text: string): string => text.trim().split('\n').slice(-8).join('\n');

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientCommand,
  commands,
  demoCommand,
  formatHelp,
  formatUsageError,
  parseArgs,
  parseHostPort,
  parsePort,
  serverCommand,
  tlsVersion,
  topCommand,
  UsageError,
} from './args.js';

describe('parseArgs', () => {
  it('takes --flag value and --flag=value, repeated flags in order, and switches', () => {
    const a = parseArgs(serverCommand, [
      '--host', '127.0.0.1', '--port=0', '--cert', 'a.pem', '--key', 'a.key', '--cert=b.pem', '--key', 'b.key', '--request-cert', '--trace',
    ]);
    assert.equal(a.help, false);
    assert.equal(a.get('host'), '127.0.0.1');
    assert.equal(a.get('port'), '0');
    assert.deepEqual(a.all('cert'), ['a.pem', 'b.pem']);
    assert.deepEqual(a.all('key'), ['a.key', 'b.key']);
    assert.equal(a.has('request-cert'), true);
    assert.equal(a.has('trace'), true);
  });

  it('reports options that were not given as absent', () => {
    const a = parseArgs(clientCommand, ['127.0.0.1:443']);
    assert.equal(a.get('servername'), undefined);
    assert.deepEqual(a.all('ca'), []);
    assert.equal(a.has('insecure'), false);
    assert.deepEqual(a.positionals, ['127.0.0.1:443']);
  });

  it('keeps a value that contains "=" after the first one', () => {
    const a = parseArgs(clientCommand, ['h:1', '--servername=a=b']);
    assert.equal(a.get('servername'), 'a=b');
  });

  it('asks for help with --help or -h anywhere, before any other check', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help'], ['127.0.0.1:1', '-h']]) {
      assert.equal(parseArgs(clientCommand, argv).help, true, argv.join(' '));
    }
    assert.equal(parseArgs(serverCommand, ['--help']).help, true);
    assert.equal(parseArgs(demoCommand, ['-h']).help, true);
  });

  it('treats everything after -- as positionals', () => {
    const a = parseArgs(clientCommand, ['--insecure', '--', '-weird:1']);
    assert.deepEqual(a.positionals, ['-weird:1']);
    assert.equal(a.has('insecure'), true);
  });

  const rejects: Array<[string, readonly string[], RegExp]> = [
    ['an unknown long option', ['--bogus'], /unknown option '--bogus'/],
    ['an unknown short option', ['-x'], /unknown option '-x'/],
    ['a clustered short option', ['-hx'], /unknown option/],
    ['a value option at the end', ['--port'], /--port needs a value/],
    ['a value that is another option', ['--ca', '--request-cert'], /--ca needs a value/],
    ['an empty value', ['--port='], /non-empty/],
    ['a switch with a value', ['--request-cert=yes'], /takes no value/],
    ['a single-valued option twice', ['--port', '1', '--port', '2'], /--port is given twice/],
    ['a switch twice', ['--trace', '--trace'], /given twice/],
    ['a version outside the choices', ['--min-version', '1.4'], /must be one of 1\.0, 1\.1, 1\.2, 1\.3/],
    ['a positional the command does not take', ['extra'], /unexpected argument 'extra'/],
  ];
  for (const [what, argv, message] of rejects) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => parseArgs(serverCommand, argv),
        (e: unknown) => e instanceof UsageError && message.test(e.message) && e.command === serverCommand,
      );
    });
  }

  it('rejects a missing required positional', () => {
    assert.throws(() => parseArgs(clientCommand, ['--insecure']), /missing HOST:PORT/);
  });

  it('--min-version and --max-version take 1.0 and 1.1 as the library does', () => {
    for (const command of [serverCommand, clientCommand]) {
      const extra = command === clientCommand ? ['127.0.0.1:1'] : [];
      const a = parseArgs(command, [...extra, '--min-version', '1.0', '--max-version', '1.1']);
      assert.equal(tlsVersion(a.get('min-version')), 'TLSv1');
      assert.equal(tlsVersion(a.get('max-version')), 'TLSv1.1');
    }
  });

  it('rejects asking for an option the command does not declare (a programming error)', () => {
    assert.throws(() => parseArgs(demoCommand, []).get('port'), /not declared/);
  });
});

describe('help texts', () => {
  for (const command of [topCommand, ...commands]) {
    const title = command.name || 'typetls';
    it(`${title}: names every option, fits 80 columns, has usage and examples`, () => {
      const text = formatHelp(command);
      for (const o of command.options) {
        assert.match(text, new RegExp(`--${o.name}\\b`), `--${o.name}`);
        if (o.short) assert.match(text, new RegExp(`-${o.short}, --${o.name}`));
        if (o.default) assert.ok(text.replace(/\s+/g, ' ').includes(`Default: ${o.default}.`), `default of --${o.name}`);
      }
      assert.match(text, /^Usage:$/m);
      assert.match(text, /^Examples:$/m);
      for (const line of text.split('\n')) assert.ok(line.length <= 80, `too wide: ${line}`);
    });
  }

  it('the top-level help lists each command', () => {
    const text = formatHelp(topCommand);
    for (const c of commands) assert.match(text, new RegExp(`^  ${c.name} +`, 'm'));
  });

  it('covers every option of the interop contract', () => {
    const server = formatHelp(serverCommand);
    for (const o of ['host', 'port', 'cert', 'key', 'ca', 'request-cert', 'min-version', 'max-version', 'ciphers', 'groups', 'alpn', 'keylog', 'trace']) {
      assert.ok(server.includes(`--${o}`), `server --${o}`);
    }
    const client = formatHelp(clientCommand);
    for (const o of ['servername', 'ca', 'cert', 'key', 'insecure', 'min-version', 'max-version', 'ciphers', 'groups', 'alpn', 'sess-out', 'sess-in', 'keylog', 'trace']) {
      assert.ok(client.includes(`--${o}`), `client --${o}`);
    }
    const demo = formatHelp(demoCommand);
    for (const o of ['max-version', 'cipher', 'group', 'no-color']) assert.ok(demo.includes(`--${o}`), `demo --${o}`);
  });

  it('a usage error says what was wrong and how to get help', () => {
    const text = formatUsageError(new UsageError("unknown option '--x'", clientCommand));
    assert.match(text, /^typetls client: unknown option '--x'$/m);
    assert.match(text, /typetls client HOST:PORT/);
    assert.match(text, /typetls client --help/);
  });
});

describe('value parsers', () => {
  it('splits HOST:PORT, including [IPv6]:PORT', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:4433'), { host: '127.0.0.1', port: 4433 });
    assert.deepEqual(parseHostPort('localhost:1'), { host: 'localhost', port: 1 });
    assert.deepEqual(parseHostPort('[::1]:65535'), { host: '::1', port: 65535 });
    for (const bad of ['localhost', '::1:443', 'host:0', 'host:65536', ':443', 'host:44x', 'host:']) {
      assert.throws(() => parseHostPort(bad), Error, bad);
    }
  });

  it('takes listening ports from 0 to 65535', () => {
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['-1', '65536', 'x', '', '1.5']) assert.throws(() => parsePort(bad), /--port/, bad);
  });

  it('maps 1.0 / 1.1 / 1.2 / 1.3 to node:tls version names', () => {
    assert.equal(tlsVersion('1.0'), 'TLSv1');
    assert.equal(tlsVersion('1.1'), 'TLSv1.1');
    assert.equal(tlsVersion('1.2'), 'TLSv1.2');
    assert.equal(tlsVersion('1.3'), 'TLSv1.3');
    assert.equal(tlsVersion('TLSv1.3'), 'TLSv1.3');
    assert.equal(tlsVersion(undefined), undefined);
    assert.throws(() => tlsVersion('1.4'), /unknown protocol version/);
    assert.throws(() => tlsVersion('1'), /unknown protocol version/);
  });
});

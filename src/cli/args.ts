// The command line's argument parser and help texts. No dependency: the
// contract (shared/interop-contract.md) needs repeated flags, `--flag value`,
// `--flag=value`, boolean switches and a few positionals, nothing more.

export interface OptionSpec {
  /** The long name without dashes: 'cert' for --cert. */
  readonly name: string;
  /** A one-letter alias without the dash. */
  readonly short?: string;
  /** A switch takes no value; the others take exactly one. */
  readonly kind: 'value' | 'switch';
  /** The placeholder shown in help ('FILE', 'LIST'). */
  readonly metavar?: string;
  /** May be given more than once (--cert, --key). */
  readonly repeat?: boolean;
  /** Accepted values, when the set is closed. */
  readonly choices?: readonly string[];
  /** The default, as shown in help. */
  readonly default?: string;
  readonly help: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  readonly required: boolean;
}

export interface CommandSpec {
  /** 'server', 'client', 'demo'; '' for the top level. */
  readonly name: string;
  readonly summary: string;
  readonly usage: readonly string[];
  /** Paragraphs, wrapped to 78 columns; an entry that starts with two spaces is a line shown as it is. */
  readonly description: readonly string[];
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  readonly examples: readonly string[];
}

/** A command line that does not fit its command; the message says why. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export class ParsedArgs {
  constructor(
    readonly command: CommandSpec,
    private readonly values: ReadonlyMap<string, readonly string[]>,
    private readonly switches: ReadonlySet<string>,
    readonly positionals: readonly string[],
    readonly help: boolean,
  ) {}

  /** The value of a single-valued option, if given. */
  get(name: string): string | undefined {
    this.known(name);
    const all = this.values.get(name);
    return all === undefined ? undefined : all[all.length - 1];
  }

  /** Every value of a repeatable option, in order. */
  all(name: string): readonly string[] {
    this.known(name);
    return this.values.get(name) ?? [];
  }

  /** Whether a switch was given. */
  has(name: string): boolean {
    this.known(name);
    return this.switches.has(name);
  }

  private known(name: string): void {
    if (!this.command.options.some((o) => o.name === name)) throw new Error(`option --${name} is not declared by '${this.command.name}'`);
  }
}

/**
 * Parses `argv` (without the node and script paths, and without the command
 * name) against a command's options. `--help` / `-h` anywhere asks for help and
 * skips every other check. `--` ends the options.
 */
export function parseArgs(command: CommandSpec, argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  if (argv.some((a, i) => (a === '--help' || a === '-h') && !argv.slice(0, i).includes('--'))) {
    return new ParsedArgs(command, values, switches, positionals, true);
  }
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };

  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = command.options.find((o) => o.name === name);
    } else {
      name = arg.slice(1);
      if (name.length !== 1) fail(`unknown option '${arg}' (single-dash options are one letter)`);
      spec = command.options.find((o) => o.short === name);
    }
    if (!spec) fail(`unknown option '${arg}'`);
    const option = spec!;
    const shown = `--${option.name}`;

    if (option.kind === 'switch') {
      if (inline !== undefined) fail(`${shown} takes no value`);
      if (switches.has(option.name) && !option.repeat) fail(`${shown} is given twice`);
      switches.add(option.name);
      continue;
    }

    let value: string;
    if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      // A value that looks like an option is almost always a forgotten value
      // (`--ca --request-cert`); `--ca=--odd-name` still passes one.
      if (next === undefined || (next.startsWith('--') && next.length > 2)) fail(`${shown} needs a value (${option.metavar ?? 'VALUE'})`);
      value = next!;
      i++;
    }
    if (value === '') fail(`${shown} needs a non-empty value`);
    if (option.choices && !option.choices.includes(value)) {
      fail(`${shown} must be one of ${option.choices.join(', ')} (got '${value}')`);
    }
    const list = values.get(option.name);
    if (list && !option.repeat) fail(`${shown} is given twice`);
    if (list) list.push(value);
    else values.set(option.name, [value]);
  }

  const required = command.positionals.filter((p) => p.required).length;
  if (positionals.length < required) {
    fail(`missing ${command.positionals[positionals.length]!.name}`);
  }
  if (positionals.length > command.positionals.length) {
    fail(`unexpected argument '${positionals[command.positionals.length]}'`);
  }
  return new ParsedArgs(command, values, switches, positionals, false);
}

// ---------------------------------------------------------------------------
// Help texts

const helpOption: OptionSpec = { name: 'help', short: 'h', kind: 'switch', help: 'Show this help and exit.' };

const versionChoices = ['1.2', '1.3'] as const;
/** What the library speaks: TLS 1.0 and 1.1 only when asked for (node:tls minVersion). */
const allVersionChoices = ['1.0', '1.1', '1.2', '1.3'] as const;

const cnFallbackOption: OptionSpec = {
  name: 'cn-fallback',
  kind: 'switch',
  help: "For private PKIs only: take the subject CN as the server's name when its certificate has no DNS name in subjectAltName.",
};

const tlsOptions = (role: 'server' | 'client'): OptionSpec[] => [
  {
    name: 'crl',
    kind: 'value',
    metavar: 'FILE',
    repeat: true,
    help: `PEM or DER CRLs: every certificate of the ${role === 'server' ? 'client' : 'server'}'s chain below its root must have a current one and not be listed (CERT_REVOKED).`,
  },
  {
    name: 'min-version',
    kind: 'value',
    metavar: '1.0|1.1|1.2|1.3',
    choices: allVersionChoices,
    default: '1.2',
    help: 'Lowest protocol version to accept. TLS 1.0 and 1.1 (RFC 8996 deprecates them) are off unless named here.',
  },
  {
    name: 'max-version',
    kind: 'value',
    metavar: '1.0|1.1|1.2|1.3',
    choices: allVersionChoices,
    default: '1.3',
    help: 'Highest protocol version to offer or accept.',
  },
  {
    name: 'ciphers',
    kind: 'value',
    metavar: 'LIST',
    default: 'the library default list',
    help:
      'Colon-separated cipher suites: OpenSSL names for TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256) and IANA names ' +
      'for TLS 1.3 (TLS_AES_128_GCM_SHA256).' +
      (role === 'server' ? ' The server prefers them in this order.' : ''),
  },
  {
    name: 'groups',
    kind: 'value',
    metavar: 'LIST',
    default: 'X25519MLKEM768:X25519:P-256:X448:P-521:P-384 and ffdhe2048 to ffdhe8192',
    help:
      'Colon-separated key exchange groups, in order of preference: X25519MLKEM768 (the post-quantum hybrid, ' +
      'TLS 1.3 only), X25519, P-256, X448, P-521, P-384 (ECDHE), ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ' +
      'ffdhe8192 (RFC 7919: DHE suites in TLS 1.2, key shares in TLS 1.3).' +
      (role === 'client'
        ? ' In TLS 1.3 the client sends a key share for the first group and, when the first is X25519MLKEM768, ' +
          'an X25519 share beside it.'
        : ''),
  },
  {
    name: 'alpn',
    kind: 'value',
    metavar: 'LIST',
    default: 'none',
    help:
      role === 'server'
        ? 'Comma-separated ALPN protocols the server accepts, in its order of preference (h2,http/1.1).'
        : 'Comma-separated ALPN protocols to offer (h2,http/1.1).',
  },
  {
    name: 'psk',
    kind: 'value',
    metavar: 'HEX',
    help:
      'A pre-shared key in hex, as openssl -psk takes it (1 to 512 bytes): a TLS 1.3 external PSK (SHA-256), ' +
      'and the TLS 1.2 PSK suites when --ciphers names them (PSK-AES128-GCM-SHA256, ECDHE-PSK-CHACHA20-POLY1305, ...).' +
      (role === 'server' ? ' With it --cert and --key may be left out.' : ''),
  },
  {
    name: 'psk-identity',
    kind: 'value',
    metavar: 'ID',
    default: 'Client_identity',
    help: role === 'server' ? 'The one PSK identity the server knows (with --psk).' : 'The identity sent with --psk.',
  },
  ...(role === 'server'
    ? [{ name: 'psk-hint', kind: 'value', metavar: 'TEXT', help: 'The identity hint of a TLS 1.2 PSK suite (with --psk).' } as const]
    : []),
  {
    name: 'keylog',
    kind: 'value',
    metavar: 'FILE',
    help: 'Append the NSS key log lines (for Wireshark) to FILE. Anyone holding FILE can decrypt the traffic.',
  },
  {
    name: 'trace',
    kind: 'switch',
    help:
      'Print every handshake message with its fields and, after each step, what this side now holds, to stderr ' +
      '(so stdout stays the data). Secrets are shown in hex: for learning and debugging only.',
  },
];

export const serverCommand: CommandSpec = {
  name: 'server',
  summary: 'serve HTTP/1.x and echo over TLS',
  usage: [
    'typetls server --host 127.0.0.1 --port P --cert c.pem --key k.pem [options]',
  ],
  description: [
    'Listens for TLS connections and prints "listening on HOST:PORT" on stdout once it accepts them ' +
      '(with --port 0, the port the system chose).',
    'Each HTTP/1.x request is answered with "HTTP/1.1 200 OK" and a one-line text body naming what was ' +
      'negotiated: version, cipher suite (as node:tls names them), key exchange group, and ALPN protocol when ' +
      'there is one, e.g.',
    '  version=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 group=X25519MLKEM768',
    '  version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 group=X25519',
    'Several requests may share a connection; after the response to a request with "Connection: close" the ' +
      'server sends close_notify and closes. A connection whose first bytes are not an HTTP request line is ' +
      'echoed back byte for byte.',
    'TLS 1.3 and 1.2 are both accepted by default. Sessions can be resumed (TLS 1.2 by session ID or ' +
      'ticket, TLS 1.3 by PSK ticket) for as long as the server runs.',
    'A failed or refused handshake prints one line to stderr; the server keeps serving. SIGTERM or SIGINT ' +
      'closes the listener, sends close_notify on open connections and exits 0.',
  ],
  positionals: [],
  options: [
    { name: 'host', kind: 'value', metavar: 'ADDR', default: '127.0.0.1', help: 'Address to listen on.' },
    { name: 'port', kind: 'value', metavar: 'P', default: '4433', help: 'Port to listen on; 0 lets the system choose.' },
    {
      name: 'cert',
      kind: 'value',
      metavar: 'FILE',
      repeat: true,
      help:
        'PEM certificate chain, leaf first. Required, unless --psk is given. May be repeated, each with its own --key in the same ' +
        'order (e.g. one RSA and one ECDSA certificate); the server picks one per handshake.',
    },
    { name: 'key', kind: 'value', metavar: 'FILE', repeat: true, help: 'PEM private key of the matching --cert. Required with --cert.' },
    { name: 'ca', kind: 'value', metavar: 'FILE', help: 'PEM certificates trusted to issue client certificates (with --request-cert).' },
    {
      name: 'request-cert',
      kind: 'switch',
      help:
        'Require a client certificate issued by --ca (CertificateRequest, in TLS 1.2 and 1.3); clients ' +
        'without one, or with one from another issuer, are refused.',
    },
    ...tlsOptions('server'),
    helpOption,
  ],
  examples: [
    'typetls server --port 4433 --cert server.pem --key server.key',
    'typetls server --cert rsa.crt --key rsa.key --cert ec.crt --key ec.key',
    'typetls server --port 4433 --cert s.pem --key s.key --ca ca.pem --request-cert',
    'typetls server --cert s.pem --key s.key \\',
    '    --max-version 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384',
    'typetls server --cert s.pem --key s.key \\',
    '    --ciphers TLS_CHACHA20_POLY1305_SHA256 --groups X25519',
    'typetls server --port 4433 --cert s.pem --key s.key --alpn h2,http/1.1 --trace',
    'typetls server --port 4433 \\',
    '    --psk 000102030405060708090a0b0c0d0e0f --psk-identity client1',
  ],
};

export const clientCommand: CommandSpec = {
  name: 'client',
  summary: 'connect, then copy stdin to the server and the server to stdout',
  usage: ['typetls client HOST:PORT [options]'],
  description: [
    'Connects to HOST:PORT and verifies the server certificate against the system roots (or --ca) and the ' +
      "name from --servername, else HOST. An IP address is checked against the certificate's IP addresses " +
      'and sent without SNI.',
    'Then it writes stdin to the connection and the bytes received to stdout, unchanged; when stdin ends it ' +
      'sends close_notify and keeps reading until the server closes. After the handshake it prints one line ' +
      'to stderr:',
    '  protocol=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 resumed=no alpn=none',
    'Exit status: 0 after a clean close; 1 on any failure, with a last stderr line "error: CODE: message", ' +
      'e.g. "error: CERT_HAS_EXPIRED: certificate has expired"; 2 for a bad command line. The handshake ' +
      'times out after 30 s.',
  ],
  positionals: [{ name: 'HOST:PORT', help: 'The server; HOST may be a name, an IPv4 address or [IPv6].', required: true }],
  options: [
    {
      name: 'servername',
      kind: 'value',
      metavar: 'NAME',
      default: 'HOST when it is a name',
      help: 'Name sent as SNI and checked against the server certificate.',
    },
    { name: 'ca', kind: 'value', metavar: 'FILE', default: 'the system roots', help: 'PEM certificates trusted to issue the server certificate.' },
    { name: 'cert', kind: 'value', metavar: 'FILE', help: 'PEM client certificate chain, for servers that ask for one.' },
    { name: 'key', kind: 'value', metavar: 'FILE', help: 'PEM private key of --cert.' },
    { name: 'insecure', kind: 'switch', help: 'Do not verify the server certificate (testing only).' },
    {
      name: 'require-ocsp',
      kind: 'switch',
      help: 'Ask for a stapled OCSP response and require a valid one for the server certificate: signed by its issuer or a delegated responder, for this certificate, current, and not revoked.',
    },
    cnFallbackOption,
    ...tlsOptions('client'),
    {
      name: 'sess-out',
      kind: 'value',
      metavar: 'FILE',
      help:
        'Save the session to FILE for a later --sess-in: in TLS 1.2 the session ID and ticket, in TLS 1.3 ' +
        'the ticket the server sends after the handshake. FILE is rewritten with each session the server ' +
        'sends; the client reads until the server closes, so a ticket that comes after the data is kept.',
    },
    {
      name: 'sess-in',
      kind: 'value',
      metavar: 'FILE',
      help:
        'Offer the session saved in FILE (by --sess-out) to resume it; the stderr line then says ' +
        'resumed=yes if the server accepted it.',
    },
    helpOption,
  ],
  examples: [
    "printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' \\",
    '    | typetls client localhost:4433 --ca ca.pem',
    'typetls client 127.0.0.1:4433 --ca ca.pem < request.txt > response.txt',
    'typetls client 127.0.0.1:4433 --servername localhost --ca ca.pem',
    'typetls client 127.0.0.1:4433 --ca ca.pem --cert client.pem --key client.key',
    'typetls client localhost:4433 --insecure --trace </dev/null',
    'typetls client 127.0.0.1:4433 --ca ca.pem --sess-out s.bin </dev/null',
    'typetls client 127.0.0.1:4433 --ca ca.pem --sess-in s.bin </dev/null',
    'typetls client 127.0.0.1:4433 --ca ca.pem --max-version 1.2 --groups P-256',
    'typetls client 127.0.0.1:4433 --psk 000102030405060708090a0b0c0d0e0f \\',
    '    --psk-identity client1 --max-version 1.2 --ciphers PSK-AES128-GCM-SHA256',
  ],
};

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'a traced handshake, client and server in one process (npm start)',
  usage: ['typetls demo [--tls13] [--resume] [--mtls] [options]', 'npm start -- [options]'],
  description: [
    'Makes a certificate authority and a server certificate in memory, starts a typetls server on ' +
      '127.0.0.1 (a port the system chooses) and a typetls client in the same process, and prints the ' +
      'handshake step by step: each message with its fields and, after each step, what the client and the ' +
      'server now hold (randoms, session ID, cipher suite, certificate, pre-master secret, master secret, ' +
      'session keys), with the real values in hex.',
    'Then it sends one HTTP request over the secure channel, prints the response, closes both sides and ' +
      'exits. Nothing to set up.',
    'Without options it shows the TLS 1.2 handshake with ECDHE (X25519). The modes below combine, e.g. ' +
      '"typetls demo --tls13 --resume":',
    '  --tls13    TLS 1.3: key shares, every secret of the key schedule, traffic keys',
    '  --resume   a full handshake, then a second connection resuming the session',
    '             (TLS 1.2: session ID and ticket; TLS 1.3: a PSK from the ticket)',
    '  --mtls     the server asks for a client certificate (CertificateRequest,',
    '             the client\'s Certificate and CertificateVerify)',
  ],
  positionals: [],
  options: [
    { name: 'tls13', kind: 'switch', help: 'Show a TLS 1.3 handshake (the same as --max-version 1.3).' },
    {
      name: 'max-version',
      kind: 'value',
      metavar: '1.2|1.3',
      choices: versionChoices,
      default: '1.2',
      help: 'Highest protocol version both sides allow.',
    },
    {
      name: 'resume',
      kind: 'switch',
      help:
        'Connect twice: a full handshake shown in brief, then a second connection that offers the session ' +
        'the client kept, traced in full (the abbreviated handshake).',
    },
    {
      name: 'mtls',
      kind: 'switch',
      help: 'Mutual TLS: the server requires a certificate from the client, issued by the demo CA (ECDSA P-256).',
    },
    {
      name: 'cipher',
      kind: 'value',
      metavar: 'NAME',
      default: 'the library default',
      help:
        'Cipher suite the client offers, OpenSSL or IANA name. AES128-GCM-SHA256 shows the RSA key exchange ' +
        "(the pre-master secret encrypted with the server's public key); a TLS 1.3 name " +
        '(TLS_CHACHA20_POLY1305_SHA256) implies --tls13.',
    },
    {
      name: 'group',
      kind: 'value',
      metavar: 'NAME',
      default: 'X25519 in TLS 1.2; in TLS 1.3 X25519MLKEM768, with an X25519 share beside it',
      help: 'Key exchange group: X25519, P-256, P-384, or X25519MLKEM768 (TLS 1.3 only).',
    },
    { name: 'no-color', kind: 'switch', help: 'No ANSI colors (also when NO_COLOR is set or the output is not a terminal).' },
    helpOption,
  ],
  examples: [
    'npm start',
    'typetls demo --tls13',
    'typetls demo --resume',
    'typetls demo --tls13 --resume',
    'typetls demo --mtls',
    'typetls demo --cipher AES128-GCM-SHA256',
    'typetls demo --tls13 --group P-256 --no-color | less',
  ],
};

export const verifyCommand: CommandSpec = {
  name: 'verify',
  summary: 'validate a certificate chain and print the path built',
  usage: ['typetls verify [--ca FILE] [--untrusted FILE] [--host NAME] [options] cert.pem'],
  description: [
    'Builds a path from the certificate in cert.pem through the untrusted intermediates to a trusted root ' +
      '(RFC 5280 Section 6), with the same validator the TLS client uses: signatures, validity, CA flags, ' +
      'path length, key usage and extended key usage, name constraints, then the name given with --host.',
    'On success it prints OK and the chain, leaf (0) to root, one certificate a line:',
    '  OK',
    '  0 CN=localhost  issued by CN=Test CA  valid 2026-01-01..2026-02-01  rsa 2048',
    '  1 CN=Test CA  issued by CN=Test CA  valid 2026-01-01..2026-03-02  rsa 2048',
    'Exit status: 0 when the chain is valid; 1 when it is not, with one stderr line "error: CODE: message" ' +
      'whose code is the one node:tls gives, e.g. "error: CERT_HAS_EXPIRED: certificate has expired"; 2 for ' +
      'a bad command line or a file that cannot be read as certificates.',
  ],
  positionals: [
    {
      name: 'cert.pem',
      help:
        'The certificate to verify, PEM (or DER). Further certificates after the first in the same file are ' +
        'untrusted intermediates, as with openssl verify.',
      required: true,
    },
  ],
  options: [
    {
      name: 'ca',
      kind: 'value',
      metavar: 'FILE',
      repeat: true,
      default: 'the system roots (node:tls rootCertificates)',
      help: 'PEM certificates trusted as roots; given, they replace the system roots.',
    },
    { name: 'untrusted', kind: 'value', metavar: 'FILE', repeat: true, help: 'PEM intermediates to build the path with, in any order.' },
    {
      name: 'host',
      kind: 'value',
      metavar: 'NAME',
      help:
        "A DNS name, checked against the leaf's DNS names (RFC 6125), or an IP address, checked against its IP " +
        'addresses. Without it no name is checked.',
    },
    {
      name: 'purpose',
      kind: 'value',
      metavar: 'server|client',
      choices: ['server', 'client'],
      default: 'server',
      help: 'The extended key usage the leaf must allow: serverAuth or clientAuth.',
    },
    { name: 'at', kind: 'value', metavar: 'DATE', default: 'now', help: 'Verify at this ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z).' },
    { name: 'max-depth', kind: 'value', metavar: 'N', default: '8', help: 'The most intermediates allowed between the leaf and the root (self-issued ones not counted).' },
    { name: 'crl', kind: 'value', metavar: 'FILE', repeat: true, help: 'PEM or DER CRLs: every certificate below the root must have a current one and not be listed (CERT_REVOKED).' },
    cnFallbackOption,
    {
      name: 'profile',
      kind: 'value',
      metavar: 'webpki|node',
      choices: ['webpki', 'node'],
      default: 'webpki',
      help: "The rules: webpki (the CA/Browser Forum profile, as Chrome and rustls) or node (what node:tls accepts). See docs/certificates.md.",
    },
    { name: 'json', kind: 'switch', help: 'Print the result as one JSON object on stdout: {"ok":true,"chain":[...]} or {"ok":false,"code","message"}.' },
    helpOption,
  ],
  examples: [
    'typetls verify --ca ca.pem --host localhost server.pem',
    'typetls verify --ca ca.pem --untrusted intermediate.pem \\',
    '    --host 127.0.0.1 server.pem',
    'typetls verify --host example.com fullchain.pem',
    'typetls verify --ca ca.pem --purpose client --at 2026-06-01 client.pem',
    'typetls verify --ca ca.pem --json server.pem',
  ],
};

export const topCommand: CommandSpec = {
  name: '',
  summary: 'a TLS client and server written in TypeScript',
  usage: ['typetls <command> [options]', 'typetls <command> --help'],
  description: [
    'Commands:',
    `  server   ${serverCommand.summary}`,
    `  client   ${clientCommand.summary}`,
    `  demo     ${demoCommand.summary}`,
    `  verify   ${verifyCommand.summary}`,
    'Run "typetls <command> --help" for the options of each command.',
  ],
  positionals: [],
  options: [helpOption, { name: 'version', short: 'V', kind: 'switch', help: 'Print the typetls version and exit.' }],
  examples: [
    'typetls demo',
    'typetls demo --tls13 --resume',
    'typetls server --port 4433 --cert server.pem --key server.key',
    "printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' \\",
    '    | typetls client localhost:4433 --ca ca.pem',
  ],
};

export const commands: readonly CommandSpec[] = [serverCommand, clientCommand, demoCommand, verifyCommand];

/** Wraps `text` to `width` columns at spaces. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The full help text of a command, for an 80-column terminal. */
export function formatHelp(command: CommandSpec): string {
  const out: string[] = [];
  const title = command.name === '' ? 'typetls' : `typetls ${command.name}`;
  out.push(`${title} - ${command.summary}`, '', 'Usage:');
  for (const u of command.usage) out.push(`  ${u}`);
  for (const paragraph of command.description) {
    // Lines that start with two spaces are shown as they are, under the paragraph before them.
    if (paragraph.startsWith('  ')) out.push(paragraph);
    else out.push('', ...wrapWords(paragraph, 78));
  }
  if (command.positionals.length > 0) {
    out.push('', 'Arguments:');
    for (const p of command.positionals) {
      out.push(`  ${p.name}`);
      for (const l of wrapWords(p.help, 70)) out.push(`      ${l}`);
    }
  }
  out.push('', 'Options:');
  for (const o of command.options) {
    const names = (o.short ? `-${o.short}, ` : '') + `--${o.name}` + (o.kind === 'value' ? ` ${o.metavar ?? 'VALUE'}` : '');
    out.push(`  ${names}`);
    let text = o.help;
    if (o.repeat) text += ' Repeatable.';
    if (o.default !== undefined) text += ` Default: ${o.default}.`;
    for (const l of wrapWords(text, 70)) out.push(`      ${l}`);
  }
  out.push('', 'Examples:');
  for (const e of command.examples) out.push(`  ${e}`);
  return out.join('\n') + '\n';
}

/** The short text printed with a usage error. */
export function formatUsageError(error: UsageError): string {
  const title = error.command.name === '' ? 'typetls' : `typetls ${error.command.name}`;
  const usage = error.command.usage.map((u) => `  ${u}`).join('\n');
  return `${title}: ${error.message}\nUsage:\n${usage}\nRun "${title} --help" for every option.\n`;
}

/** '1.2' → 'TLSv1.2', as node:tls spells versions. */
export function tlsVersion(value: string | undefined): 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined {
  if (value === undefined) return undefined;
  if (value === '1.0' || value === 'TLSv1') return 'TLSv1';
  if (value === '1.1' || value === 'TLSv1.1') return 'TLSv1.1';
  if (value === '1.2' || value === 'TLSv1.2') return 'TLSv1.2';
  if (value === '1.3' || value === 'TLSv1.3') return 'TLSv1.3';
  throw new Error(`unknown protocol version '${value}'`);
}

/** Splits `HOST:PORT`, `[v6]:PORT`; the port must be 1 to 65535. */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`'${value}' is not HOST:PORT`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

/** A listening port: 0 to 65535. */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new Error(`--port must be a number from 0 to 65535 (got '${value}')`);
  return Number(value);
}

// Summarises a V8 CPU profile (node --cpu-prof): the functions with the most self time, the
// share of the total under each typetls source file, and (--categories) where a TLS server's
// time goes: each sample put in one category by its stack.
//
//   node dist/bench/profile.js FILE.cpuprofile [TOP]
//   node dist/bench/profile.js --categories [--us N] FILE.cpuprofile...
//     (--us: the server's measured CPU µs per handshake, to print each category's µs per handshake)

import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    total += us;
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^file:\/\/.*?\/dist\//, '').replace(/^node:/, 'node:') || '(native)';
    const name = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`total ${(total / 1000).toFixed(0)} ms sampled`, '', 'self time by function:'];
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  lines.push('', 'self time by file:');
  for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${file}`);
  return lines.join('\n');
}

// --- categories ------------------------------------------------------------------------------

/** A rule: the category of a sample whose stack holds a frame the rule matches. */
interface Rule {
  category: string;
  url?: RegExp;
  fn?: RegExp;
}

const frameMatches = (r: Rule, f: CallFrame): boolean => (r.url === undefined || r.url.test(f.url)) && (r.fn === undefined || r.fn.test(f.functionName));

/** Start-up: loading modules, reading the PKI; not part of any handshake. Any frame of the stack. */
const startupRules: Rule[] = [
  { category: 'start-up (module loading)', url: /^node:internal\/modules\// },
  { category: 'start-up (module loading)', fn: /^compileForInternalLoader$|^compileSourceTextModule$/ },
];

/** The engine's and the crypto's parts, tried from the leaf of the stack to its root. */
const engineRules: Rule[] = [
  { category: 'signing (CertificateVerify, ServerKeyExchange) / RSA decryption', url: /src\/crypto\/node\.js$/, fn: /^(sign|rsaDecrypt|privateDecrypt|decrypt)$/ },
  { category: 'key exchange (X25519, ECDHE)', url: /src\/crypto\/node\.js$/, fn: /X25519|Ecdh|ECDH|agree|keyShare|generateKey|Share/ },
  { category: 'key exchange (X25519, ECDHE)', url: /@noble\/(curves|post-quantum)/ },
  { category: 'session / ticket lookup, sealing and opening', url: /src\/handshake\/resumption\.js$/ },
  { category: 'key schedule (HKDF, PRF, Finished, binders)', url: /src\/keys\/(tls13|prf|exporter)\.js$/ },
  { category: 'key schedule (HKDF, PRF, Finished, binders)', url: /src\/handshake\/tls1[23]\.js$/, fn: /derive|Binder|inished|Secret|masterSecret|keyBlock/i },
  { category: 'transcript hashing', url: /src\/keys\/transcript\.js$/ },
  { category: 'record sealing and opening', url: /src\/record\// },
  { category: 'ClientHello and message parsing', url: /src\/wire\/(reader|extensions)\.js$|src\/node\/client-hello\.js$/ },
  { category: 'ClientHello and message parsing', url: /src\/wire\/messages\.js$/, fn: /^(decode|read|parse)/ },
  { category: 'message encoding', url: /src\/wire\/(writer|messages)\.js$/ },
  { category: 'certificates (x509, PEM)', url: /src\/x509\// },
  { category: 'handshake state machine and connection', url: /src\/(handshake|connection|engine|config|suites|errors|trace)|src\/keys\/keylog/ },
];

/** The Node adapter's parts, tried (any frame) when no engine rule matched. */
const adapterRules: Rule[] = [
  { category: 'socket setup (TLSSocket, net.Socket, listeners)', url: /src\/node\/socket\.js$/, fn: /^TLSSocket$|instance_members_initializer/ },
  { category: 'socket setup (TLSSocket, net.Socket, listeners)', url: /src\/node\/api\.js$/ },
  { category: 'socket setup (TLSSocket, net.Socket, listeners)', url: /src\/node\/transport\.js$/, fn: /^(adoptAccepted|readAccepted|readWithOnread|readingSocket)$/ },
  { category: 'socket setup (TLSSocket, net.Socket, listeners)', url: /^node:net$/, fn: /^(Socket|onconnection)$/ },
  { category: 'timers', url: /^node:internal\/timers$|^node:timers$/ },
  { category: 'Node stream adapter (socket.ts, streams, events, net)', url: /src\/node\/|^node:internal\/streams|^node:net$|^node:events$|stream_base_commons|task_queues|^node:internal\/(async_hooks|process|util)|^node:buffer$/ },
];

/** Frames of V8's garbage collector in a native (perf) stack. */
const gcFrame = /Heap::|Scavenge|MarkCompact|Sweeper|ConcurrentMarking|MinorMC|GCTracer|MemoryAllocator|ArrayBufferSweeper/;
/** Frames of module loading and evaluation in a native (perf) stack. */
const startupFrame = /SourceTextModule::|ModuleWrap|node::LoadEnvironment|node::StartExecution|node:internal\/modules\//;

function categoryOf(stack: CallFrame[]): string {
  const leaf = stack[0]!;
  if (stack.some((f) => gcFrame.test(f.functionName))) return 'garbage collector (allocations)';
  if (leaf.functionName === '(idle)') return '(idle)';
  if (leaf.functionName === '(garbage collector)') return 'garbage collector (allocations)';
  for (const r of startupRules) if (stack.some((f) => frameMatches(r, f))) return r.category;
  if (stack.some((f) => startupFrame.test(f.functionName) || startupFrame.test(f.url))) return 'start-up (module loading)';
  for (const f of stack) for (const r of engineRules) if (frameMatches(r, f)) return r.category;
  for (const r of adapterRules) if (stack.some((f) => frameMatches(r, f))) return r.category;
  if (leaf.functionName === '(program)') return '(program: V8 and native, outside JavaScript)';
  return `other (${leaf.functionName || '(anonymous)'} ${leaf.url.replace(/^file:\/\/.*?\/dist\//, '')})`;
}

/** Samples per category, summed over the profiles. */
export function categorise(profiles: readonly Profile[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const cache = new Map<number, string>();
    profile.samples.forEach((id, i) => {
      let category = cache.get(id);
      if (category === undefined) {
        const stack: CallFrame[] = [];
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
        category = categoryOf(stack);
        cache.set(id, category);
      }
      // Each sample counts once, whatever its time delta: on a loaded machine a sample taken
      // after the process waited for a core carries that wait, and falls on whatever runs first
      // after a wake-up (accepting the next connection), which would inflate it many times.
      void i;
      out.set(category, (out.get(category) ?? 0) + 1);
    });
  }
  return out;
}

/** OpenSSL leaf functions, for native stacks that end before reaching JavaScript. */
const nativeRules: { category: string; leaf: RegExp }[] = [
  { category: 'signing (CertificateVerify, ServerKeyExchange) / RSA decryption', leaf: /^(__)?bn_|^BN_|rsaz|mulx4x|sqrx8x|RSA_|ecp_nistz256|ECDSA|ossl_ec_/ },
  { category: 'key exchange (X25519, ECDHE)', leaf: /x25519|^fe_|^fe51|X25519/ },
  { category: 'transcript hashing', leaf: /^sha(1|256|512)_block|^SHA(1|256|512)_/ },
  { category: 'record sealing and opening', leaf: /aesni|gcm|ghash|chacha|poly1305|^aes_/i },
];

/**
 * The same categories from `perf script -F comm,pid,tid,ip,sym,dso` of a `perf record -e cpu-clock -g`
 * run with node's --perf-basic-prof (every sample is CPU time, so a loaded machine does not bias
 * it): the samples of every thread of the processes whose main thread is named `comm` (the bench
 * workers set process.title). Other threads' samples are V8's helpers: the GC's, or the compiler's.
 */
export function categorisePerf(text: string, comm: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (c: string): void => {
    out.set(c, (out.get(c) ?? 0) + 1);
  };
  const samples: { pid: string; tid: string; comm: string; stack: CallFrame[] }[] = [];
  let current: (typeof samples)[number] | undefined;
  for (const line of text.split('\n')) {
    const header = /^\s*(\S.*?)\s+(\d+)\/(\d+)\s*$/.exec(line);
    if (header) {
      current = { comm: header[1]!, pid: header[2]!, tid: header[3]!, stack: [] };
      samples.push(current);
      continue;
    }
    const frame = /^\s+[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/.exec(line);
    if (!frame || !current) continue;
    // perf-basic-prof names: "JS:*name url:line:col" (optimised), "JS:~name url:..." (not yet), "Script:~ url".
    const js = /^(?:JS|LazyCompile|Function|Script):[*~^+-]?(\S*)\s*(.*?)(?::\d+(?::\d+)?)?$/.exec(frame[1]!);
    if (js && frame[2]!.includes('perf-')) current.stack.push({ functionName: js[1]!, url: js[2]!, lineNumber: 0 });
    else current.stack.push({ functionName: frame[1]!, url: '', lineNumber: 0 });
  }
  const pids = new Set(samples.filter((x) => x.comm === comm && x.pid === x.tid).map((x) => x.pid));
  for (const x of samples) {
    if (!pids.has(x.pid) || x.stack.length === 0) continue;
    if (x.pid !== x.tid) {
      add(x.stack.some((f) => gcFrame.test(f.functionName)) ? 'garbage collector (allocations)' : 'V8 helper threads (compiler)');
      continue;
    }
    const c = categoryOf(x.stack);
    if (!c.startsWith('other (') && !c.startsWith('(program')) {
      add(c);
      continue;
    }
    // OpenSSL's assembly keeps no frame pointers, so its stacks often end before any JavaScript
    // frame: the leaf names the work.
    const native = nativeRules.find((r) => r.leaf.test(x.stack[0]!.functionName));
    add(native ? native.category : x.stack.some((f) => f.url !== '') ? c : 'kernel and libuv outside JavaScript (TCP, epoll, accept)');
  }
  return out;
}

/** The categories as a Markdown table: share of the busy time (idle and start-up left out), and µs per handshake. */
export function formatCategories(byCategory: Map<string, number>, usPerHandshake?: number): string {
  const excluded = (c: string): boolean => c === '(idle)' || c.startsWith('start-up');
  let busy = 0;
  for (const [c, n] of byCategory) if (!excluded(c)) busy += n;
  const rows = [...byCategory].filter(([c]) => !excluded(c)).sort((a, b) => b[1] - a[1]);
  const lines = [
    `${busy} busy samples (${byCategory.get('(idle)') ?? 0} idle and the start-up's left out)`,
    '',
    `| where | share |${usPerHandshake !== undefined ? ' µs per handshake |' : ''}`,
    `|:--|--:|${usPerHandshake !== undefined ? '--:|' : ''}`,
  ];
  for (const [c, n] of rows) {
    const share = n / busy;
    lines.push(`| ${c} | ${(share * 100).toFixed(1)} % |${usPerHandshake !== undefined ? ` ${Math.round(share * usPerHandshake)} |` : ''}`);
  }
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile.js') && process.argv[2]) {
  const args = process.argv.slice(2);
  if (args[0] === '--perf') {
    const usAt = args.indexOf('--us');
    const us = usAt > 0 ? Number(args[usAt + 1]) : undefined;
    if (usAt > 0) args.splice(usAt, 2);
    process.stdout.write(`${formatCategories(categorisePerf(readFileSync(args[1]!, 'utf8'), args[2] ?? 'tt-server'), us)}\n`);
  } else if (args[0] === '--categories') {
    const usAt = args.indexOf('--us');
    const us = usAt > 0 ? Number(args[usAt + 1]) : undefined;
    if (usAt > 0) args.splice(usAt, 2);
    args.shift();
    const profiles = args.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Profile);
    process.stdout.write(`${formatCategories(categorise(profiles), us)}\n`);
  } else {
    const profile = JSON.parse(readFileSync(args[0]!, 'utf8')) as Profile;
    process.stdout.write(`${summarise(profile, Number(args[1] ?? 25))}\n`);
  }
}

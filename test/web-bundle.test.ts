// typetls/web bundled for the browser with esbuild: the bundle reaches no node:* module and no .node
// file, and it runs where Node's APIs are absent — a node:vm context holding only what a browser or a
// Worker offers (crypto.getRandomValues, TextEncoder/TextDecoder) completes a TLS 1.3 and a TLS 1.2
// handshake between a client and a server both taken from the bundle, and they exchange data.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rootCertificates as nodeRootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { makeTestPki } from './certs/make.js';

/** The package root: dist/test/ → ../../ */
const root = fileURLToPath(new URL('../../', import.meta.url));

async function bundle(
  format: 'esm' | 'iife',
  conditions: string[],
  contents = "export * from 'typetls/web';",
): Promise<{ text: string; inputs: string[]; bytes: number }> {
  const result = await esbuild.build({
    // Through the package's own name and its "exports" map, as an application imports it.
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'browser',
    conditions,
    format,
    ...(format === 'iife' ? { globalName: 'typetls' } : {}),
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const text = result.outputFiles[0]!.text;
  return { text, inputs: Object.keys(result.metafile.inputs), bytes: text.length };
}

describe('typetls/web bundled with esbuild for the browser', () => {
  for (const conditions of [['browser'], ['workerd', 'worker'], ['deno'], []]) {
    it(`conditions [${conditions.join(', ')}]: no node:* import and no .node file among the inputs or in the output`, async () => {
      const { text, inputs } = await bundle('esm', conditions);
      assert.ok(inputs.some((p) => p.endsWith('dist/src/web/index.js')), 'the web entry is what "typetls/web" resolved to');
      assert.ok(inputs.some((p) => p.endsWith('dist/src/crypto/portable.js')));
      assert.deepEqual(inputs.filter((p) => p.startsWith('node:') || p.endsWith('.node') || /(^|\/)dist\/src\/(node|cli)\//.test(p) || p.endsWith('crypto/node.js')), []);
      assert.doesNotMatch(text, /["'`]node:[a-z_/]+["'`]/, 'no node: specifier in the bundle');
      assert.doesNotMatch(text, /\.node["'`]/, 'no .node file named in the bundle');
      assert.doesNotMatch(text, /\brequire\(/, 'no require() left for a runtime to resolve');
    });
  }

  it('the bundle runs with only getRandomValues and TextEncoder/TextDecoder: TLS 1.3 and 1.2 handshakes and data', async () => {
    const pki = await makeTestPki();
    const { text } = await bundle('iife', ['browser']);
    const sandbox = {
      crypto: { getRandomValues: (a: Uint8Array): Uint8Array => globalThis.crypto.getRandomValues(a) },
      TextEncoder,
      TextDecoder,
      files: {
        ca: readFileSync(pki.caCert, 'utf8'),
        rsaCert: readFileSync(pki.rsaCert, 'utf8'),
        rsaKey: readFileSync(pki.rsaKey, 'utf8'),
        ecdsaCert: readFileSync(pki.ecdsaCert, 'utf8'),
        ecdsaKey: readFileSync(pki.ecdsaKey, 'utf8'),
      },
      results: [] as unknown[],
    };
    const context = vm.createContext(sandbox);
    // No process, Buffer, require or setTimeout in there.
    assert.equal(vm.runInContext('typeof process + typeof Buffer + typeof require + typeof setTimeout', context), 'undefinedundefinedundefinedundefined');
    vm.runInContext(text, context);
    vm.runInContext(
      `
      const t = typetls;
      const certs = (pem) => t.pemDecode(pem).map((b) => t.parseCertificate(b.der));
      const provider = t.portableCryptoProvider;
      const roots = certs(files.ca);
      const certificates = [
        { chain: certs(files.rsaCert), key: provider.loadPrivateKey(files.rsaKey) },
        { chain: certs(files.ecdsaCert), key: provider.loadPrivateKey(files.ecdsaKey) },
      ];
      for (const version of [0x0304, 0x0303]) {
        const client = new t.ClientConnection(t.clientConfig({ provider, roots, maxVersion: version }), { serverName: 'localhost' });
        const server = new t.ServerConnection(t.serverConfig({ provider, certificates }));
        const received = { client: [], server: [] };
        const pump = () => {
          for (let i = 0; i < 20; i++) {
            const c = client.takeOutput();
            const s = server.takeOutput();
            if (c.length === 0 && s.length === 0) return;
            if (c.length) { server.receive(c); for (const e of server.process()) if (e.type === 'data') received.server.push(...e.data); else if (e.type === 'error') throw e.error; }
            if (s.length) { client.receive(s); for (const e of client.process()) if (e.type === 'data') received.client.push(...e.data); else if (e.type === 'error') throw e.error; }
          }
        };
        pump();
        client.write(new TextEncoder().encode('ping from the page'));
        server.write(new TextEncoder().encode('pong from the worker'));
        pump();
        results.push({
          protocol: client.info.protocol,
          suite: client.info.cipherSuite.standardName,
          group: t.namedGroupName(client.info.group),
          authorized: client.info.authorized,
          server: new TextDecoder().decode(new Uint8Array(received.server)),
          client: new TextDecoder().decode(new Uint8Array(received.client)),
        });
      }
      `,
      context,
    );
    const results = JSON.parse(JSON.stringify(sandbox.results)) as Record<string, unknown>[];
    assert.deepEqual(results, [
      { protocol: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256', group: 'X25519MLKEM768', authorized: true, server: 'ping from the page', client: 'pong from the worker' },
      { protocol: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', group: 'x25519', authorized: true, server: 'ping from the page', client: 'pong from the worker' },
    ]);
  });

  // typetls/web/roots: generated at build time from node:tls (scripts/generate-roots.mjs), carried only
  // by a bundle that imports it.
  const rootBody = (pem: string): string => pem.split('\n')[5]!; // a line from inside the certificate's base64

  it('typetls/web/roots is node:tls rootCertificates, and only a bundle that imports it carries it', async () => {
    const roots = (await import('typetls/web/roots')) as { rootCertificates: readonly string[]; default: readonly string[] };
    assert.ok(nodeRootCertificates.length > 100);
    assert.deepEqual(roots.rootCertificates, nodeRootCertificates);
    assert.equal(roots.default, roots.rootCertificates);
    assert.ok(Object.isFrozen(roots.rootCertificates));

    const without = await bundle('esm', ['browser'], "export { connect, webSocketTransport } from 'typetls/web';");
    assert.ok(!without.inputs.some((p) => p.endsWith('web/roots.js')));
    const withRoots = await bundle(
      'esm',
      ['browser'],
      "export { connect, webSocketTransport } from 'typetls/web'; export { rootCertificates } from 'typetls/web/roots';",
    );
    assert.ok(withRoots.inputs.some((p) => p.endsWith('dist/src/web/roots.js')));
    for (const pem of nodeRootCertificates) {
      assert.ok(withRoots.text.includes(rootBody(pem)), 'every root is in the bundle that imports the module');
      assert.ok(!without.text.includes(rootBody(pem)), 'no root is in the bundle that does not');
    }
    assert.ok(withRoots.bytes - without.bytes > 150_000, `the roots weigh ${withRoots.bytes - without.bytes} bytes`);
  });
});

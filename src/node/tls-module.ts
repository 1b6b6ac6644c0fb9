// The node:tls module object: one plain, mutable object holding the whole API, as node's own
// `tls` is a mutable CommonJS module. Programs assign `tls.DEFAULT_MAX_VERSION = 'TLSv1.2'` or
// replace `tls.createSecureContext`, and node reads both through the module object when a
// connection or a server is made; typetls does the same through `tlsModule`.
//
// The CommonJS entry (`require('typetls')`) is this object and the ES module's default export
// is this object; the named ES exports DEFAULT_* are live bindings of the same values.

import * as nodeTls from 'node:tls';

// The starting values are node's own: node:tls has already applied `--tls-min-v1.x`,
// `--tls-max-v1.x` and `--tls-cipher-list` (from the command line or NODE_OPTIONS) to them.
export let DEFAULT_MIN_VERSION: string = nodeTls.DEFAULT_MIN_VERSION;
export let DEFAULT_MAX_VERSION: string = nodeTls.DEFAULT_MAX_VERSION;
export let DEFAULT_CIPHERS: string = nodeTls.DEFAULT_CIPHERS;
export let DEFAULT_ECDH_CURVE: string = nodeTls.DEFAULT_ECDH_CURVE;

/** The rest of the module: filled in by api.ts and index.ts once those are defined. */
export interface TlsModule {
  DEFAULT_MIN_VERSION: string;
  DEFAULT_MAX_VERSION: string;
  DEFAULT_CIPHERS: string;
  DEFAULT_ECDH_CURVE: string;
  [name: string]: unknown;
}

export const tlsModule: TlsModule = {} as TlsModule;

Object.defineProperties(tlsModule, {
  DEFAULT_MIN_VERSION: {
    enumerable: true,
    get: () => DEFAULT_MIN_VERSION,
    set: (v: string) => {
      DEFAULT_MIN_VERSION = v;
    },
  },
  DEFAULT_MAX_VERSION: {
    enumerable: true,
    get: () => DEFAULT_MAX_VERSION,
    set: (v: string) => {
      DEFAULT_MAX_VERSION = v;
    },
  },
  DEFAULT_CIPHERS: {
    enumerable: true,
    get: () => DEFAULT_CIPHERS,
    set: (v: string) => {
      DEFAULT_CIPHERS = v;
    },
  },
  DEFAULT_ECDH_CURVE: {
    enumerable: true,
    get: () => DEFAULT_ECDH_CURVE,
    set: (v: string) => {
      DEFAULT_ECDH_CURVE = v;
    },
  },
});

/**
 * A class that can also be called without `new`, as node's `tls.Server(...)` and
 * `tls.TLSSocket(...)` can. Subclasses (`class S extends tls.Server`) and `instanceof` work as
 * with the class itself.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function callableClass<C extends new (...args: any[]) => object>(Class: C): C & ((...args: ConstructorParameters<C>) => InstanceType<C>) {
  const Callable = function (this: unknown, ...args: unknown[]): object {
    // `new Callable()` and a plain call construct with the class itself as new.target: V8 then
    // gives every instance the class's own hidden class. With Callable as new.target (a function
    // whose prototype was set by hand) each instance got a hidden class of its own, so that every
    // property access on a socket (ours and the stream code's) went megamorphic and a TLSSocket
    // cost ten times as much to make. A subclass's new.target is kept.
    return Reflect.construct(Class, args, new.target === undefined || new.target === Callable ? Class : new.target);
  };
  Object.defineProperty(Callable, 'name', { value: Class.name });
  Object.defineProperty(Callable, 'length', { value: Class.length });
  Callable.prototype = Class.prototype;
  Object.defineProperty(Class.prototype, 'constructor', { value: Callable, writable: true, configurable: true });
  Object.setPrototypeOf(Callable, Class);
  return Callable as unknown as C & ((...args: ConstructorParameters<C>) => InstanceType<C>);
}

/**
 * The value of a node command-line option (`--name=value` or `--name value`) as node reads it:
 * from the process's own arguments, then from NODE_OPTIONS.
 */
export function nodeOptionValue(name: string, argv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string | undefined {
  const fromList = (list: readonly string[]): string | undefined => {
    let found: string | undefined;
    list.forEach((arg, i) => {
      if (arg.startsWith(`${name}=`)) found = arg.slice(name.length + 1);
      else if (arg === name && i + 1 < list.length) found = list[i + 1];
    });
    return found;
  };
  const words = nodeOptions.match(/(?:[^\s"]+|"[^"]*")+/g)?.map((w) => w.replaceAll('"', '')) ?? [];
  return fromList(argv) ?? fromList(words);
}

/** `--tls-keylog=file`: every TLS connection of the process appends its key material there. */
export const tlsKeylogFile: string | undefined = nodeOptionValue('--tls-keylog') || undefined;

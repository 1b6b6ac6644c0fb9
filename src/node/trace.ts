// node:tls enableTrace() / --trace-tls: the engine's trace written to stderr in the shape of
// OpenSSL's SSL_trace(), which node prints: each record sent or received with its header, the
// handshake messages in it by name and length, alerts by level and description.

import type { Annotator, TraceEvent } from '../trace.js';
import { alertDescriptionName, contentTypeName } from '../wire/enums.js';

const title = (name: string): string => name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

function lines(event: TraceEvent): string | undefined {
  switch (event.kind) {
    case 'record': {
      const type = title(contentTypeName(event.contentType));
      return [
        `${event.direction === 'sent' ? 'Sent' : 'Received'} Record`,
        'Header:',
        `  Content Type = ${type} (${event.contentType})`,
        `  Length = ${event.length}`,
      ].join('\n');
    }
    case 'message':
      return `    ${event.name}, Length=${event.bytes.length - 4}`;
    case 'alert':
      return `    Level=${event.level === 2 ? 'fatal' : 'warning'}(${event.level}), description=${alertDescriptionName(event.description)}(${event.description})`;
    default:
      return undefined;
  }
}

/** An annotator writing OpenSSL-style trace lines to `write` (stderr by default), after `next` if given. */
export function stderrTrace(next?: Annotator, write: (text: string) => void = (t) => process.stderr.write(t)): Annotator {
  return (event) => {
    next?.(event);
    const text = lines(event);
    if (text !== undefined) write(`${text}\n`);
  };
}

let warned = false;

/** node's one warning, the first time tracing is turned on in a process. */
export function warnTracing(): void {
  if (warned) return;
  warned = true;
  process.emitWarning('Enabling --trace-tls can expose sensitive data in the resulting log.');
}

/** node: --trace-tls traces every TLS socket of the process. */
export const traceAllSockets = (): boolean => process.execArgv.includes('--trace-tls');

// The handshake page: the demo that `npm start` prints, drawn in a browser. A typetls client and a
// typetls server run in this page on the portable provider (handshake.ts); the handshake is drawn as
// two columns, the client's and the server's, with each message crossing from one to the other and,
// under each step, what each side now holds (the engine's own account: the state's fields, with the
// real values). Controls choose TLS 1.2 or 1.3, RSA or ECDHE key exchange, resumption and mutual TLS.
//
// Built into one static file by `npm run build:page` (scripts/build-handshake-page.mjs).

import { extraMessages, outlineFor, OutlineTracker, possibleOutlines, type Outline } from '../../src/cli/outline.js';
import { renderTrace, toHex, type RenderOptions } from '../../src/cli/render.js';
import type { Side, TraceEvent, TraceFields } from '../../src/trace.js';
import { alertDescriptionName } from '../../src/wire/enums.js';
import { runHandshakes, type Choice, type PagePki, type Run } from './handshake.js';

const render: RenderOptions = { width: 66, maxHexBytes: 64, receivedMessages: 'brief' };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** An arrow across the middle column: left to right for the client's messages, right to left for the server's. */
function arrow(from: Side, label: string, detail: string, kind: 'handshake' | 'alert' | 'data' = 'handshake'): HTMLElement {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 200 40');
  svg.setAttribute('preserveAspectRatio', 'none');
  const line = document.createElementNS(svgNs, 'line');
  const [x1, x2] = from === 'client' ? [4, 190] : [196, 10];
  line.setAttribute('x1', String(x1));
  line.setAttribute('y1', '6');
  line.setAttribute('x2', String(x2));
  line.setAttribute('y2', '34');
  const head = document.createElementNS(svgNs, 'polygon');
  head.setAttribute('points', from === 'client' ? '196,37 182,35 188,27' : '4,37 18,35 12,27');
  svg.append(line, head);
  return el('div', { class: `arrow ${from} ${kind}` }, el('div', { class: 'arrow-label' }, label), svg, el('div', { class: 'arrow-detail' }, detail));
}

interface Row {
  readonly element: HTMLElement;
  readonly cells: Record<Side, HTMLElement>;
  readonly middle: HTMLElement;
}

class Lanes {
  readonly element = el('div', { class: 'lanes' });
  private rows: Row[] = [];
  private lastHolds = new Map<Side, string>();
  /** Where each side's next box goes: the row of the message it last sent or received. */
  private at = new Map<Side, Row>();
  private readonly tracker: OutlineTracker;

  constructor(candidates: readonly Outline[]) {
    this.tracker = new OutlineTracker(candidates);
    this.element.append(el('div', { class: 'lane-head client' }, 'Client'), el('div', { class: 'lane-head middle' }, ''), el('div', { class: 'lane-head server' }, 'Server'));
  }

  private row(): Row {
    const cells = { client: el('div', { class: 'cell client' }), server: el('div', { class: 'cell server' }) };
    const middle = el('div', { class: 'cell middle' });
    const element = el('div', { class: 'row' }, cells.client, middle, cells.server);
    this.element.append(element);
    const row = { element, cells, middle };
    this.rows.push(row);
    return row;
  }

  private current(): Row {
    return this.rows.at(-1) ?? this.row();
  }

  private place(side: Side): HTMLElement {
    return (this.at.get(side) ?? this.current()).cells[side];
  }

  /** The step a message the side sent stands for in the outline, or undefined (then "also"). */
  private stepOf(side: Side, name: string): { number: number; text: string } | undefined {
    const step = this.tracker.step(side, name);
    return step && { number: step.index + 1, text: this.tracker.outline.steps[step.index]!.text };
  }

  add(event: TraceEvent): void {
    switch (event.kind) {
      case 'message': {
        if (event.direction === 'received') {
          const peer: Side = event.side === 'client' ? 'server' : 'client';
          const row = [...this.rows].reverse().find((r) => r.element.dataset['message'] === `${peer} ${event.name}`) ?? this.current();
          row.cells[event.side].append(el('div', { class: 'received' }, `← receives ${event.name}`));
          this.at.set(event.side, row);
          return;
        }
        const row = this.row();
        this.at.set(event.side, row);
        row.element.dataset['message'] = `${event.side} ${event.name}`;
        const step = this.stepOf(event.side, event.name);
        const title = el('div', { class: 'message-title' }, step ? `Step ${step.number} · ` : 'Also · ', el('b', {}, event.name));
        const words = step?.text ?? extraMessages[event.name] ?? '';
        const fields = renderTrace(event, render).split('\n').slice(1).join('\n');
        row.cells[event.side].append(
          el('div', { class: 'message' }, title, el('div', { class: 'words' }, words), el('details', {}, el('summary', {}, 'the fields'), el('pre', {}, fields))),
        );
        row.middle.append(arrow(event.side, event.name, `${event.bytes.length} bytes`));
        return;
      }
      case 'holds':
        this.holds(event.side, event.step, event.holds);
        return;
      case 'secret':
        this.place(event.side).append(
          el('div', { class: 'secret' }, `derives the ${event.label} (${event.value.length} bytes): `, el('code', {}, short(event.value))),
        );
        return;
      case 'alert': {
        if (event.direction === 'received') {
          this.current().cells[event.side].append(el('div', { class: 'received' }, `← receives alert ${alertDescriptionName(event.description)}`));
          return;
        }
        const row = this.row();
        const name = alertDescriptionName(event.description);
        row.cells[event.side].append(el('div', { class: 'message alert' }, el('div', { class: 'message-title' }, 'Alert · ', el('b', {}, name)), el('div', { class: 'words' }, name === 'close_notify' ? '"I am done sending"' : 'the connection fails')));
        row.middle.append(arrow(event.side, name, 'alert', 'alert'));
        return;
      }
      case 'note':
        this.place(event.side).append(el('div', { class: 'note' }, event.text));
        return;
      case 'record':
        return;
    }
  }

  private holds(side: Side, step: string, holds: TraceFields): void {
    const stepName = step === 'Traffic' ? 'handshake complete' : step.replace(/^Expect([A-Z]\w*)$/, 'waiting for $1');
    const signature = JSON.stringify(holds, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
    const cell = this.place(side);
    if (this.lastHolds.get(side) === signature) {
      cell.append(el('div', { class: 'holds-same' }, `${side} holds nothing new · ${stepName}`));
      return;
    }
    this.lastHolds.set(side, signature);
    const box = renderTrace({ kind: 'holds', side, step: stepName, holds }, render);
    cell.append(el('div', { class: 'holds' }, el('div', { class: 'holds-title' }, `${side} now holds · ${stepName}`), el('pre', {}, box.split('\n').slice(1, -1).map((l) => l.replace(/^│ ?|│$/g, '')).join('\n'))));
  }

  /** Application data after the handshake, drawn like a message. */
  data(from: Side, title: string, text: string, wireBytes: string): void {
    const row = this.row();
    row.cells[from].append(el('div', { class: 'message data' }, el('div', { class: 'message-title' }, el('b', {}, title)), el('pre', {}, text)));
    row.middle.append(arrow(from, 'application data', wireBytes, 'data'));
    const other: Side = from === 'client' ? 'server' : 'client';
    row.cells[other].append(el('div', { class: 'received' }, '← receives and decrypts it'));
  }
}

function short(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return hex.length > 48 ? `${hex.slice(0, 48)}…` : hex;
}

function candidates(choice: Choice, resumed: boolean): Outline[] {
  return possibleOutlines(outlineFor(choice.version, resumed, choice.mtls && !resumed), choice.mtls);
}

function readChoice(form: HTMLFormElement): Choice {
  const data = new FormData(form);
  const version = data.get('version') === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2';
  return {
    version,
    keyExchange: version === 'TLSv1.2' && data.get('kx') === 'rsa' ? 'rsa' : 'ecdhe',
    resume: data.get('resume') === 'on',
    mtls: data.get('mtls') === 'on',
  };
}

function describe(choice: Choice): string {
  const v = choice.version === 'TLSv1.3' ? 'TLS 1.3' : 'TLS 1.2';
  const kx = choice.version === 'TLSv1.3' ? 'ECDHE (X25519MLKEM768)' : choice.keyExchange === 'rsa' ? 'RSA key exchange' : 'ECDHE';
  return `${v}, ${kx}${choice.mtls ? ', mutual TLS' : ''}${choice.resume ? ', then a resumed connection' : ''}`;
}

function show(pki: PagePki, choice: Choice, out: HTMLElement): void {
  out.replaceChildren();
  const started = performance.now();
  let runs: Run[];
  try {
    runs = runHandshakes(pki, choice);
  } catch (e) {
    out.append(el('p', { class: 'error', id: 'error' }, `The handshake failed: ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`));
    return;
  }
  const ms = performance.now() - started;
  runs.forEach((run, i) => {
    const resumedRun = choice.resume && i === 1;
    const outline = candidates(choice, resumedRun)[0]!;
    const section = el('section', { class: 'run' });
    const heading = choice.resume ? (resumedRun ? 'Second connection: the client offers the session it kept' : 'First connection: a full handshake') : 'The handshake';
    section.append(el('h2', {}, heading));
    const steps = el('ol', { class: 'outline' }, ...outline.steps.map((s) => el('li', {}, el('b', {}, s.name), ` — ${s.text}`)));
    section.append(el('details', { open: '' }, el('summary', {}, `${outline.steps.length} steps`), steps));
    const lanes = new Lanes(candidates(choice, resumedRun));
    for (const event of run.events) lanes.add(event);
    section.append(lanes.element);
    const done = `Handshake complete: ${run.protocol}, ${run.cipher}${run.group ? `, ${run.group}` : ''}${run.resumed ? ', resumed' : ''}.`;
    section.append(el('p', { class: 'done' }, done));
    const data = new Lanes([]);
    data.data('client', 'The client sends, encrypted with its session keys:', run.request.trim(), 'a record');
    data.data('server', 'The server answers, encrypted, then sends close_notify:', run.response.trim(), 'a record');
    section.append(data.element);
    if (run.clientSubject) section.append(el('p', { class: 'done' }, `The server knows who the client is: ${run.clientSubject}.`));
    section.append(el('p', { class: 'bytes' }, `On the wire: ${run.bytes.client} bytes from the client, ${run.bytes.server} from the server.`));
    out.append(section);
  });
  out.append(el('p', { class: 'timing' }, `${describe(choice)}: ran in this page in ${ms.toFixed(0)} ms (portable provider: @noble/* and typetls's own RSA).`));
  out.dataset['done'] = String(Date.now());
}

function main(): void {
  const pki = JSON.parse(document.getElementById('pki')!.textContent!) as PagePki;
  const form = document.getElementById('controls') as HTMLFormElement;
  const out = document.getElementById('out')!;
  const sync = (): void => {
    const tls13 = (form.elements.namedItem('version') as RadioNodeList).value === 'TLSv1.3';
    const rsa = form.querySelector<HTMLInputElement>('input[name=kx][value=rsa]')!;
    rsa.disabled = tls13;
    if (tls13) form.querySelector<HTMLInputElement>('input[name=kx][value=ecdhe]')!.checked = true;
  };
  form.addEventListener('change', sync);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    show(pki, readChoice(form), out);
  });
  sync();
  show(pki, readChoice(form), out);
}

main();

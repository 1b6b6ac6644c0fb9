// The steps of each handshake the demo shows (TLS 1.2 or 1.3, full or resumed, with or without a
// client certificate), in plain words: the outline the terminal demo (demo.ts) prints before its trace
// and the handshake page (pages/handshake) draws. No node:* here: the page runs it in a browser.

import type { Side } from '../trace.js';

export type Version = 'TLSv1.2' | 'TLSv1.3';

export interface OutlineStep {
  readonly side: Side;
  readonly name: string;
  readonly text: string;
  /** A step the handshake may leave out (ServerKeyExchange with RSA key exchange). */
  readonly optional?: boolean;
}

export interface Outline {
  readonly version: Version;
  readonly resumed: boolean;
  readonly mtls: boolean;
  readonly steps: readonly OutlineStep[];
}

const step = (side: Side, name: string, text: string, optional = false): OutlineStep => ({ side, name, text, optional });

/** The steps of a handshake: TLS 1.2 or 1.3, full or resumed, with or without a client certificate. */
export function outlineFor(version: Version, resumed: boolean, mtls: boolean): Outline {
  const steps: OutlineStep[] = [];
  const add = (s: OutlineStep, when = true) => {
    if (when) steps.push(s);
  };
  if (version === 'TLSv1.2' && !resumed) {
    add(step('client', 'ClientHello', 'client: the versions and cipher suites it knows, its random'));
    add(step('server', 'ServerHello', 'server: the version and suite it chose, its random, a session ID'));
    add(step('server', 'Certificate', "server: its certificate chain, with the server's public key"));
    add(step('server', 'ServerKeyExchange', 'server: an ephemeral key share, signed (ECDHE suites only)', true));
    add(
      step('server', 'CertificateRequest', 'server: "send me your certificate", with the CAs and signature algorithms it accepts'),
      mtls,
    );
    add(step('server', 'ServerHelloDone', 'server: nothing more to send for now'));
    add(step('client', 'Certificate', 'client: its own certificate chain'), mtls);
    add(
      step(
        'client',
        'ClientKeyExchange',
        "client: its key share (ECDHE), or a pre-master secret encrypted with the server's public key (RSA). " +
          'Both sides now hold the same pre-master secret and compute the master secret and the session keys ' +
          'from it and the two randoms.',
      ),
    );
    add(
      step(
        'client',
        'CertificateVerify',
        "client: a signature over every handshake message so far, made with its certificate's private key: " +
          'proof that it owns the certificate',
      ),
      mtls,
    );
    add(
      step(
        'client',
        'Finished',
        'client, after ChangeCipherSpec ("from now on I encrypt"): a MAC over every handshake message so far, ' +
          'encrypted with its session keys: proof it holds the right keys',
      ),
    );
    add(step('server', 'Finished', 'server, after its own ChangeCipherSpec: the same proof from the server'));
  } else if (version === 'TLSv1.2') {
    add(
      step('client', 'ClientHello', 'client: as before, plus the session it kept: the session ID and the ticket of the first connection'),
    );
    add(
      step(
        'server',
        'ServerHello',
        'server: echoes that session ID: it agrees to resume. No certificate, no key exchange: both sides ' +
          'take the master secret of the first connection and compute new session keys from it and the two ' +
          'new randoms.',
      ),
    );
    add(step('server', 'Finished', 'server, after ChangeCipherSpec: this time the server proves first that it holds the keys'));
    add(step('client', 'Finished', 'client, after its ChangeCipherSpec: the same proof from the client'));
  } else if (!resumed) {
    add(step('client', 'ClientHello', 'client: versions, suites, its random, and key shares for the groups it guesses the server takes'));
    add(
      step(
        'server',
        'ServerHello',
        'server: the version and suite it chose, its random and its key share. Both sides now compute the ' +
          'shared secret and derive the handshake traffic secrets: everything after this is encrypted.',
      ),
    );
    add(step('server', 'EncryptedExtensions', 'server: the rest of its answer (ALPN, server name acknowledged, ...)'));
    add(step('server', 'CertificateRequest', 'server: "send me your certificate", with the signature algorithms it accepts'), mtls);
    add(step('server', 'Certificate', "server: its certificate chain, with the server's public key"));
    add(
      step('server', 'CertificateVerify', "server: a signature over the handshake so far with its private key: proof it owns the certificate"),
    );
    add(
      step(
        'server',
        'Finished',
        'server: a MAC over the handshake so far. Both sides now derive the master secret and the ' +
          'application traffic secrets, and from them the session keys.',
      ),
    );
    add(step('client', 'Certificate', 'client: its own certificate chain'), mtls);
    add(step('client', 'CertificateVerify', "client: a signature over the handshake so far with its certificate's private key"), mtls);
    add(step('client', 'Finished', 'client: the same proof from the client'));
  } else {
    add(
      step(
        'client',
        'ClientHello',
        'client: as before, plus a pre_shared_key extension: the ticket of the first connection and a ' +
          'binder, a MAC proving it knows the key (the PSK) that goes with that ticket',
      ),
    );
    add(
      step(
        'server',
        'ServerHello',
        'server: accepts the PSK and sends its key share. The key schedule starts from the PSK this ' +
          'time and still mixes in a fresh shared secret (psk_dhe_ke), so the new keys are not tied to ' +
          'the old ones.',
      ),
    );
    add(step('server', 'EncryptedExtensions', 'server: the rest of its answer'));
    add(
      step(
        'server',
        'Finished',
        'server: no Certificate, no CertificateVerify: only the server that issued the ticket knows the ' +
          'PSK, so this MAC is its proof.',
      ),
    );
    add(step('client', 'Finished', 'client: the same proof from the client'));
  }
  return { version, resumed, mtls, steps };
}

/**
 * Matches sent handshake messages to an outline's steps, in order; a step the
 * outline marks optional may be skipped. Returns the step index of each, or
 * undefined when the messages do not follow the outline.
 */
export function matchOutline(outline: Outline, sent: readonly { side: Side; name: string }[]): number[] | undefined {
  const at: number[] = [];
  let next = 0;
  for (const m of sent) {
    let i = next;
    while (i < outline.steps.length && !(outline.steps[i]!.side === m.side && outline.steps[i]!.name === m.name)) {
      if (!outline.steps[i]!.optional) return undefined;
      i++;
    }
    if (i >= outline.steps.length) return undefined;
    at.push(i);
    next = i + 1;
  }
  return at;
}

/** Messages the outlines do not list, with a word on what they are. */
export const extraMessages: Record<string, string> = {
  NewSessionTicket: 'a ticket the client can offer on its next connection to resume this session (see --resume)',
  HelloRetryRequest: 'the server wants a key share for another group: the client sends a new ClientHello',
  KeyUpdate: 'new traffic keys from now on',
};

/** The expected outline first, then every other path the handshake may take (the other version, resumed or not, with or without a client certificate). */
export function possibleOutlines(expected: Outline, mtls: boolean): Outline[] {
  const other: Version = expected.version === 'TLSv1.3' ? 'TLSv1.2' : 'TLSv1.3';
  return [expected, ...[expected.version, other].flatMap((v) => [false, true].flatMap((r) => [outlineFor(v, r, mtls), outlineFor(v, r, false)]))];
}

/**
 * Follows the handshake messages as they are sent through the outlines of the paths the handshake may
 * take: the expected one first, another when the messages leave it (a server that declined to resume).
 */
export class OutlineTracker {
  /** The outline the messages follow so far. */
  outline: Outline;
  private sent: { side: Side; name: string }[] = [];

  constructor(private readonly candidates: readonly Outline[]) {
    this.outline = candidates[0]!;
  }

  /** The index of the step that `side` sending `name` stands for (`switched` when the handshake took another path), or undefined for a message no outline lists. */
  step(side: Side, name: string): { index: number; switched: boolean } | undefined {
    const tried = [...this.sent, { side, name }];
    let at = matchOutline(this.outline, tried);
    let switched = false;
    if (!at) {
      const other = this.candidates.find((o) => o !== this.outline && matchOutline(o, tried));
      if (other) {
        this.outline = other;
        at = matchOutline(other, tried)!;
        switched = true;
      }
    }
    if (!at) return undefined;
    this.sent = tried;
    return { index: at[at.length - 1]!, switched };
  }
}

/**
 * The trace: a sink the engine reports to when one is attached. Nothing here
 * formats anything; the CLI renders events (src/cli/render.ts). With no
 * annotator attached, tracing costs nothing.
 */

export type Side = 'client' | 'server';

export type TraceValue = string | number | boolean | Uint8Array | null | undefined | readonly TraceValue[] | TraceFields;
export interface TraceFields {
  readonly [name: string]: TraceValue;
}

export type TraceEvent =
  /** A handshake message sent or received, with its decoded fields and its encoding (header included). */
  | { kind: 'message'; side: Side; direction: 'sent' | 'received'; name: string; fields: TraceFields; bytes: Uint8Array }
  /** After a step: what this side now holds (the seed documents' lists), taken from the state itself. */
  | { kind: 'holds'; side: Side; step: string; holds: TraceFields }
  /** A secret derived by the key schedule. */
  | { kind: 'secret'; side: Side; label: string; value: Uint8Array }
  /** A record sent or received (after protection / before unprotection). */
  | { kind: 'record'; side: Side; direction: 'sent' | 'received'; contentType: number; length: number; encrypted: boolean }
  /** An alert sent or received. */
  | { kind: 'alert'; side: Side; direction: 'sent' | 'received'; level: number; description: number }
  /** A plain-words remark on what just happened ("server chose TLS 1.2"). */
  | { kind: 'note'; side: Side; text: string };

export type Annotator = (event: TraceEvent) => void;

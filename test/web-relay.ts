// A WebSocket→TCP relay on 127.0.0.1 (the `ws` package): each WebSocket connection is carried to a TCP
// port, binary messages one way and TCP data the other, the way a page reaches a TCP service. It
// records every byte it carries, so a test can show it never saw the application data in the clear.
//
// TCP data that arrives in one turn of the event loop goes out as one WebSocket message (up to 1 MiB):
// a browser pays per message as well as per byte, and a download read 64 KiB at a time cost the page
// more than the same bytes in fewer messages. While the WebSocket has more than 8 MiB unsent, the relay
// stops reading the TCP side.

import net from 'node:net';
import { WebSocketServer } from 'ws';

export interface Relay {
  readonly url: string;
  /** Every byte the relay carried, both ways. */
  readonly carried: Buffer[];
  /** Whether `needle` appears in what the relay carried. */
  saw(needle: string): boolean;
  close(): Promise<void>;
}

/** Starts a relay to 127.0.0.1:`port`. */
/** The most TCP data one WebSocket message carries. */
const MAX_MESSAGE = 1024 * 1024;
/** Unsent WebSocket data above which the TCP side is paused. */
const HIGH_WATER = 8 * 1024 * 1024;

export async function startRelay(port: number, options: { record?: boolean } = {}): Promise<Relay> {
  const record = options.record ?? true;
  const carried: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    const tcp = net.connect(port, '127.0.0.1');
    tcp.setNoDelay(true);
    sockets.add(tcp);
    ws.on('message', (data: Buffer) => {
      if (record) carried.push(Buffer.from(data));
      tcp.write(data);
    });
    let waiting: Buffer[] = [];
    let waitingBytes = 0;
    const sendWaiting = (): void => {
      if (waiting.length === 0) return;
      const message = waiting.length === 1 ? waiting[0]! : Buffer.concat(waiting, waitingBytes);
      waiting = [];
      waitingBytes = 0;
      ws.send(message, () => {
        if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER) tcp.resume();
      });
      if (ws.bufferedAmount >= HIGH_WATER) tcp.pause();
    };
    tcp.on('data', (data) => {
      if (record) carried.push(Buffer.from(data));
      waiting.push(data);
      waitingBytes += data.length;
      if (waitingBytes >= MAX_MESSAGE) sendWaiting();
      else if (waiting.length === 1) setImmediate(sendWaiting);
    });
    tcp.on('close', () => {
      sockets.delete(tcp);
      sendWaiting();
      ws.close();
    });
    tcp.on('error', () => ws.close());
    ws.on('close', () => tcp.end());
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}`,
    carried,
    saw: (needle) => Buffer.concat(carried).includes(Buffer.from(needle)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

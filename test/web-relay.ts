// A WebSocket→TCP relay on 127.0.0.1 (the `ws` package): each WebSocket connection is carried to a TCP
// port, binary messages one way and TCP data the other, the way a page reaches a TCP service. It
// records every byte it carries, so a test can show it never saw the application data in the clear.

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
    tcp.on('data', (data) => {
      if (record) carried.push(Buffer.from(data));
      ws.send(data);
    });
    tcp.on('close', () => {
      sockets.delete(tcp);
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

import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

/** A replica's REPLCONF ACK, alone in a message. */
const ACK = /^\*3\r\n\$8\r\nREPLCONF\r\n\$3\r\nACK\r\n\$\d+\r\n\d+\r\n$/;

/** A WebSocket relay in front of the edge. */
export interface AckTextProxy {
  /** ws://127.0.0.1:<port> + the path to relay to the same path upstream. */
  url(path: string): string;
  /** Drops every relayed connection at once, as a network cut would. */
  cut(): void;
  /** How many ACKs it relayed as text frames. */
  textAcks(): number;
  close(): Promise<void>;
}

/**
 * Relays WebSocket connections to `upstream` unchanged, except that a message holding only a `REPLCONF ACK`
 * goes up as a text frame instead of a binary one. That is what a replica connector has to do for the edge to
 * answer idle replicas' ACKs without waking (the Durable Object auto-response matches text frames only);
 * the Node replica's connector (server/master-connector.ts) does not do it yet, so the tests put this in front.
 */
export async function startAckTextProxy(upstream: string): Promise<AckTextProxy> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  const pairs = new Set<[WebSocket, WebSocket]>();
  let textAcks = 0;
  wss.on('connection', (down, req) => {
    const up = new WebSocket(upstream + (req.url ?? '/'));
    const pair: [WebSocket, WebSocket] = [down, up];
    pairs.add(pair);
    const early: Array<[Buffer, boolean]> = [];
    up.on('open', () => {
      for (const [data, binary] of early.splice(0)) forwardUp(data, binary);
    });
    const forwardUp = (data: Buffer, binary: boolean) => {
      if (binary && ACK.test(data.toString('latin1'))) {
        textAcks++;
        up.send(data.toString('latin1'), { binary: false });
      } else {
        up.send(data, { binary });
      }
    };
    down.on('message', (data: Buffer, binary: boolean) => {
      if (up.readyState === WebSocket.OPEN) forwardUp(data, binary);
      else early.push([data, binary]);
    });
    up.on('message', (data: Buffer, binary: boolean) => {
      if (down.readyState === WebSocket.OPEN) down.send(data, { binary });
    });
    const end = () => {
      pairs.delete(pair);
      down.terminate();
      up.terminate();
    };
    down.on('close', end);
    up.on('close', end);
    down.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    cut: () => {
      for (const [down, up] of [...pairs]) {
        down.terminate();
        up.terminate();
      }
    },
    textAcks: () => textAcks,
    close: async () => {
      for (const [down, up] of pairs) {
        down.terminate();
        up.terminate();
      }
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

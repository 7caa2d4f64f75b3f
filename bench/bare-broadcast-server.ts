/**
 * The fan-out ceiling: a process that does the least a replication master could do. It answers every command on
 * its TCP port with +OK and relays the received bytes, as they arrive, to every WebSocket replica with one
 * `ws.send` of the same buffer each. Replicas get just enough of the PSYNC handshake (an empty EOF-marked
 * snapshot) for bench/fanout-replica.ts to treat it like our master. No parsing, no keyspace, no backlog.
 *
 * Usage: node --import tsx bench/bare-broadcast-server.ts --port P --http-port H
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandCounter } from './command-counter.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'http-port': { type: 'string' } } });
const port = Number(values.port);
const httpPort = Number(values['http-port']);

const replicas = new Set<WebSocket>();
const OK = Buffer.from('+OK\r\n'.repeat(4096), 'latin1');

const tcp = createTcpServer({ noDelay: true }, (socket) => {
  const counter = new CommandCounter();
  socket.on('data', (chunk: Buffer) => {
    for (const ws of replicas) ws.send(chunk);
    let n = counter.count(chunk);
    while (n > 0) {
      const k = Math.min(n, 4096);
      socket.write(k === 4096 ? OK : OK.subarray(0, k * 5));
      n -= k;
    }
  });
  socket.on('error', () => socket.destroy());
});

/** What a replica gets after its four handshake commands: the replies, then an empty EOF-marked RDB. */
function handshakeReply(): Buffer {
  const replid = randomBytes(20).toString('hex');
  const mark = randomBytes(20).toString('hex');
  const emptyRdb = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0])]);
  return Buffer.concat([
    Buffer.from(`+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC ${replid} 0\r\n$EOF:${mark}\r\n`, 'latin1'),
    emptyRdb,
    Buffer.from(mark, 'latin1'),
  ]);
}

const http = createHttpServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws) => {
  const counter = new CommandCounter();
  let commands = 0;
  ws.on('message', (data: Buffer) => {
    if (commands >= 4) return; // REPLCONF ACKs: nothing to do
    commands += counter.count(data);
    if (commands >= 4) {
      ws.send(handshakeReply());
      replicas.add(ws);
    }
  });
  ws.on('close', () => replicas.delete(ws));
  ws.on('error', () => ws.terminate());
});

tcp.listen(port, '127.0.0.1', () => {
  http.listen(httpPort, '127.0.0.1', () => {
    process.stdout.write(`Ready to accept connections tcp (port ${port}, http ${httpPort})\n`);
  });
});

const stop = () => {
  for (const ws of replicas) ws.terminate();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

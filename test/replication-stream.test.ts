import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToReplicationStream } from './helpers/replication-stream.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * What a master writes into a replication stream, read the way Redis's own test suite reads it (SYNC, then the
 * raw commands), from our server and from a stock redis-server 7.0.15 side by side.
 */
let ours: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

const servers = () => [
  ['ours', ours.port],
  ['redis-server', stock.port],
] as const;

describe('the replication stream, as Redis’s test suite reads it', () => {
  it('starts with SELECT and the first write: the heartbeat PING follows the server’s own schedule, not the attach', async () => {
    for (const [name, port] of servers()) {
      const c = await RespConnection.tcp(port);
      try {
        await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '3600');
        const stream = await attachToReplicationStream(port);
        try {
          await c.call('SELECT', '9');
          await c.call('SET', 'foo', 'bar');
          await c.call('GETDEL', 'foo');
          const seen = [await stream.next(), await stream.next(), await stream.next()];
          expect(seen, name).toEqual([['SELECT', '9'], ['SET', 'foo', 'bar'], ['DEL', 'foo']]);
          expect(await stream.next(300), name).toBeNull();
        } finally {
          stream.close();
        }
      } finally {
        await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '10');
        c.close();
      }
    }
  });
});

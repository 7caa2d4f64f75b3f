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
  [ours, stock] = await Promise.all([startServer(), startStockRedis(['--enable-debug-command', 'yes'])]);
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

  it('sends the DELs of keys SCAN and RANDOMKEY find expired bare, not in MULTI/EXEC (TOUCHES_ARBITRARY_KEYS)', async () => {
    for (const [name, port] of servers()) {
      const c = await RespConnection.tcp(port);
      try {
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '3600');
        await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
        const stream = await attachToReplicationStream(port);
        try {
          for (const cmd of ['SCAN', 'RANDOMKEY']) {
            await c.call('SET', 'a', '1', 'PX', '1');
            await c.call('SET', 'b', '1', 'PX', '1');
            await c.call('SET', 'c', '1', 'PX', '1');
            const started = Date.now();
            while (Date.now() - started < 5) {
              // Let the TTLs pass: the keys expire only when a command looks at them.
            }
            await (cmd === 'SCAN' ? c.call('SCAN', '0', 'COUNT', '100') : c.call('RANDOMKEY'));
            const seen: string[][] = [];
            for (let next = await stream.next(); next; next = await stream.next(300)) seen.push(next);
            const shapes = seen.filter((a) => a[0] !== 'SET' && a[0] !== 'SELECT').map((a) => a[0]);
            expect(shapes, `${name} ${cmd}`).toEqual(['DEL', 'DEL', 'DEL']);
          }
        } finally {
          stream.close();
        }
      } finally {
        await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
        await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '10');
        c.close();
      }
    }
  });
});

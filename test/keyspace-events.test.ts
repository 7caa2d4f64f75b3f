import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleString } from '../shared/resp/reply.js';
import { runWithKeyspaceEvents } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

let ours: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis(['--enable-debug-command', 'yes'])]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Runs the script on both servers and expects the same replies and the same events, in the same order. */
async function same(flags: string, script: Array<Array<string | number>>): Promise<string[]> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, flags, script), runWithKeyspaceEvents(stock.port, flags, script)]);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events;
}

async function configRoundTrip(port: number, value: string): Promise<unknown> {
  const c = await RespConnection.tcp(port);
  try {
    const set = await c.call('CONFIG', 'SET', 'notify-keyspace-events', value);
    const got = (await c.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    return [set, got[1]];
  } finally {
    c.close();
  }
}

describe('keyspace notifications, compared with redis-server 7.0.15', () => {
  it('parses and prints notify-keyspace-events as Redis does, and refuses unknown classes', async () => {
    for (const v of ['KEA', 'Kg', 'Ex', 'g$lshzxetd', 'AKE', 'mn', 'KEAmn', 'xyz', '']) {
      expect(await configRoundTrip(ours.port, v)).toEqual(await configRoundTrip(stock.port, v));
    }
  });

  it('sends keyspace and keyevent messages only for the selected classes', async () => {
    const script = [['SET', 'k', 'v'], ['LPUSH', 'l', 'a'], ['DEL', 'k']];
    const all = await same('KEA', script);
    expect(all).toContain('__keyspace@0__:k set');
    expect(all).toContain('__keyevent@0__:set k');
    expect(await same('Kl', script)).toEqual(['__keyspace@0__:l lpush']);
    expect(await same('E$', script)).toEqual(['__keyevent@0__:set k']);
    expect(await same('', script)).toEqual([]);
  });

  it('new keys (n), key misses (m), and the del of an emptied aggregate', async () => {
    await same('KEAnm', [['SET', 'k', 'v'], ['SET', 'k', 'w'], ['GET', 'nope'], ['RPUSH', 'l', 'a'], ['RPOP', 'l'], ['SADD', 's', 'x'], ['SREM', 's', 'x']]);
  });

  it('expired keys (x): a read after the TTL deletes the key and says "expired"', async () => {
    for (const port of [ours.port, stock.port]) {
      const c = await RespConnection.tcp(port);
      const sub = await RespConnection.tcp(port);
      try {
        await c.call('FLUSHALL');
        expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toEqual(new SimpleString('OK'));
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
        await sub.call('SUBSCRIBE', '__keyevent@0__:expired');
        await c.call('SET', 'e', 'v', 'PX', '1');
        await waitFor(async () => (await c.call('GET', 'e')) === null, 5000, 'the key to expire');
        expect(await sub.next()).toEqual(['message', '__keyevent@0__:expired', 'e']);
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
      } finally {
        c.close();
        sub.close();
      }
    }
  });
});

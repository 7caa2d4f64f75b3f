import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NULL_ARRAY, SimpleString } from '../../shared/resp/reply.js';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { converged, count, edgeClient, infoOf, must, startEdgeReplica } from './helpers/edge-clients.js';
import { startEdge, type EdgeProcess } from './helpers/edge-process.js';

/**
 * How long the test leaves the object alone. workerd hibernates an object whose WebSockets are idle after
 * about 10 s without events; this is the one fixed wait of the edge suite (there is no event to wait for:
 * sleeping is the absence of events).
 */
const IDLE_MS = 15_000;

let edge: EdgeProcess;
let replica: ServerProcess | null = null;
const conns: RespConnection[] = [];

beforeAll(async () => {
  edge = await startEdge();
}, 60_000);

afterAll(async () => {
  for (const c of conns) c.close();
  await replica?.stop();
  await edge?.stop();
});

async function client(): Promise<RespConnection> {
  const c = await edgeClient(edge, 'sleepy');
  conns.push(c);
  return c;
}

describe('hibernation', () => {
  it(
    'lets the object sleep while its replica idles; afterwards the stream and every connection carry on',
    async () => {
      const c = await client();
      await writeEveryType(c, 30, 21);
      // The replica sends its ACKs as text frames (server/master-connector.ts), which the edge answers asleep.
      replica = await startEdgeReplica(`ws://127.0.0.1:${edge.port}/store/sleepy`, edge.secret);
      const rc = await RespConnection.tcp(replica.port);
      conns.push(rc);
      await converged(c, rc);

      // Connections in the middle of something when the object goes to sleep.
      const tx = await client();
      await must(tx, 'SELECT', 3);
      expect(await tx.call('MULTI')).toEqual(new SimpleString('OK'));
      expect(await tx.call('SET', 'tx:key', 'queued')).toEqual(new SimpleString('QUEUED'));
      expect(await tx.call('INCR', 'tx:counter')).toEqual(new SimpleString('QUEUED'));
      const sub = await client();
      expect(await sub.call('SUBSCRIBE', 'news')).toEqual(['subscribe', 'news', 1]);
      const blocked = await client();
      blocked.send('BLPOP', 'jobs', 0);
      const watcher = await client();
      await must(watcher, 'WATCH', 'watched');
      await must(c, 'SET', 'watched', 'changed by another client');
      const half = await client();
      half.sendRaw('*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$5\r\nwhol');
      await must(c, 'PING');
      const startsBefore = Number((await infoOf(c, 'server')).edge_object_starts);
      const syncsBefore = count(replica.output(), /MASTER <-> REPLICA sync started/);
      const logBefore = edge.output().length;

      await new Promise((r) => setTimeout(r, IDLE_MS));

      // The first message wakes the object: it rebuilt everything from storage and the sockets' attachments.
      half.sendRaw('e\r\n');
      expect(await half.next()).toEqual(new SimpleString('OK'));
      expect(Number((await infoOf(c, 'server')).edge_object_starts)).toBeGreaterThan(startsBefore);
      expect(edge.output().slice(logBefore)).toMatch(/DB loaded from storage/);
      expect(await c.call('GET', 'half')).toBe('whole');

      expect(await tx.call('EXEC')).toEqual([new SimpleString('OK'), 1]);
      await must(c, 'SELECT', 3);
      expect(await c.call('GET', 'tx:key')).toBe('queued');
      await must(c, 'SELECT', 0);

      expect(await c.call('PUBLISH', 'news', 'after the nap')).toBe(1);
      expect(await sub.next()).toEqual(['message', 'news', 'after the nap']);

      expect(await c.call('RPUSH', 'jobs', 'job-1')).toBe(1);
      expect(await blocked.next()).toEqual(['jobs', 'job-1']);

      await must(watcher, 'MULTI');
      await must(watcher, 'SET', 'watched', 'by the watcher');
      expect(await watcher.call('EXEC')).toEqual(NULL_ARRAY);

      // The replica never lost its link: the stream simply went on.
      await writeEveryType(c, 20, 22);
      await converged(c, rc);
      expect(await readDataset(rc)).toEqual(await readDataset(c));
      expect(count(replica.output(), /MASTER <-> REPLICA sync started/)).toBe(syncsBefore);
      expect((await infoOf(c)).connected_slaves).toBe('1');
    },
    90_000,
  );

  it(
    'wakes for replica heartbeats from its alarm without loading the dataset, and sleeps again between them',
    async () => {
      // A 12 s heartbeat: at least one full sleep-and-wake cycle fits in the idle period.
      const beating = await startEdge({ storeConfig: 'repl-ping-replica-period 12' });
      let r: ServerProcess | null = null;
      try {
        const c = await edgeClient(beating, 'heartbeat');
        await writeEveryType(c, 10, 23);
        r = await startEdgeReplica(`ws://127.0.0.1:${beating.port}/store/heartbeat`, beating.secret);
        const rc = await RespConnection.tcp(r.port);
        await converged(c, rc);
        const startsBefore = Number((await infoOf(c, 'server')).edge_object_starts);
        const offsetBefore = Number((await infoOf(rc)).slave_repl_offset);
        const syncs = count(r.output(), /MASTER <-> REPLICA sync started/);
        c.close();
        const logBefore = beating.output().length;

        await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_MS - 4_000));

        // Only the replica is asked: its offset moved by the PINGs the edge sent from its alarm, over the same link.
        const ri = await infoOf(rc);
        expect(ri.master_link_status).toBe('up');
        expect((Number(ri.slave_repl_offset) - offsetBefore) % 14).toBe(0);
        expect(Number(ri.slave_repl_offset)).toBeGreaterThan(offsetBefore);
        expect(count(r.output(), /MASTER <-> REPLICA sync started/)).toBe(syncs);
        // Heartbeats need no keyspace: nothing was loaded for them.
        expect(beating.output().slice(logBefore)).not.toMatch(/DB loaded from storage/);

        const c2 = await edgeClient(beating, 'heartbeat');
        expect(Number((await infoOf(c2, 'server')).edge_object_starts)).toBeGreaterThan(startsBefore);
        await writeEveryType(c2, 10, 24);
        await converged(c2, rc);
        expect(await readDataset(rc)).toEqual(await readDataset(c2));
        c2.close();
        rc.close();
      } finally {
        await r?.stop();
        await beating.stop();
      }
    },
    90_000,
  );
});

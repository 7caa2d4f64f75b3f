import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import {
  ask,
  clusterInfo,
  clusterNodes,
  redisCli,
  startOurClusterNode,
  startStockClusterNode,
  waitClusterOk,
  type ClusterNodeProcess,
} from './helpers/cluster-processes.js';
import { RespConnection } from './helpers/resp-connection.js';
import { waitFor } from './helpers/server-process.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ours(previous?: ClusterNodeProcess): Promise<ClusterNodeProcess> {
  const n = await startOurClusterNode(previous);
  cleanups.push(() => n.stop());
  return n;
}

async function stock(): Promise<ClusterNodeProcess> {
  const n = await startStockClusterNode();
  cleanups.push(() => n.stop());
  return n;
}

function clusterClient(port: number): Cluster {
  const c = new Cluster([{ host: '127.0.0.1', port }], { clusterRetryStrategy: () => 100, slotsRefreshTimeout: 2000 });
  cleanups.push(() => c.disconnect());
  return c;
}

const KEYS = Array.from({ length: 300 }, (_, i) => `key:${i}`);

async function writeKeys(c: Cluster, suffix = ''): Promise<void> {
  for (const k of KEYS) await c.set(k, `value of ${k}${suffix}`);
}

/** Every key reads back through the cluster client (retrying while the cluster settles after a change). */
async function expectKeys(c: Cluster, suffix = ''): Promise<void> {
  await waitFor(async () => {
    try {
      const values = await Promise.all(KEYS.map((k) => c.get(k)));
      return values.every((v, i) => v === `value of ${KEYS[i]}${suffix}`);
    } catch {
      return false;
    }
  }, 30_000, 'every key readable through the cluster client');
}

async function myId(n: ClusterNodeProcess): Promise<string> {
  return String(await ask(n.port, 'CLUSTER', 'MYID'));
}

/** The master serving `key`'s slot, as `node` sees it. */
async function ownerOf(key: string, node: ClusterNodeProcess, nodes: ClusterNodeProcess[]): Promise<ClusterNodeProcess> {
  const slot = Number(await ask(node.port, 'CLUSTER', 'KEYSLOT', key));
  for (const line of await clusterNodes(node.port)) {
    if (!line.flags.includes('master')) continue;
    for (const range of line.slots) {
      const [a, b = a] = range.split('-').map(Number);
      if (slot >= a && slot <= b) return nodes.find((n) => n.port === line.port)!;
    }
  }
  throw new Error(`no owner for ${key}`);
}

/** Waits until redis-cli --cluster check sees every node agree on the slots (gossip spreads a reshard). */
async function waitAgreed(node: ClusterNodeProcess): Promise<void> {
  await waitFor(async () => {
    try {
      return (await redisCli(['--cluster', 'check', `127.0.0.1:${node.port}`])).includes('[OK] All nodes agree about slots configuration.');
    } catch {
      return false;
    }
  }, 30_000, 'all nodes to agree about slots');
}

/** A shard channel name whose slot `master` serves. */
async function channelServedBy(master: ClusterNodeProcess, nodes: ClusterNodeProcess[]): Promise<string> {
  for (let i = 0; ; i++) if ((await ownerOf(`news:${i}`, master, nodes)) === master) return `news:${i}`;
}

async function totalKeys(masters: ClusterNodeProcess[]): Promise<number> {
  let n = 0;
  for (const m of masters) n += Number(await ask(m.port, 'DBSIZE'));
  return n;
}

describe('Redis Cluster with our nodes', () => {
  it('is created by redis-cli --cluster create with replicas, routes clients, and fails over when a master dies', async () => {
    const nodes = await Promise.all(Array.from({ length: 6 }, () => ours()));
    const out = await redisCli([
      '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes',
    ]);
    expect(out).toContain('[OK] All 16384 slots covered.');
    await waitClusterOk(nodes.map((n) => n.port));
    await waitFor(async () => {
      for (const n of nodes) {
        const lines = await clusterNodes(n.port);
        if (lines.filter((l) => l.flags.includes('slave') && l.master !== '-').length !== 3) return false;
      }
      return true;
    }, 30_000, 'every node to know the three replicas');
    const check = await redisCli(['--cluster', 'check', `127.0.0.1:${nodes[3].port}`]);
    expect(check).toContain('[OK] All nodes agree about slots configuration.');

    const client = clusterClient(nodes[0].port);
    await writeKeys(client);
    await expectKeys(client);
    const masters: ClusterNodeProcess[] = [];
    for (const line of await clusterNodes(nodes[0].port)) if (line.flags.includes('master')) masters.push(nodes.find((n) => n.port === line.port)!);
    expect(masters).toHaveLength(3);
    // Each key lives on exactly one master: the one serving its slot.
    expect(await totalKeys(masters)).toBe(KEYS.length);

    // A plain connection to the wrong node is redirected; keys of two slots in one command are refused.
    const owner = await ownerOf('key:1', nodes[0], nodes);
    const other = masters.find((m) => m !== owner)!;
    const slot = Number(await ask(other.port, 'CLUSTER', 'KEYSLOT', 'key:1'));
    expect(await ask(other.port, 'GET', 'key:1')).toEqual(new ErrorReply(`MOVED ${slot} 127.0.0.1:${owner.port}`));
    expect(await ask(owner.port, 'MSET', 'foo', '1', 'bar', '2')).toEqual(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot"));
    expect(await ask(owner.port, 'GET', 'key:1')).toBe('value of key:1');
    expect((await redisCli(['-c', '-p', String(other.port), 'GET', 'key:1'])).trim()).toBe('value of key:1');

    // A replica redirects reads to its master until the connection says READONLY.
    const ownerId = await myId(owner);
    const replicaLine = (await clusterNodes(owner.port)).find((l) => l.master === ownerId)!;
    const replica = nodes.find((n) => n.port === replicaLine.port)!;
    await waitFor(async () => Number(await ask(replica.port, 'DBSIZE')) === Number(await ask(owner.port, 'DBSIZE')), 10_000, 'replica in sync');
    const rc = await RespConnection.tcp(replica.port);
    cleanups.push(() => rc.close());
    expect(await rc.call('GET', 'key:1')).toEqual(new ErrorReply(`MOVED ${slot} 127.0.0.1:${owner.port}`));
    expect(await rc.call('READONLY')).toEqual(new SimpleString('OK'));
    expect(await rc.call('GET', 'key:1')).toBe('value of key:1');
    expect(await rc.call('SET', 'key:1', 'x')).toEqual(new ErrorReply(`MOVED ${slot} 127.0.0.1:${owner.port}`));
    rc.close();

    // The master crashes: its replica is elected in its place and the cluster serves every key again.
    const epochBefore = Number((await clusterInfo(replica.port)).cluster_current_epoch);
    await owner.kill();
    await waitFor(async () => (await clusterNodes(replica.port)).find((l) => l.port === replica.port)!.flags.includes('master'), 30_000, 'replica promoted');
    const survivors = nodes.filter((n) => n !== owner);
    await waitClusterOk(survivors.map((n) => n.port));
    expect(Number((await clusterInfo(replica.port)).cluster_current_epoch)).toBeGreaterThan(epochBefore);
    expect((await clusterNodes(masters.find((m) => m !== owner)!.port)).find((l) => l.id === ownerId)!.flags).toContain('fail');
    await expectKeys(client);

    // The old master comes back with its nodes.conf and rejoins as a replica of the node that replaced it.
    const replicaId = await myId(replica);
    const returned = await ours(owner);
    await waitFor(async () => {
      const me = (await clusterNodes(returned.port)).find((l) => l.flags.includes('myself'))!;
      return me.flags.includes('slave') && me.master === replicaId;
    }, 30_000, 'old master demoted');
    await waitFor(async () => Number(await ask(returned.port, 'DBSIZE')) === Number(await ask(replica.port, 'DBSIZE')), 15_000, 'old master resynced');

    // A manual failover gives it its slots back without losing a write (once its bus link to the master is up).
    await waitFor(async () => {
      const master = (await clusterNodes(returned.port)).find((l) => l.id === replicaId)!;
      return master.link === 'connected' && !master.flags.includes('fail') && !master.flags.includes('fail?');
    }, 15_000, 'the returned node to see its master up');
    await client.set('key:1', 'value of key:1');
    expect(await ask(returned.port, 'CLUSTER', 'FAILOVER')).toEqual(new SimpleString('OK'));
    await waitFor(async () => (await clusterNodes(returned.port)).find((l) => l.port === returned.port)!.flags.includes('master'), 30_000, 'manual failover');
    await waitClusterOk([returned.port, ...survivors.map((n) => n.port)]);
    await expectKeys(client);
  }, 120_000);
});

describe('one cluster of our nodes and stock redis-server nodes', () => {
  it('agrees on slots, reshards keys both ways with MIGRATE, and elects replicas of either kind with the others\' votes', async () => {
    const [o1, o2, s3] = await Promise.all([ours(), ours(), stock()]);
    await redisCli(['--cluster', 'create', `127.0.0.1:${o1.port}`, `127.0.0.1:${o2.port}`, `127.0.0.1:${s3.port}`, '--cluster-yes']);
    await waitClusterOk([o1.port, o2.port, s3.port]);
    const [id1, id3] = [await myId(o1), await myId(s3)];
    // A stock replica for our master, our replica for the stock master.
    const [s4, o5] = await Promise.all([stock(), ours()]);
    await redisCli(['--cluster', 'add-node', `127.0.0.1:${s4.port}`, `127.0.0.1:${o1.port}`, '--cluster-slave', '--cluster-master-id', id1]);
    await redisCli(['--cluster', 'add-node', `127.0.0.1:${o5.port}`, `127.0.0.1:${o1.port}`, '--cluster-slave', '--cluster-master-id', id3]);
    const all = [o1, o2, s3, s4, o5];
    await waitFor(async () => {
      for (const n of all) {
        const lines = await clusterNodes(n.port);
        if (lines.length !== 5 || lines.some((l) => l.flags.includes('handshake'))) return false;
        if (lines.find((l) => l.port === s4.port)?.master !== id1 || lines.find((l) => l.port === o5.port)?.master !== id3) return false;
      }
      return true;
    }, 30_000, 'every node to know the five nodes and both replicas');
    await waitClusterOk(all.map((n) => n.port));
    for (const n of [o1, s3]) {
      expect(await redisCli(['--cluster', 'check', `127.0.0.1:${n.port}`])).toContain('[OK] All nodes agree about slots configuration.');
    }

    // Sharded Pub/Sub crosses the bus both ways: our master to its stock replica, the stock master to ours.
    for (const [master, replica] of [[o1, s4], [s3, o5]] as const) {
      const channel = await channelServedBy(master, all);
      const sub = await RespConnection.tcp(replica.port);
      cleanups.push(() => sub.close());
      expect(await sub.call('READONLY')).toEqual(new SimpleString('OK'));
      expect(await sub.call('SSUBSCRIBE', channel)).toEqual(['ssubscribe', channel, 1]);
      expect(await ask(master.port, 'SPUBLISH', channel, `from ${master.kind}`)).toBe(0);
      expect(await sub.next()).toEqual(['smessage', channel, `from ${master.kind}`]);
      sub.close();
    }

    const client = clusterClient(o1.port);
    await writeKeys(client);
    await expectKeys(client);
    expect(await totalKeys([o1, o2, s3])).toBe(KEYS.length);

    // Slots move from our node to the stock one (our MIGRATE, its RESTORE-ASKING) and back (the reverse).
    await redisCli(['--cluster', 'reshard', `127.0.0.1:${o1.port}`, '--cluster-from', id1, '--cluster-to', id3, '--cluster-slots', '2000', '--cluster-yes']);
    await waitAgreed(o1);
    await redisCli(['--cluster', 'reshard', `127.0.0.1:${o1.port}`, '--cluster-from', id3, '--cluster-to', await myId(o2), '--cluster-slots', '1500', '--cluster-yes']);
    await waitAgreed(o2);
    expect(await redisCli(['--cluster', 'check', `127.0.0.1:${o2.port}`])).toContain('[OK] All 16384 slots covered.');
    expect(await totalKeys([o1, o2, s3])).toBe(KEYS.length);
    await expectKeys(client);
    await waitFor(async () => Number(await ask(o5.port, 'DBSIZE')) === Number(await ask(s3.port, 'DBSIZE')), 15_000, 'our replica of the stock master in sync');

    // The stock master dies: our replica is elected with our masters' votes.
    await client.set('key:2', 'value of key:2');
    await s3.kill();
    await waitFor(async () => (await clusterNodes(o5.port)).find((l) => l.port === o5.port)!.flags.includes('master'), 30_000, 'our replica promoted');
    await waitClusterOk([o1.port, o2.port, s4.port, o5.port]);
    await expectKeys(client);

    // Our master dies: the stock replica is elected with our nodes' votes.
    await waitFor(async () => Number(await ask(s4.port, 'DBSIZE')) === Number(await ask(o1.port, 'DBSIZE')), 15_000, 'stock replica in sync');
    await o1.kill();
    await waitFor(async () => (await clusterNodes(s4.port)).find((l) => l.port === s4.port)!.flags.includes('master'), 30_000, 'stock replica promoted');
    await waitClusterOk([o2.port, s4.port, o5.port]);
    await expectKeys(client);
  }, 150_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { ask, clusterInfo, redisCli, waitClusterOk } from './helpers/cluster-processes.js';
import { startStockRedis } from './helpers/redis-server.js';
import { freePort, run, startServer, waitFor } from './helpers/server-process.js';

/** Throwaway certificates: a CA, a server certificate for 127.0.0.1, a client one, and one no CA signed. */
let certs: string;
const f = (name: string) => path.join(certs, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

beforeAll(() => {
  certs = mkdtempSync(path.join(tmpdir(), 'tls-cluster-certs-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test CA');
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', 'san.cnf');
  }
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue');
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A cluster node with tls-cluster yes: clients on `port` (plain) and `tlsPort`, the bus on `cport`. */
interface TlsNode {
  kind: 'ours' | 'stock';
  port: number;
  tlsPort: number;
  cport: number;
  output(): string;
  stop(): Promise<unknown>;
}

function tlsArgs(tlsPort: number, cport: number | null): string[] {
  return [
    '--cluster-enabled', 'yes',
    ...(cport === null ? [] : ['--cluster-port', String(cport)]),
    '--cluster-node-timeout', '1000',
    '--tls-port', String(tlsPort),
    '--tls-cluster', 'yes',
    '--tls-cert-file', f('server.crt'),
    '--tls-key-file', f('server.key'),
    '--tls-ca-cert-file', f('ca.crt'),
  ];
}

async function ours(extra: string[] = [], ports?: { tlsPort: number; cport: number | null }): Promise<TlsNode> {
  const tlsPort = ports?.tlsPort ?? (await freePort());
  const cport = ports ? ports.cport : await freePort();
  const s = await startServer([...tlsArgs(tlsPort, cport), ...extra]);
  const node = { kind: 'ours' as const, port: s.port, tlsPort, cport: cport ?? tlsPort + 10000, output: s.output, stop: () => s.stop() };
  cleanups.push(() => node.stop());
  return node;
}

async function stock(ports?: { tlsPort: number; cport: number | null }): Promise<TlsNode> {
  const tlsPort = ports?.tlsPort ?? (await freePort());
  const cport = ports ? ports.cport : await freePort();
  const s = await startStockRedis(tlsArgs(tlsPort, cport));
  const node = { kind: 'stock' as const, port: s.port, tlsPort, cport: cport ?? tlsPort + 10000, output: s.output, stop: () => s.stop() };
  cleanups.push(() => node.stop());
  return node;
}

const TLS_CLI = () => ['--tls', '--cacert', f('ca.crt'), '--cert', f('client.crt'), '--key', f('client.key')];

/** redis-cli over TLS; resolves with its output. */
async function cliTls(port: number, args: string[]): Promise<string> {
  return (await run('redis-cli', [...TLS_CLI(), '-p', String(port), ...args])).stdout;
}

async function cli(port: number, args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), ...args])).stdout;
}

/** A port p, free along with p + 10000, in a range where p + 10000 is a valid port. */
async function portWithFreeBusPort(): Promise<number> {
  const bindable = (p: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const p = 15000 + Math.floor(Math.random() * 10000);
    if ((await bindable(p)) && (await bindable(p + 10000))) return p;
  }
}

/** The "ip:port@cport" column of every CLUSTER NODES line, by node id. */
function addresses(nodesText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of nodesText.split('\n').filter(Boolean)) {
    const [id, addr] = line.split(' ');
    out.set(id, addr);
  }
  return out;
}

async function myId(n: TlsNode): Promise<string> {
  return String(await ask(n.port, 'CLUSTER', 'MYID'));
}

/** Keys spread over the whole slot space. */
const KEYS = Array.from({ length: 30 }, (_, i) => `key:${i}`);

/** The node of `nodes` that owns `key`, as `from` sees it (read from a MOVED, or itself). */
async function ownerOf(key: string, from: TlsNode, nodes: TlsNode[]): Promise<TlsNode> {
  const r = await ask(from.port, 'GET', key);
  if (!(r instanceof ErrorReply)) return from;
  const port = Number(/^MOVED \d+ 127\.0\.0\.1:(\d+)$/.exec(r.message)![1]);
  return nodes.find((n) => n.port === port)!;
}

describe('tls-cluster yes: a cluster of our nodes', () => {
  it('redis-cli --tls --cluster create reaches cluster_state:ok and redis-cli --tls -c routes across nodes', async () => {
    const nodes = [await ours(), await ours(), await ours()];
    const out = await redisCli([...TLS_CLI(), '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.tlsPort}`), '--cluster-yes']);
    expect(out).toContain('[OK] All 16384 slots covered.');
    await waitClusterOk(nodes.map((n) => n.port));
    expect((await clusterInfo(nodes[0].port)).cluster_known_nodes).toBe('3');

    // Each node serves a third of the slots, so the keys land on every node: SET and GET follow MOVED.
    const owners = new Set<number>();
    for (const k of KEYS) {
      expect(await cliTls(nodes[0].tlsPort, ['-c', 'SET', k, `v-${k}`])).toBe('OK\n');
      owners.add((await ownerOf(k, nodes[0], nodes)).port);
    }
    expect(owners.size).toBe(3);
    for (const n of nodes) {
      for (const k of KEYS.slice(0, 10)) expect(await cliTls(n.tlsPort, ['-c', 'GET', k])).toBe(`v-${k}\n`);
    }
    // A plain-TCP client of the same cluster is redirected between plain ports and reads the same data.
    for (const k of KEYS.slice(0, 10)) expect(await cli(nodes[1].port, ['-c', 'GET', k])).toBe(`v-${k}\n`);
  }, 60_000);

  it('clients see TLS ports over TLS and plaintext ports over plain TCP, as Redis 7.0 (port and pport)', async () => {
    const nodes = [await ours(), await ours(), await ours()];
    await redisCli([...TLS_CLI(), '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.tlsPort}`), '--cluster-yes']);
    await waitClusterOk(nodes.map((n) => n.port));
    const ids = await Promise.all(nodes.map(myId));
    await waitFor(async () => addresses(await cli(nodes[0].port, ['CLUSTER', 'NODES'])).size === 3, 10_000, 'all nodes known');

    const overTls = addresses(await cliTls(nodes[0].tlsPort, ['CLUSTER', 'NODES']));
    const overPlain = addresses(await cli(nodes[0].port, ['CLUSTER', 'NODES']));
    nodes.forEach((n, i) => {
      expect(overTls.get(ids[i])).toBe(`127.0.0.1:${n.tlsPort}@${n.cport}`);
      expect(overPlain.get(ids[i])).toBe(`127.0.0.1:${n.port}@${n.cport}`);
    });

    // MOVED names the port for the client's kind of connection.
    let remote: TlsNode | null = null;
    let remoteKey = '';
    for (const k of KEYS) {
      const owner = await ownerOf(k, nodes[0], nodes);
      if (owner !== nodes[0]) {
        remote = owner;
        remoteKey = k;
        break;
      }
    }
    const slot = Number(await ask(nodes[0].port, 'CLUSTER', 'KEYSLOT', remoteKey));
    expect(await ask(nodes[0].port, 'GET', remoteKey)).toEqual(new ErrorReply(`MOVED ${slot} 127.0.0.1:${remote!.port}`));
    expect(await cliTls(nodes[0].tlsPort, ['GET', remoteKey])).toContain(`MOVED ${slot} 127.0.0.1:${remote!.tlsPort}`);

    // CLUSTER SLOTS: [start, end, [ip, port, id, {}]].
    const plainSlots = (await cli(nodes[0].port, ['CLUSTER', 'SLOTS'])).split('\n');
    const tlsSlots = (await cliTls(nodes[0].tlsPort, ['CLUSTER', 'SLOTS'])).split('\n');
    for (const n of nodes) {
      expect(plainSlots).toContain(String(n.port));
      expect(plainSlots).not.toContain(String(n.tlsPort));
      expect(tlsSlots).toContain(String(n.tlsPort));
      expect(tlsSlots).not.toContain(String(n.port));
    }

    // CLUSTER SHARDS lists both, whatever the client: "port" the plaintext one, "tls-port" the TLS one.
    for (const text of [await cli(nodes[0].port, ['CLUSTER', 'SHARDS']), await cliTls(nodes[0].tlsPort, ['CLUSTER', 'SHARDS'])]) {
      const lines = text.split('\n');
      for (const [i, n] of nodes.entries()) {
        const at = lines.indexOf(ids[i]);
        expect(lines.slice(at + 1, at + 9)).toEqual(['port', String(n.port), 'tls-port', String(n.tlsPort), 'ip', '127.0.0.1', 'endpoint', '127.0.0.1']);
      }
    }
  }, 60_000);

  it('the bus listens with TLS on tls-port + 10000 by default, as Redis derives it', async () => {
    const tlsPort = await portWithFreeBusPort();
    const n = await ours([], { tlsPort, cport: null });
    // Alone, a node does not know its IP yet.
    expect((await cliTls(n.tlsPort, ['CLUSTER', 'NODES'])).split(' ')[1]).toBe(`:${tlsPort}@${tlsPort + 10000}`);
    expect((await cli(n.port, ['CLUSTER', 'NODES'])).split(' ')[1]).toBe(`:${n.port}@${tlsPort + 10000}`);
    const stockTlsPort = await portWithFreeBusPort();
    const s = await stock({ tlsPort: stockTlsPort, cport: null });
    expect((await cliTls(s.tlsPort, ['CLUSTER', 'NODES'])).split(' ')[1]).toBe(`:${stockTlsPort}@${stockTlsPort + 10000}`);
    expect((await cli(s.port, ['CLUSTER', 'NODES'])).split(' ')[1]).toBe(`:${s.port}@${stockTlsPort + 10000}`);

    // The bus port speaks TLS and shows the node's certificate.
    const cn = await new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({
        host: '127.0.0.1',
        port: tlsPort + 10000,
        ca: readFileSync(f('ca.crt')),
        cert: readFileSync(f('client.crt')),
        key: readFileSync(f('client.key')),
        checkServerIdentity: () => undefined,
      });
      sock.once('secureConnect', () => {
        resolve(String(sock.getPeerCertificate().subject.CN));
        sock.destroy();
      });
      sock.once('error', reject);
    });
    expect(cn).toBe('server');
  });

  it('a bus peer whose certificate the CA did not sign is refused, whatever tls-auth-clients says', async () => {
    const n = await ours(['--tls-auth-clients', 'no', '--loglevel', 'verbose']);
    const closed = await new Promise<boolean>((resolve) => {
      const sock = tlsConnect({
        host: '127.0.0.1',
        port: n.cport,
        ca: readFileSync(f('ca.crt')),
        cert: readFileSync(f('rogue.crt')),
        key: readFileSync(f('rogue.key')),
        checkServerIdentity: () => undefined,
      });
      sock.on('data', () => resolve(false));
      sock.once('error', () => resolve(true));
      sock.once('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    await waitFor(() => /Error accepting cluster node connection: /.test(n.output()), 10_000, 'the refusal to be logged');
  });

  it('CONFIG SET tls-cluster is accepted in cluster mode', async () => {
    const n = await ours();
    expect(await cli(n.port, ['CONFIG', 'SET', 'tls-cluster', 'no'])).toBe('OK\n');
    expect(await cli(n.port, ['CONFIG', 'GET', 'tls-cluster'])).toBe('tls-cluster\nno\n');
    expect(await cli(n.port, ['CONFIG', 'SET', 'tls-cluster', 'yes'])).toBe('OK\n');
    expect(await cli(n.port, ['CONFIG', 'GET', 'tls-cluster'])).toBe('tls-cluster\nyes\n');
  });
});

describe('tls-cluster yes with a stock redis-server 7.0.15 in the cluster', () => {
  it('a stock node joins over the TLS bus, all agree on slots, and keys migrate both ways over TLS', async () => {
    const nodes = [await ours(), await ours(), await stock()];
    const [a, b, s] = nodes;
    const agreed = () =>
      waitFor(async () => {
        try {
          const out = await redisCli([...TLS_CLI(), '--cluster', 'check', `127.0.0.1:${a.tlsPort}`]);
          return out.includes('[OK] All nodes agree about slots configuration.');
        } catch {
          return false;
        }
      }, 30_000, 'every node to agree on the slots');
    await ask(a.port, 'CLUSTER', 'ADDSLOTSRANGE', '0', '5460');
    await ask(b.port, 'CLUSTER', 'ADDSLOTSRANGE', '5461', '10922');
    await ask(s.port, 'CLUSTER', 'ADDSLOTSRANGE', '10923', '16383');
    // The stock node meets ours on their TLS client ports and bus ports; gossip introduces the rest.
    expect(await ask(s.port, 'CLUSTER', 'MEET', '127.0.0.1', a.tlsPort, a.cport)).toEqual(new SimpleString('OK'));
    expect(await ask(s.port, 'CLUSTER', 'MEET', '127.0.0.1', b.tlsPort, b.cport)).toEqual(new SimpleString('OK'));
    await waitClusterOk(nodes.map((n) => n.port));
    await agreed();

    // Every node, stock or ours, reports the same addresses: TLS ports to TLS clients, plaintext ones (pport,
    // carried by the bus messages) to plain clients.
    const ids = await Promise.all(nodes.map(myId));
    for (const viewer of nodes) {
      await waitFor(async () => addresses(await cli(viewer.port, ['CLUSTER', 'NODES'])).size === 3, 10_000, 'all nodes known');
      const overTls = addresses(await cliTls(viewer.tlsPort, ['CLUSTER', 'NODES']));
      const overPlain = addresses(await cli(viewer.port, ['CLUSTER', 'NODES']));
      nodes.forEach((n, i) => {
        expect(overTls.get(ids[i]), `${viewer.kind} over TLS`).toBe(`127.0.0.1:${n.tlsPort}@${n.cport}`);
        expect(overPlain.get(ids[i]), `${viewer.kind} over plain TCP`).toBe(`127.0.0.1:${n.port}@${n.cport}`);
      });
    }
    // CLUSTER SLOTS is the same reply from the stock node and from ours, for either kind of client.
    expect(await cli(a.port, ['CLUSTER', 'SLOTS'])).toBe(await cli(s.port, ['CLUSTER', 'SLOTS']));
    expect(await cliTls(a.tlsPort, ['CLUSTER', 'SLOTS'])).toBe(await cliTls(s.tlsPort, ['CLUSTER', 'SLOTS']));

    // Keys in every master's range, and some in slots 0-999, which move from ours to the stock node and on.
    const keys = [...KEYS];
    for (let i = 0; keys.length < KEYS.length + 5; i++) {
      if (Number(await ask(a.port, 'CLUSTER', 'KEYSLOT', `low:${i}`)) < 1000) keys.push(`low:${i}`);
    }
    for (const k of keys) expect(await cliTls(s.tlsPort, ['-c', 'SET', k, `v-${k}`])).toBe('OK\n');
    const slots = new Map<string, number>();
    for (const k of keys) slots.set(k, Number(await ask(a.port, 'CLUSTER', 'KEYSLOT', k)));
    const count = (lo: number, hi: number) => [...slots.values()].filter((slot) => slot >= lo && slot <= hi).length;

    // redis-cli moves a source's lowest slots first: slots 0-999 go from ours (MIGRATE over TLS into the stock
    // node), then from the stock node (its MIGRATE over TLS into ours). Each source keeps slots, so stays a master.
    const move = async (from: number, to: number) => {
      await redisCli([
        ...TLS_CLI(), '--cluster', 'reshard', `127.0.0.1:${a.tlsPort}`,
        '--cluster-from', ids[from], '--cluster-to', ids[to], '--cluster-slots', '1000', '--cluster-yes',
      ]);
      await agreed();
    };
    await move(0, 2);
    expect(await ask(s.port, 'DBSIZE')).toBe(count(0, 999) + count(10923, 16383));
    await move(2, 1);
    expect(await ask(a.port, 'DBSIZE')).toBe(count(1000, 5460));
    expect(await ask(s.port, 'DBSIZE')).toBe(count(10923, 16383));
    expect(await ask(b.port, 'DBSIZE')).toBe(count(0, 999) + count(5461, 10922));
    for (const k of keys) expect(await cliTls(a.tlsPort, ['-c', 'GET', k])).toBe(`v-${k}\n`);
    for (const k of keys) expect(await cli(s.port, ['-c', 'GET', k])).toBe(`v-${k}\n`);
  }, 180_000);
});

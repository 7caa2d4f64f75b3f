import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorReply, type Reply } from '../../shared/resp/reply.js';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { converged, edgeClient, infoOf, postJson, startEdgeReplica } from './helpers/edge-clients.js';
import { startEdge, type EdgeProcess } from './helpers/edge-process.js';

const SECRET = 'bad-input-secret';
const STORE = 'garbage';

let edge: EdgeProcess;
let node: ServerProcess;
let replica: ServerProcess;

beforeAll(async () => {
  [edge, node] = await Promise.all([startEdge({ secret: SECRET }), startServer(['--requirepass', SECRET])]);
  replica = await startEdgeReplica(edge.wsUrl(STORE), SECRET);
}, 60_000);

afterAll(async () => {
  await replica?.stop();
  await node?.stop();
  await edge?.stop();
});

/** One exchange: messages sent as they are, the number of replies they get, whether the server then closes. */
interface Case {
  name: string;
  send: string[];
  replies: number;
  closes?: boolean;
}

const CASES: Case[] = [
  {
    name: 'commands before AUTH, a wrong password, then the right one',
    send: ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n', 'GET k\r\n', `AUTH wrong\r\n`, `AUTH ${SECRET}\r\n`, 'PING\r\n'],
    replies: 5,
  },
  { name: 'a huge multibulk before AUTH', send: ['*100000\r\n'], replies: 1, closes: true },
  {
    name: 'unknown commands and wrong arities',
    send: [`AUTH ${SECRET}\r\n`, 'FOO bar baz\r\n', 'GET\r\n', 'SET k\r\n', 'CONFIG\r\n', 'CONFIG NOPE\r\n', 'HSET h f\r\n', 'PING a b\r\n'],
    replies: 8,
  },
  {
    name: 'type errors, syntax errors and bad numbers',
    send: [`AUTH ${SECRET}\r\n`, 'RPUSH bad:list a\r\n', 'GET bad:list\r\n', 'SET k v XX NX\r\n', 'INCR bad:list\r\n', 'EXPIRE k soon\r\n', 'SELECT 99\r\n'],
    replies: 7,
  },
  {
    name: 'a transaction doomed by an unknown command',
    send: [`AUTH ${SECRET}\r\n`, 'MULTI\r\n', 'SET bad:tx 1\r\n', 'NOSUCH\r\n', 'EXEC\r\n', 'GET bad:tx\r\n'],
    replies: 6,
  },
  { name: 'an invalid bulk length', send: [`AUTH ${SECRET}\r\n`, '*2\r\n$3\r\nGET\r\n$x\r\n'], replies: 2, closes: true },
  { name: 'an invalid multibulk length', send: [`AUTH ${SECRET}\r\n`, '*-5x\r\n'], replies: 2, closes: true },
  { name: 'a bulk where a command was expected', send: [`AUTH ${SECRET}\r\n`, '*1\r\nfoo\r\n'], replies: 2, closes: true },
  { name: 'unbalanced quotes in an inline command', send: [`AUTH ${SECRET}\r\n`, 'SET "a b\r\n'], replies: 2, closes: true },
  { name: 'a command split across messages at odd places', send: [`AUTH ${SECRET}\r\nSE`, 'T spl', 'it ok\r', '\nGET split\r\n'], replies: 3 },
];

/** Runs a case on a fresh WebSocket connection and returns the replies, plus 'closed' when the server closed it. */
async function run(url: string, c: Case): Promise<Array<Reply | 'closed'>> {
  const conn = await RespConnection.websocket(url);
  try {
    for (const m of c.send) conn.sendRaw(m);
    const out: Array<Reply | 'closed'> = [];
    for (let i = 0; i < c.replies; i++) out.push(await conn.next());
    if (c.closes) {
      await conn.waitClosed();
      out.push('closed');
    }
    return out;
  } finally {
    conn.close();
  }
}

describe('bad input at the edge', () => {
  it('gets exactly the replies the Node master gives, and a protocol error closes the connection as there', async () => {
    const c = await edgeClient(edge, STORE);
    await writeEveryType(c, 20, 31);
    for (const k of CASES) {
      const fromNode = await run(`ws://127.0.0.1:${node.httpPort}/`, k);
      const fromEdge = await run(edge.wsUrl(STORE), k);
      expect({ case: k.name, replies: fromEdge }).toEqual({ case: k.name, replies: fromNode });
    }
    // Spot checks that the comparison compares what it should.
    expect(await run(edge.wsUrl(STORE), CASES[0])).toContainEqual(new ErrorReply('NOAUTH Authentication required.'));
    expect(await run(edge.wsUrl(STORE), CASES[5])).toEqual([expect.anything(), new ErrorReply('ERR Protocol error: invalid bulk length'), 'closed']);
    c.close();
  });

  it('never reaches the stored dataset: after garbage and a restart the store and its replica hold the same data', async () => {
    const c = await edgeClient(edge, STORE);
    await writeEveryType(c, 20, 32);
    for (const k of CASES) await run(edge.wsUrl(STORE), k);
    const rc = await RespConnection.tcp(replica.port);
    await converged(c, rc);
    const live = await readDataset(c);
    expect(await readDataset(rc)).toEqual(live);
    const offset = (await infoOf(c)).master_repl_offset;
    c.close();

    await edge.restart();
    const c2 = await edgeClient(edge, STORE);
    expect(await readDataset(c2)).toEqual(live);
    // Only heartbeat PINGs to the reconnected replica may have moved the offset since.
    expect(Number((await infoOf(c2)).master_repl_offset)).toBeGreaterThanOrEqual(Number(offset));
    await converged(c2, rc);
    expect(await readDataset(rc)).toEqual(live);
    c2.close();
    rc.close();
  });

  it('answers bad HTTP commands with the same errors, as JSON with 4xx statuses', async () => {
    const nodeConn = await RespConnection.websocket(`ws://127.0.0.1:${node.httpPort}/`);
    const nodeError = async (...argv: string[]) => ((await nodeConn.call(...argv)) as ErrorReply).message;
    await nodeConn.call('AUTH', SECRET);
    expect(await postJson(edge, STORE, ['FOO', 'bar'])).toEqual({ status: 400, body: { error: await nodeError('FOO', 'bar') } });
    expect(await postJson(edge, STORE, ['GET'])).toEqual({ status: 400, body: { error: await nodeError('GET') } });
    expect(await postJson(edge, STORE, ['SET', 'k', 'v'], { auth: null })).toEqual({ status: 401, body: { error: 'NOAUTH Authentication required.' } });
    expect(await postJson(edge, STORE, ['SET', 'k', 'v'], { auth: 'wrong' })).toEqual({
      status: 401,
      body: { error: 'WRONGPASS invalid username-password pair or user is disabled.' },
    });
    expect(await postJson(edge, STORE, '{"not": "json"')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ERR invalid JSON body/) } });
    expect(await postJson(edge, STORE, { command: 'GET' })).toEqual({ status: 400, body: { error: 'ERR a command is a non-empty JSON array of strings' } });
    expect(await postJson(edge, STORE, [['PING'], 'GET'], { pipeline: true })).toEqual({
      status: 400,
      body: { error: 'ERR a command is a non-empty JSON array of strings' },
    });
    const raw = await fetch(edge.httpUrl(STORE), {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
      body: '*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$x\r\n',
    });
    expect([raw.status, await raw.text()]).toEqual([200, '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n']);
    nodeConn.close();
  });

  it('serves a blocking command over HTTP once another caller writes, and binary values as RESP', async () => {
    const waiting = postJson(edge, STORE, ['BLPOP', 'http:queue', '10']);
    // The BLPOP is parked in the object before the push arrives: its connection is listed as blocked.
    const c = await edgeClient(edge, STORE);
    await waitFor(async () => String(await c.call('CLIENT', 'LIST')).includes('flags=b'), 5_000, 'the BLPOP to block');
    expect(await postJson(edge, STORE, ['RPUSH', 'http:queue', 'job'])).toEqual({ status: 200, body: { result: 1 } });
    expect(await waiting).toEqual({ status: 200, body: { result: ['http:queue', 'job'] } });
    const raw = await fetch(edge.httpUrl(STORE), {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
      body: Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$3\r\n\x00\xff\x80\r\n*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n', 'latin1'),
    });
    expect(Buffer.from(await raw.arrayBuffer()).toString('latin1')).toBe('+OK\r\n$3\r\n\x00\xff\x80\r\n');
    c.close();
  });

  it('routes only store names and WebSocket upgrades to the stores', async () => {
    const get = await fetch(edge.httpUrl(STORE));
    expect(get.status).toBe(426);
    const badName = await fetch(`http://127.0.0.1:${edge.port}/store/${encodeURIComponent('no/slash')}`, { method: 'POST', body: 'PING\r\n' });
    expect(badName.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${edge.port}/elsewhere`)).status).toBe(404);
  });
});

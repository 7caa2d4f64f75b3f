import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoubleReply, ErrorReply, MapReply, SetReply, SimpleString, type Reply } from '../shared/resp/reply.js';
import { converged } from './helpers/dataset.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * ACL users on our server and on a stock redis-server 7.0.15: the same scripts (several connections each, so
 * AUTH as different users) give the same replies. Redis walks its command table in hash order (seeded at
 * random each start) when it lists single commands in a rule description or in ACL CAT, so those parts are
 * compared as sets; ACL LOG's age and the connection-specific fields of client-info are left out.
 */

let ours: ServerProcess;
let stock: StockRedis;

beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** A step: which connection (0, 1, ...) sends which command. */
type Step = [conn: number, ...argv: string[]];

/**
 * Every rule list in a description (the root one and each selector's): +@all/-@all and the categories in order,
 * then the single commands sorted.
 */
function normalizeRules(s: string): string {
  const tokens = s.split(' ');
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t !== '-@all' && t !== '+@all' && t !== '(-@all' && t !== '(+@all') {
      out.push(t);
      i++;
      continue;
    }
    out.push(t);
    i++;
    while (i < tokens.length && /^[+-]@[a-z]+$/.test(tokens[i])) out.push(tokens[i++]);
    const singles: string[] = [];
    let close = false;
    while (i < tokens.length && !tokens[i].startsWith('(')) {
      let tok = tokens[i++];
      if (tok.endsWith(')')) {
        tok = tok.slice(0, -1);
        close = true;
      }
      singles.push(tok);
      if (close) break;
    }
    singles.sort();
    out.push(...singles);
    if (close) out[out.length - 1] += ')';
  }
  return out.join(' ');
}

const INFO_FIELDS = ['name', 'db', 'sub', 'psub', 'multi', 'cmd', 'user', 'resp', 'flags'];

function normalize(r: Reply, argv: string[]): Reply {
  const sub = argv[1]?.toLowerCase();
  if (argv[0].toLowerCase() === 'acl' && sub === 'cat' && Array.isArray(r)) return [...(r as string[])].sort();
  // HELLO's reply carries the connection id.
  if (argv[0].toLowerCase() === 'hello' && !(r instanceof ErrorReply)) return 'HELLO reply';
  if (argv[0].toLowerCase() === 'acl' && sub === 'genpass' && typeof r === 'string') return `${r.length} hex chars: ${/^[0-9a-f]*$/.test(r)}`;
  return deep(r);
}

function deep(r: Reply): Reply {
  if (typeof r === 'string') {
    if (r.startsWith('id=')) {
      const fields = Object.fromEntries(r.split(' ').map((f) => f.split('=', 2)));
      return INFO_FIELDS.map((f) => `${f}=${fields[f]}`).join(' ');
    }
    return /[+-]@all/.test(r) ? normalizeRules(r) : r;
  }
  if (Array.isArray(r)) {
    const out = r.map(deep);
    // ACL LOG entries as flat RESP2 arrays: the age is not comparable.
    const i = out.indexOf('age-seconds');
    if (i >= 0 && i % 2 === 0) out[i + 1] = 'AGE';
    return out;
  }
  if (r instanceof MapReply) {
    return new MapReply(r.entries.map(([k, v]) => [k, k === 'age-seconds' ? 'AGE' : deep(v)]));
  }
  if (r instanceof SetReply) return new SetReply(r.items.map(deep));
  if (r instanceof DoubleReply) return r;
  return r;
}

/** Runs the steps on one server, each connection opened on first use; replies normalized. */
async function run(port: number, steps: Step[]): Promise<Reply[]> {
  const conns: RespConnection[] = [];
  const out: Reply[] = [];
  try {
    for (const [n, ...argv] of steps) {
      while (conns.length <= n) conns.push(await RespConnection.tcp(port));
      out.push(normalize(await conns[n].call(...argv), argv));
    }
  } finally {
    for (const c of conns) c.close();
  }
  return out;
}

/** Resets both servers' users and ACL LOG, runs the steps on both and expects the same replies. */
async function same(steps: Step[]): Promise<Reply[]> {
  const reset: Step[] = [
    [0, 'ACL', 'SETUSER', 'default', 'reset', 'on', 'nopass', '~*', '&*', '+@all'],
    [0, 'FLUSHALL'],
    [0, 'ACL', 'LOG', 'RESET'],
  ];
  const cleanup = async (port: number) => {
    const c = await RespConnection.tcp(port);
    const users = (await c.call('ACL', 'USERS')) as string[];
    for (const u of users) if (u !== 'default') await c.call('ACL', 'DELUSER', u);
    c.close();
  };
  await Promise.all([cleanup(ours.port), cleanup(stock.port)]);
  const [a, b] = await Promise.all([run(ours.port, [...reset, ...steps]), run(stock.port, [...reset, ...steps])]);
  const withSteps = (rs: Reply[]) => rs.slice(reset.length).map((r, i) => [steps[i].slice(1).join(' '), r]);
  expect(withSteps(a)).toEqual(withSteps(b));
  return a.slice(reset.length);
}

describe('ACL SETUSER, GETUSER, LIST, USERS, DELUSER', () => {
  it('describes users exactly as Redis (flags, password hashes, keys, channels, best-fit categories)', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 'alice'],
      [0, 'ACL', 'GETUSER', 'alice'],
      [0, 'ACL', 'SETUSER', 'bob', 'on', '>p1', '>p2', '~k*', '%R~r*', '%W~w*', '%RW~b*', '&ch*', '+get', '+@hash', '-hset', '+config|get'],
      [0, 'ACL', 'GETUSER', 'bob'],
      [0, 'ACL', 'LIST'],
      [0, 'ACL', 'USERS'],
      [0, 'ACL', 'SETUSER', 'bob', '<p1', '-@hash', 'resetchannels', 'allkeys'],
      [0, 'ACL', 'GETUSER', 'bob'],
      [0, 'ACL', 'SETUSER', 'carol', 'on', 'nopass', 'allcommands', '-@dangerous', 'allchannels', '~*'],
      [0, 'ACL', 'GETUSER', 'carol'],
      [0, 'ACL', 'SETUSER', 'dave', '+@all', '-@write', '-@admin', '+set'],
      [0, 'ACL', 'GETUSER', 'dave'],
      [0, 'ACL', 'SETUSER', 'erin', '+@read', '+@string', '-@slow', 'skip-sanitize-payload'],
      [0, 'ACL', 'GETUSER', 'erin'],
      [0, 'ACL', 'SETUSER', 'erin', 'reset'],
      [0, 'ACL', 'GETUSER', 'erin'],
      [0, 'ACL', 'SETUSER', 'frank', '#' + 'a'.repeat(64), 'on', '+client|list', '+client|info', '+select|0', '+select|1'],
      [0, 'ACL', 'GETUSER', 'frank'],
      [0, 'ACL', 'SETUSER', 'frank', '!' + 'a'.repeat(64), '+@list', '-lpush', '+@sortedset', '-@blocking'],
      [0, 'ACL', 'GETUSER', 'frank'],
      [0, 'ACL', 'SETUSER', 'gina', 'on', '>x', '~a', '(~b', '+get)', '(%R~c +@read -@hash)'],
      [0, 'ACL', 'GETUSER', 'gina'],
      [0, 'ACL', 'LIST'],
      [0, 'ACL', 'SETUSER', 'gina', 'clearselectors'],
      [0, 'ACL', 'GETUSER', 'gina'],
      [0, 'ACL', 'GETUSER', 'nobody'],
      [0, 'ACL', 'DELUSER', 'alice', 'nobody', 'bob'],
      [0, 'ACL', 'DELUSER', 'default'],
      [0, 'ACL', 'USERS'],
      [0, 'HELLO', '3'],
      [0, 'ACL', 'GETUSER', 'gina'],
      [0, 'ACL', 'GETUSER', 'nobody'],
    ]);
  });

  it('refuses bad rules with Redis\'s texts and applies nothing of a failed SETUSER', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 'x', 'bad'],
      [0, 'ACL', 'SETUSER', 'x', '+nosuchcommand'],
      [0, 'ACL', 'SETUSER', 'x', '+@nosuchcategory'],
      [0, 'ACL', 'SETUSER', 'x', '-config|nosuch'],
      [0, 'ACL', 'SETUSER', 'x', '+config|get|x'],
      [0, 'ACL', 'SETUSER', 'x', '+select|'],
      [0, 'ACL', 'SETUSER', 'x', 'allkeys', '~foo'],
      [0, 'ACL', 'SETUSER', 'x', 'allchannels', '&foo'],
      [0, 'ACL', 'SETUSER', 'x', '<nosuchpass'],
      [0, 'ACL', 'SETUSER', 'x', '#abc'],
      [0, 'ACL', 'SETUSER', 'x', '!' + 'A'.repeat(64)],
      [0, 'ACL', 'SETUSER', 'x', '%X~foo'],
      [0, 'ACL', 'SETUSER', 'x', '%RR~foo'],
      [0, 'ACL', 'SETUSER', 'x', '(~a', '+get'],
      [0, 'ACL', 'SETUSER', 'x', '(badrule)'],
      [0, 'ACL', 'SETUSER', 'bad user'],
      [0, 'ACL', 'USERS'],
      [0, 'ACL', 'SETUSER', 'y', 'on', '>pw', 'bad'],
      [0, 'ACL', 'GETUSER', 'y'],
      [0, 'ACL', 'SETUSER', 'y', 'on', '>', '~'],
      [0, 'ACL', 'GETUSER', 'y'],
      [0, 'ACL', 'NOSUCH'],
      [0, 'ACL'],
      [0, 'ACL', 'GETUSER'],
      [0, 'ACL', 'WHOAMI', 'x'],
    ]);
  });
});

describe('AUTH and permission checks', () => {
  it('AUTH and HELLO AUTH against users: WRONGPASS for unknown, disabled and wrong passwords', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 'u1', 'on', '>secret', '+@all', '~*'],
      [0, 'ACL', 'SETUSER', 'u2', 'off', '>secret', '+@all', '~*'],
      [0, 'ACL', 'SETUSER', 'u3', 'on', 'nopass', '+acl|whoami'],
      [1, 'AUTH', 'secret'],
      [1, 'AUTH', 'u1', 'wrong'],
      [1, 'AUTH', 'nobody', 'secret'],
      [1, 'AUTH', 'u2', 'secret'],
      [1, 'AUTH', 'u1', 'secret'],
      [1, 'ACL', 'WHOAMI'],
      [2, 'HELLO', '2', 'AUTH', 'u3', 'anything'],
      [2, 'ACL', 'WHOAMI'],
      [2, 'GET', 'k'],
      [3, 'HELLO', '2', 'AUTH', 'u1', 'nope'],
      [3, 'ACL', 'WHOAMI'],
      [0, 'ACL', 'LOG'],
      [0, 'ACL', 'LOG', '2'],
      [0, 'ACL', 'LOG', '-1'],
      [0, 'ACL', 'LOG', 'x'],
      [0, 'ACL', 'LOG', '1', '2'],
    ]);
  });

  it('denies commands, subcommands, keys (read/write patterns) and channels with NOPERM', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 'app', 'on', '>pw', '%R~r:*', '%W~w:*', '~rw:*', '&news.*', '+@read', '+@write', '+@pubsub', '-flushall', '-flushdb', '+config|get', '+client', '-client|kill', '+select|0'],
      [1, 'AUTH', 'app', 'pw'],
      [1, 'SET', 'w:1', 'v'],
      [1, 'SET', 'r:1', 'v'],
      [1, 'SET', 'w:1', 'v', 'GET'],
      [1, 'SET', 'rw:1', 'v', 'GET'],
      [1, 'GET', 'w:1'],
      [1, 'GET', 'r:1'],
      [1, 'GET', 'other'],
      [1, 'MGET', 'r:1', 'rw:1', 'w:1'],
      [1, 'LPUSH', 'w:l', 'a'],
      [1, 'LMOVE', 'w:l', 'w:m', 'LEFT', 'RIGHT'],
      [1, 'LMOVE', 'rw:l', 'w:m', 'LEFT', 'RIGHT'],
      [1, 'DEL', 'w:1', 'rw:1'],
      [1, 'DEL', 'r:1'],
      [1, 'EXISTS', 'r:1', 'w:1'],
      [1, 'EXISTS', 'other'],
      [1, 'SORT', 'r:l'],
      [1, 'SORT', 'r:l', 'STORE', 'w:dst'],
      [1, 'SORT', 'r:l', 'STORE', 'r:dst'],
      [1, 'ZUNIONSTORE', 'w:z', '2', 'r:a', 'rw:b'],
      [1, 'ZUNIONSTORE', 'w:z', '2', 'r:a', 'w:b'],
      [1, 'BITFIELD', 'r:b', 'GET', 'u8', '0'],
      [1, 'BITFIELD', 'r:b', 'SET', 'u8', '0', '1'],
      [1, 'FLUSHALL'],
      [1, 'CONFIG', 'GET', 'maxclients'],
      [1, 'CONFIG', 'SET', 'maxclients', '100'],
      [1, 'CLIENT', 'KILL', 'ID', '999999'],
      [1, 'CLIENT', 'GETNAME'],
      [1, 'SELECT', '0'],
      [1, 'SELECT', '1'],
      [1, 'PUBLISH', 'news.a', 'm'],
      [1, 'PUBLISH', 'sport', 'm'],
      [1, 'SPUBLISH', 'sport', 'm'],
      [1, 'SUBSCRIBE', 'news.a', 'sport'],
      [2, 'AUTH', 'app', 'pw'],
      [2, 'PSUBSCRIBE', 'news.*'],
      [2, 'PSUBSCRIBE', 'news.a*'],
      [0, 'ACL', 'LOG'],
    ]);
  });

  it('selectors: a command runs if any selector allows it', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 's', 'on', 'nopass', '+get', '~a*', '(+set ~b*)', '(+get %R~c*)'],
      [1, 'AUTH', 's', 'x'],
      [1, 'GET', 'a1'],
      [1, 'GET', 'b1'],
      [1, 'GET', 'c1'],
      [1, 'SET', 'b1', 'v'],
      [1, 'SET', 'a1', 'v'],
      [1, 'SET', 'c1', 'v'],
      [1, 'MGET', 'a1', 'c1'],
      [0, 'ACL', 'LOG'],
    ]);
  });

  it('transactions: denials while queueing abort EXEC; rules changed before EXEC are checked again', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 't', 'on', 'nopass', '+@all', '~*'],
      [1, 'AUTH', 't', 'x'],
      [1, 'MULTI'],
      [1, 'SET', 'k', 'v'],
      [1, 'GET', 'k'],
      [0, 'ACL', 'SETUSER', 't', '-set', 'resetkeys', '~k'],
      [1, 'EXEC'],
      [0, 'ACL', 'SETUSER', 't', 'resetkeys', '~z'],
      [1, 'MULTI'],
      [1, 'GET', 'k'],
      [1, 'EXEC'],
      [0, 'ACL', 'LOG'],
    ]);
  });

  it('acllog-max-len bounds the log; subcommand rules on top of +@all are described as Redis', async () => {
    await same([
      [0, 'CONFIG', 'SET', 'acllog-max-len', '2'],
      [0, 'ACL', 'SETUSER', 'l', 'on', 'nopass', '+@all', '-config|set', '-client|kill', '-@keyspace', '+del', 'resetkeys', '~a'],
      [0, 'ACL', 'GETUSER', 'l'],
      [1, 'AUTH', 'l', 'x'],
      [1, 'CONFIG', 'SET', 'maxclients', '10'],
      [1, 'GET', 'b'],
      [1, 'EXPIRE', 'a', '10'],
      [1, 'DEL', 'a'],
      [0, 'ACL', 'LOG'],
      [0, 'CONFIG', 'SET', 'acllog-max-len', '128'],
    ]);
  });

  it('a subscriber is disconnected when SETUSER revokes a channel it listens to', async () => {
    const run = async (port: number) => {
      const admin = await RespConnection.tcp(port);
      for (const u of (await admin.call('ACL', 'USERS')) as string[]) if (u !== 'default') await admin.call('ACL', 'DELUSER', u);
      await admin.call('ACL', 'SETUSER', 'sub', 'on', 'nopass', '+@all', '~*', '&news', '&sport');
      const c = await RespConnection.tcp(port);
      const replies: Reply[] = [await c.call('AUTH', 'sub', 'x'), await c.call('SUBSCRIBE', 'news')];
      replies.push(await admin.call('ACL', 'SETUSER', 'sub', '&more'));
      replies.push(await admin.call('PUBLISH', 'news', 'still here'));
      replies.push(await c.next());
      replies.push(await admin.call('ACL', 'SETUSER', 'sub', 'resetchannels', '&sport'));
      await c.waitClosed();
      replies.push(await admin.call('PUBLISH', 'news', 'gone'));
      admin.close();
      return replies;
    };
    const [a, b] = await Promise.all([run(ours.port), run(stock.port)]);
    expect(a).toEqual(b);
  });

  it('DELUSER and SETUSER off: connections of a deleted user are closed', async () => {
    const [, , , del, afterDel] = await same([
      [0, 'ACL', 'SETUSER', 'gone', 'on', 'nopass', '+@all', '~*'],
      [1, 'AUTH', 'gone', 'x'],
      [1, 'ACL', 'WHOAMI'],
      [0, 'ACL', 'DELUSER', 'gone'],
      [0, 'CLIENT', 'LIST', 'ID', '1'],
    ]);
    expect(del).toBe(1);
    expect(Array.isArray(afterDel) || typeof afterDel === 'string').toBe(true);
  });
});

describe('ACL CAT, DRYRUN, GENPASS, WHOAMI, HELP', () => {
  it('CAT lists the categories and each category\'s commands', async () => {
    const steps: Step[] = [[0, 'ACL', 'CAT']];
    for (const c of ['keyspace', 'read', 'write', 'string', 'list', 'hash', 'set', 'sortedset', 'bitmap', 'pubsub', 'admin', 'fast', 'dangerous', 'connection', 'transaction', 'blocking']) {
      steps.push([0, 'ACL', 'CAT', c]);
    }
    steps.push([0, 'ACL', 'CAT', 'nosuch'], [0, 'ACL', 'CAT', 'READ'], [0, 'ACL', 'CAT', 'a', 'b']);
    const replies = await same(steps);
    expect((replies[0] as string[]).length).toBe(21);
  });

  it('DRYRUN answers what the user may do without running it', async () => {
    await same([
      [0, 'ACL', 'SETUSER', 'd', 'on', 'nopass', '+get', '+publish', '~k*', '&c*'],
      [0, 'ACL', 'DRYRUN', 'd', 'GET', 'k1'],
      [0, 'ACL', 'DRYRUN', 'd', 'GET', 'x1'],
      [0, 'ACL', 'DRYRUN', 'd', 'SET', 'k1', 'v'],
      [0, 'ACL', 'DRYRUN', 'd', 'PUBLISH', 'c1', 'm'],
      [0, 'ACL', 'DRYRUN', 'd', 'PUBLISH', 'x1', 'm'],
      [0, 'ACL', 'DRYRUN', 'd', 'CONFIG', 'GET', 'x'],
      [0, 'ACL', 'DRYRUN', 'd', 'CONFIG'],
      [0, 'ACL', 'DRYRUN', 'd', 'CONFIG', 'NOSUCH'],
      [0, 'ACL', 'DRYRUN', 'd', 'NOSUCH'],
      [0, 'ACL', 'DRYRUN', 'd', 'GET'],
      [0, 'ACL', 'DRYRUN', 'nobody', 'GET', 'k'],
      [0, 'GET', 'k1'],
      [0, 'ACL', 'LOG'],
      [1, 'AUTH', 'd', 'x'],
      [1, 'GET', 'x1'],
      [0, 'HELLO', '3'],
      [0, 'ACL', 'LOG'],
    ]);
  });

  it('GENPASS sizes, WHOAMI and HELP', async () => {
    await same([
      [0, 'ACL', 'GENPASS'],
      [0, 'ACL', 'GENPASS', '1'],
      [0, 'ACL', 'GENPASS', '5'],
      [0, 'ACL', 'GENPASS', '4096'],
      [0, 'ACL', 'GENPASS', '4097'],
      [0, 'ACL', 'GENPASS', '0'],
      [0, 'ACL', 'GENPASS', 'x'],
      [0, 'ACL', 'WHOAMI'],
      [0, 'ACL', 'HELP'],
      [0, 'ACL', 'LOAD'],
      [0, 'ACL', 'SAVE'],
    ]);
  });
});

describe('requirepass and the default user', () => {
  it('CONFIG SET requirepass gives the default user a password; "" makes it nopass again', async () => {
    await same([
      [0, 'CONFIG', 'SET', 'requirepass', 'pw'],
      [0, 'ACL', 'GETUSER', 'default'],
      [1, 'GET', 'k'],
      [1, 'AUTH', 'wrong'],
      [1, 'AUTH', 'pw'],
      [1, 'ACL', 'WHOAMI'],
      [0, 'ACL', 'SETUSER', 'default', '>second'],
      [2, 'AUTH', 'default', 'second'],
      [2, 'CONFIG', 'SET', 'requirepass', ''],
      [2, 'ACL', 'GETUSER', 'default'],
      [3, 'AUTH', 'x'],
      [3, 'GET', 'k'],
      [0, 'ACL', 'LIST'],
    ]);
  });
});

describe('the aclfile: ACL LOAD, ACL SAVE and loading at startup', () => {
  it('SAVE writes the same file as Redis; LOAD reads it back; a broken file changes nothing', async () => {
    const dirA = mkdtempSync(path.join(tmpdir(), 'acl-ours-'));
    const dirB = mkdtempSync(path.join(tmpdir(), 'acl-stock-'));
    const content = 'user default on nopass ~* &* +@all\nuser alice on #' + 'b'.repeat(64) + ' ~k* resetchannels -@all +get\n';
    writeFileSync(path.join(dirA, 'users.acl'), content);
    writeFileSync(path.join(dirB, 'users.acl'), content);
    const [a, b] = await Promise.all([
      startServer(['--aclfile', path.join(dirA, 'users.acl')]),
      startStockRedis(['--aclfile', path.join(dirB, 'users.acl')]),
    ]);
    try {
      const script = async (port: number, dir: string) => {
        const c = await RespConnection.tcp(port);
        const out: Reply[] = [];
        out.push(deep(await c.call('ACL', 'LIST')));
        out.push(await c.call('ACL', 'SETUSER', 'bob', 'on', '>pw', '%R~r*', '&x', '+@hash', '-hdel'));
        out.push(await c.call('ACL', 'SAVE'));
        out.push(deep(readFileSync(path.join(dir, 'users.acl'), 'latin1')));
        out.push(await c.call('ACL', 'DELUSER', 'bob'));
        out.push(await c.call('ACL', 'LOAD'));
        out.push(deep(await c.call('ACL', 'LIST')));
        writeFileSync(path.join(dir, 'users.acl'), 'user carol on +nosuch\nbogus line\nuser carol off\nuser dan %Q~x\n');
        const err = await c.call('ACL', 'LOAD');
        out.push(err instanceof ErrorReply ? new ErrorReply(err.message.split(dir).join('DIR')) : err);
        out.push(deep(await c.call('ACL', 'LIST')));
        const d = await RespConnection.tcp(port);
        out.push(await d.call('AUTH', 'bob', 'pw'));
        writeFileSync(path.join(dir, 'users.acl'), content);
        out.push(await c.call('ACL', 'LOAD'));
        await d.waitClosed();
        out.push(deep(await c.call('ACL', 'USERS')));
        c.close();
        return out;
      };
      const [ra, rb] = await Promise.all([script(a.port, dirA), script(b.port, dirB)]);
      expect(ra).toEqual(rb);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('an aclfile with errors stops the server at startup, as Redis', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'acl-bad-'));
    writeFileSync(path.join(dir, 'users.acl'), 'user alice on +nosuchcommand\n');
    await expect(startServer(['--aclfile', path.join(dir, 'users.acl')])).rejects.toThrow(/Aborting Redis startup because of ACL errors/);
  });
});

describe('replication with an ACL user', () => {
  it('our replica syncs from our master as a user with only +psync +replconf +ping', async () => {
    const m = await startServer();
    const mc = await RespConnection.tcp(m.port);
    let r: ServerProcess | null = null;
    try {
      expect(await mc.call('ACL', 'SETUSER', 'replica-user', 'on', '>rpw', '+psync', '+replconf', '+ping')).toEqual(new SimpleString('OK'));
      expect(await mc.call('CONFIG', 'SET', 'requirepass', 'admin')).toEqual(new SimpleString('OK'));
      await mc.call('AUTH', 'admin');
      await mc.call('SET', 'before', '1');
      r = await startServer(['--replicaof', '127.0.0.1', String(m.port), '--masteruser', 'replica-user', '--masterauth', 'rpw']);
      const rc = await RespConnection.tcp(r.port);
      await converged(mc, [rc]);
      await mc.call('SET', 'after', '2');
      await mc.call('HSET', 'h', 'f', 'v');
      await converged(mc, [rc]);
      expect(await rc.call('GET', 'before')).toBe('1');
      expect(await rc.call('GET', 'after')).toBe('2');
      expect(await rc.call('HGET', 'h', 'f')).toBe('v');
      // The replica's own connection runs as that user: anything else is refused and logged.
      const log = (await mc.call('ACL', 'LOG')) as Reply[];
      expect(log).toEqual([]);
      rc.close();
    } finally {
      mc.close();
      await Promise.all([m.stop(), r?.stop()]);
    }
  });
});

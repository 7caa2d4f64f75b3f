/**
 * MIGRATE between in-memory cores joined by a MemoryNetwork (and, where a misbehaving target is needed, a
 * scripted fake target). Every reply, error text and propagated stream asserted here was first observed on a
 * stock redis-server 7.0.15: two throwaway servers driven with redis-cli, a real replica's MONITOR for the
 * propagated stream, a cluster-enabled server for RESTORE-ASKING, and a small TCP fake (silent / closing /
 * closing once / answering part of the pipeline) for the I/O failures. Redis's migrateCommand (src/cluster.c) was
 * read for the rest: MIGRATE propagates as `DEL` of the keys the target acknowledged, retries once on a new
 * connection after a socket error that is not a timeout when nothing was acknowledged yet, and reports a refused
 * connection as a failed write (its blocking connect does not check the socket error).
 */
import { describe, expect, it } from 'vitest';
import { OK_REPLY, createHarness, errorReply, type TestClient } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { binaryToBytes } from '../bytes.js';
import type { MasterConnection, MasterConnectionEvents, MasterConnector, MasterTarget } from '../replication/replica-link.js';
import { SimpleString, type Reply } from '../resp/reply.js';
import { ReplyParser } from '../resp/reply-parser.js';
import type { ClusterHost } from './cluster.js';

const TARGET_HOST = '10.0.0.2';
const TARGET_PORT = '6379';
const TARGET = `${TARGET_HOST}:${TARGET_PORT}`;
/** Where the scripted fake target listens. */
const FAKE_HOST = '10.0.0.9';
const FAKE_PORT = '6379';
/** Nothing listens here. */
const NOWHERE_HOST = '10.0.0.3';

const NOKEY = new SimpleString('NOKEY');
const IOERR_CONNECT = errorReply('IOERR error or timeout connecting to the client');
const IOERR_READ = errorReply('IOERR error or timeout reading to target instance');
const IOERR_WRITE = errorReply('IOERR error or timeout writing to target instance');
const SYNTAX = errorReply('ERR syntax error');
const NOT_INTEGER = errorReply('ERR value is not an integer or out of range');
const BUSYKEY = errorReply('ERR Target instance replied with error: BUSYKEY Target key name already exists.');
const KEYS_NEEDS_EMPTY_KEY = errorReply(
  'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string',
);
/** Our server's own refusal (Redis runs a MIGRATE queued in MULTI synchronously; we cannot block inside EXEC). */
const NOT_IN_MULTI = errorReply('ERR MIGRATE is not supported inside MULTI/EXEC on this server');

/** What a scripted target does with one connection (1-based attempt number). */
type Behaviour =
  /** Hand the connection to the real target core on the MemoryNetwork. */
  | 'network'
  /** Accept, read, never answer. */
  | 'silent'
  /** Close as soon as the commands arrive, answering nothing. */
  | 'close'
  /** Answer these raw RESP bytes, then close. */
  | { reply: string };

/**
 * A fake target at FAKE_HOST:FAKE_PORT following a script per connection, as the TCP fake used against Redis
 * did. It records what each connection received and whether MIGRATE closed it.
 */
class ScriptedTarget {
  attempts = 0;
  /** Commands received, one list per connection. */
  readonly received: string[][][] = [];
  /** Connections MIGRATE closed itself (rather than the target). */
  closedByMigrate = 0;

  constructor(
    private readonly script: (attempt: number) => Behaviour,
    private readonly net: MemoryNetwork,
  ) {}

  open(events: MasterConnectionEvents): MasterConnection {
    const behaviour = this.script(++this.attempts);
    if (behaviour === 'network') {
      return this.net.connector({ kind: 'tcp', host: TARGET_HOST, port: Number(TARGET_PORT) }, events);
    }
    const commands: string[][] = [];
    this.received.push(commands);
    const parser = new ReplyParser();
    let closed = false;
    const shut = () => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => events.onClose('closed by target'));
    };
    queueMicrotask(() => {
      if (!closed) events.onOpen();
    });
    return {
      write: (bytes) => {
        if (closed) return;
        parser.push(bytes.slice());
        for (let r = parser.next(); r !== undefined; r = parser.next()) commands.push(r as string[]);
        if (behaviour === 'close') {
          shut();
        } else if (typeof behaviour === 'object') {
          const data = binaryToBytes(behaviour.reply);
          queueMicrotask(() => {
            if (closed) return;
            events.onData(data);
            shut();
          });
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.closedByMigrate++;
      },
    };
  }
}

/** A source core and a target core registered at TARGET; `fake` scripts the target at FAKE_HOST. */
function setup(
  opts: {
    targetConfig?: Record<string, string>;
    sourceConfig?: Record<string, string>;
    clusterHost?: ClusterHost;
    fake?: (attempt: number) => Behaviour;
  } = {},
) {
  const net = new MemoryNetwork();
  const target = createHarness({ config: opts.targetConfig });
  net.register(TARGET, target.core);
  const fake = new ScriptedTarget(opts.fake ?? (() => 'silent'), net);
  const connector: MasterConnector = (to: MasterTarget, events) =>
    to.kind === 'tcp' && to.host === FAKE_HOST && String(to.port) === FAKE_PORT
      ? fake.open(events)
      : net.connector(to, events);
  const source = createHarness({ config: opts.sourceConfig, connector, clusterHost: opts.clusterHost });
  const t = target.client();
  if (opts.targetConfig?.requirepass) expect(t.call('AUTH', opts.targetConfig.requirepass)).toEqual(OK_REPLY);
  return { net, source, target, fake, s: source.client(), t };
}

/** Sends MIGRATE to TARGET (blocking), lets the bytes flow, and returns its reply. */
async function migrate(c: TestClient, ...args: Array<string | number>): Promise<Reply> {
  return migrateTo(c, TARGET_HOST, TARGET_PORT, ...args);
}

async function migrateTo(c: TestClient, host: string, port: string, ...args: Array<string | number>): Promise<Reply> {
  c.send('MIGRATE', host, port, ...args);
  await settle();
  const r = c.next();
  if (r === undefined) throw new Error('MIGRATE did not reply');
  return r;
}

/** Commands propagated since `mark` (an earlier length of h.propagated). */
function propagatedSince(h: { propagated: string[][] }, mark: number): string[][] {
  return h.propagated.slice(mark);
}

function sorted(r: Reply): string[] {
  return [...(r as string[])].sort();
}

/** HGETALL's flat reply as a sorted list of "field=value". */
function pairs(r: Reply): string[] {
  const a = r as string[];
  const out: string[] = [];
  for (let i = 0; i < a.length; i += 2) out.push(`${a[i]}=${a[i + 1]}`);
  return out.sort();
}

describe('MIGRATE moving keys', () => {
  it('moves a string with its TTL: gone here, there with the same value and remaining TTL', async () => {
    const { source, s, t } = setup();
    expect(s.call('SET', 'k', 'hello', 'PX', 5000)).toEqual(OK_REPLY);
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000)).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(t.call('GET', 'k')).toBe('hello');
    // Both fake clocks start at the same instant: the relative TTL sent arrives intact.
    expect(t.call('PTTL', 'k')).toBe(5000);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k']]);
  });

  it('moves a key without TTL as a key without TTL', async () => {
    const { s, t } = setup();
    s.call('SET', 'k', 'v');
    expect(await migrate(s, 'k', 0, 1000)).toEqual(OK_REPLY);
    expect(t.call('PTTL', 'k')).toBe(-1);
  });

  it('moves a list, a hash, a set and a sorted set with their contents and TTLs', async () => {
    const { source, s, t } = setup();
    s.call('RPUSH', 'l', 'a', 'b', 'c');
    s.call('HSET', 'h', 'f', 'v', 'g', 'w');
    s.call('SADD', 'st', 'x', 'y');
    s.call('ZADD', 'z', 1, 'a', 2.5, 'b');
    s.call('PEXPIRE', 'h', 9000);
    s.call('PEXPIRE', 'z', 7000);
    const mark = source.propagated.length;
    for (const key of ['l', 'h', 'st', 'z']) expect(await migrate(s, key, 0, 1000)).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'l', 'h', 'st', 'z')).toBe(0);
    expect(t.call('LRANGE', 'l', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(pairs(t.call('HGETALL', 'h'))).toEqual(['f=v', 'g=w']);
    expect(sorted(t.call('SMEMBERS', 'st'))).toEqual(['x', 'y']);
    expect(t.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2.5']);
    expect(t.call('TYPE', 'st')).toEqual(new SimpleString('set'));
    expect(t.call('PTTL', 'h')).toBe(9000);
    expect(t.call('PTTL', 'z')).toBe(7000);
    expect(t.call('PTTL', 'l')).toBe(-1);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'l'], ['DEL', 'h'], ['DEL', 'st'], ['DEL', 'z']]);
  });

  it('KEYS moves the keys that exist, skips missing ones, and propagates one DEL of the moved keys', async () => {
    const { source, s, t } = setup();
    s.call('SET', 'a', '1');
    s.call('SET', 'b', '2');
    s.call('SET', 'c', '3');
    const mark = source.propagated.length;
    expect(await migrate(s, '', 0, 1000, 'KEYS', 'a', 'nope', 'b', 'c')).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'a', 'b', 'c')).toBe(0);
    expect(t.call('MGET', 'a', 'b', 'c', 'nope')).toEqual(['1', '2', '3', null]);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'a', 'b', 'c']]);
  });

  it('KEYS takes every argument after it as a key, even one spelled like an option', async () => {
    const { s, t } = setup();
    s.call('SET', 'copy', 'x');
    expect(await migrate(s, '', 0, 1000, 'replace', 'KEYS', 'copy')).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'copy')).toBe(0);
    expect(t.call('GET', 'copy')).toBe('x');
  });

  it('COPY leaves the key here and propagates nothing', async () => {
    const { source, s, t } = setup();
    s.call('SET', 'k', 'v', 'PX', 3000);
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000, 'COPY')).toEqual(OK_REPLY);
    expect(s.call('GET', 'k')).toBe('v');
    expect(s.call('PTTL', 'k')).toBe(3000);
    expect(t.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('REPLACE overwrites the target key, TTL included', async () => {
    const { source, s, t } = setup();
    t.call('SET', 'k', 'old', 'EX', 100);
    s.call('RPUSH', 'k', 'new');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000, 'REPLACE')).toEqual(OK_REPLY);
    expect(t.call('LRANGE', 'k', 0, -1)).toEqual(['new']);
    expect(t.call('PTTL', 'k')).toBe(-1);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k']]);
  });

  it('without REPLACE an existing target key fails with the wrapped BUSYKEY and the key stays here', async () => {
    const { source, s, t } = setup();
    t.call('SET', 'k', 'theirs');
    s.call('SET', 'k', 'ours');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000)).toEqual(BUSYKEY);
    expect(s.call('GET', 'k')).toBe('ours');
    expect(t.call('GET', 'k')).toBe('theirs');
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('KEYS with one busy key moves the others, deletes only those, and replies the error', async () => {
    const { source, s, t } = setup();
    t.call('SET', 'w', 'theirs');
    s.call('SET', 'v', '1');
    s.call('SET', 'w', '2');
    const mark = source.propagated.length;
    expect(await migrate(s, '', 0, 1000, 'KEYS', 'v', 'w')).toEqual(BUSYKEY);
    expect(s.call('EXISTS', 'v')).toBe(0);
    expect(s.call('GET', 'w')).toBe('2');
    expect(t.call('MGET', 'v', 'w')).toEqual(['1', 'theirs']);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'v']]);
  });

  it('restores into the destination db and propagates the DEL in the source db', async () => {
    const { source, s, t } = setup();
    s.call('SELECT', 2);
    s.call('SET', 'k', 'v');
    expect(await migrate(s, 'k', 5, 1000)).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(t.call('EXISTS', 'k')).toBe(0);
    t.call('SELECT', 5);
    expect(t.call('GET', 'k')).toBe('v');
    expect(source.propagated).toEqual([['SELECT', '2'], ['SET', 'k', 'v'], ['DEL', 'k']]);
  });

  it('an out of range destination db is the target SELECT error, wrapped; the key stays', async () => {
    const { source, s } = setup();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 99, 1000)).toEqual(
      errorReply('ERR Target instance replied with error: ERR DB index is out of range'),
    );
    expect(s.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('a timeout of 0 or less still migrates (Redis uses 1000 ms)', async () => {
    const { s, t } = setup();
    s.call('SET', 'a', '1');
    s.call('SET', 'b', '2');
    expect(await migrate(s, 'a', 0, 0)).toEqual(OK_REPLY);
    expect(await migrate(s, 'b', 0, -5)).toEqual(OK_REPLY);
    expect(t.call('MGET', 'a', 'b')).toEqual(['1', '2']);
  });

  it('counts one call of MIGRATE in INFO commandstats', async () => {
    const { s } = setup();
    s.call('SET', 'k', 'v');
    expect(await migrate(s, 'k', 0, 1000)).toEqual(OK_REPLY);
    const line = (s.call('INFO', 'commandstats') as string).split('\r\n').find((l) => l.startsWith('cmdstat_migrate:'));
    expect(line).toMatch(/^cmdstat_migrate:calls=1,/);
  });
});

describe('MIGRATE authentication', () => {
  it('without AUTH a password-protected target answers NOAUTH, wrapped; the key stays', async () => {
    const { s, t } = setup({ targetConfig: { requirepass: 'pw' } });
    s.call('SET', 'k', 'v');
    expect(await migrate(s, 'k', 0, 1000)).toEqual(
      errorReply('ERR Target instance replied with error: NOAUTH Authentication required.'),
    );
    expect(s.call('GET', 'k')).toBe('v');
    expect(t.call('EXISTS', 'k')).toBe(0);
  });

  it('AUTH with the right password moves the key', async () => {
    const { source, s, t } = setup({ targetConfig: { requirepass: 'pw' } });
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000, 'AUTH', 'pw')).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(t.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k']]);
  });

  it('AUTH with a wrong password is the target WRONGPASS, wrapped; the key stays on both sides as it was', async () => {
    const { source, s, t } = setup({ targetConfig: { requirepass: 'pw' } });
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000, 'AUTH', 'bad')).toEqual(
      errorReply('ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.'),
    );
    expect(s.call('GET', 'k')).toBe('v');
    expect(t.call('EXISTS', 'k')).toBe(0);
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('AUTH2 with the default user and its password moves the key', async () => {
    const { s, t } = setup({ targetConfig: { requirepass: 'pw' } });
    s.call('SET', 'k', 'v');
    expect(await migrate(s, 'k', 0, 1000, 'AUTH2', 'default', 'pw')).toEqual(OK_REPLY);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(t.call('GET', 'k')).toBe('v');
  });

  it('AUTH2 with a wrong password or an unknown user is WRONGPASS, wrapped', async () => {
    const { s } = setup({ targetConfig: { requirepass: 'pw' } });
    s.call('SET', 'k', 'v');
    const wrongpass = errorReply(
      'ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.',
    );
    expect(await migrate(s, 'k', 0, 1000, 'AUTH2', 'default', 'bad')).toEqual(wrongpass);
    expect(await migrate(s, 'k', 0, 1000, 'AUTH2', 'nouser', 'pw')).toEqual(wrongpass);
    expect(s.call('GET', 'k')).toBe('v');
  });

  it('AUTH to a target without a password fails with its error, though the target still restored the key', async () => {
    // The failed AUTH leaves the connection logged in as the default user, so the pipelined RESTORE runs;
    // MIGRATE reports the AUTH error and keeps its copy (Redis behaves the same).
    const { source, s, t } = setup();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000, 'AUTH', 'foo')).toEqual(
      errorReply(
        'ERR Target instance replied with error: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
      ),
    );
    expect(s.call('GET', 'k')).toBe('v');
    expect(t.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([]);
  });
});

describe('MIGRATE with nothing to move', () => {
  it('replies +NOKEY at once when no key exists, without connecting or propagating', () => {
    const { source, fake, s } = setup();
    const mark = source.propagated.length;
    expect(s.call('MIGRATE', FAKE_HOST, FAKE_PORT, 'nope', 0, 1000)).toEqual(NOKEY);
    expect(s.call('MIGRATE', FAKE_HOST, FAKE_PORT, '', 0, 1000)).toEqual(NOKEY);
    expect(s.call('MIGRATE', FAKE_HOST, FAKE_PORT, '', 0, 1000, 'KEYS')).toEqual(NOKEY);
    expect(s.call('MIGRATE', FAKE_HOST, FAKE_PORT, '', 0, 1000, 'COPY', 'REPLACE', 'KEYS', 'a', 'b')).toEqual(NOKEY);
    expect(fake.attempts).toBe(0);
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('skips expired keys: their lazy-expiry DELs and the DEL of the moved keys propagate together', async () => {
    const { source, s, t } = setup();
    s.call('SET', 'x', '1', 'PX', 100);
    s.call('SET', 'y', '1', 'PX', 100);
    s.call('SET', 'z', '1');
    source.clock.advance(200);
    const mark = source.propagated.length;
    expect(await migrate(s, '', 0, 1000, 'KEYS', 'x', 'z', 'y')).toEqual(OK_REPLY);
    expect(t.call('EXISTS', 'x', 'y')).toBe(0);
    expect(t.call('GET', 'z')).toBe('1');
    expect(s.call('EXISTS', 'x', 'y', 'z')).toBe(0);
    // As a Redis replica's MONITOR shows it: one transaction.
    expect(propagatedSince(source, mark)).toEqual([['MULTI'], ['DEL', 'x'], ['DEL', 'y'], ['DEL', 'z'], ['EXEC']]);
  });

  it('NOKEY when every key has expired, propagating only their lazy-expiry DEL', () => {
    const { source, s } = setup();
    s.call('SET', 'x', '1', 'PX', 100);
    source.clock.advance(200);
    const mark = source.propagated.length;
    expect(s.call('MIGRATE', TARGET_HOST, TARGET_PORT, '', 0, 1000, 'KEYS', 'x')).toEqual(NOKEY);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'x']]);
  });
});

describe('MIGRATE argument errors', () => {
  it.each([
    [['k', 0, 1000, 'bogus'], SYNTAX],
    [['k', 0, 1000, 'AUTH'], SYNTAX],
    [['k', 0, 1000, 'AUTH2', 'user'], SYNTAX],
    [['k', 0, 1000, 'AUTH', 'pw', 'bogus'], SYNTAX],
    [['k', 0, 1000, 'COPY', 'bogus', 'KEYS', 'a'], SYNTAX],
    // Options are checked before anything is looked up: a missing key does not turn these into NOKEY.
    [['nope', 0, 1000, 'bogus'], SYNTAX],
    [['k', 0, 1000, 'KEYS', 'k'], KEYS_NEEDS_EMPTY_KEY],
    [['k', 0, 1000, 'KEYS', 'k', 'bogus'], KEYS_NEEDS_EMPTY_KEY],
    [['k', 0, 'abc'], NOT_INTEGER],
    [['k', 'abc', 1000], NOT_INTEGER],
    [['nope', 'x', 1000], NOT_INTEGER],
    [['k', 0], errorReply("ERR wrong number of arguments for 'migrate' command")],
  ] as Array<[Array<string | number>, Reply]>)('MIGRATE host port %j replies %j at once', (args, expected) => {
    const { source, fake, s } = setup();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(s.call('MIGRATE', FAKE_HOST, FAKE_PORT, ...args)).toEqual(expected);
    expect(s.call('GET', 'k')).toBe('v');
    expect(fake.attempts).toBe(0);
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('options are case-insensitive', async () => {
    const { s, t } = setup();
    s.call('SET', 'a', '1');
    expect(await migrate(s, '', 0, 1000, 'cOpY', 'rEpLaCe', 'kEyS', 'a')).toEqual(OK_REPLY);
    expect(s.call('GET', 'a')).toBe('1');
    expect(t.call('GET', 'a')).toBe('1');
  });
});

describe('MIGRATE connection failures', () => {
  it('a refused connection is reported as a failed write (Redis connects without checking the socket error)', async () => {
    const { source, s } = setup();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrateTo(s, NOWHERE_HOST, '6379', 'k', 0, 1000)).toEqual(IOERR_WRITE);
    expect(s.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('a port that is no TCP port fails to connect', async () => {
    const { s } = setup();
    s.call('SET', 'k', 'v');
    expect(await migrateTo(s, TARGET_HOST, '-5', 'k', 0, 1000)).toEqual(IOERR_CONNECT);
    expect(s.call('GET', 'k')).toBe('v');
  });

  it('a target closing every connection before answering is a read error after one retry; keys stay', async () => {
    const { source, fake, s } = setup({ fake: () => 'close' });
    s.call('SET', 'a', '1');
    s.call('SET', 'b', '2');
    const mark = source.propagated.length;
    expect(await migrateTo(s, FAKE_HOST, FAKE_PORT, '', 0, 1000, 'KEYS', 'a', 'b')).toEqual(IOERR_READ);
    expect(s.call('MGET', 'a', 'b')).toEqual(['1', '2']);
    expect(fake.received[0]).toEqual([
      ['SELECT', '0'],
      ['RESTORE', 'a', '0', expect.any(String)],
      ['RESTORE', 'b', '0', expect.any(String)],
    ]);
    expect(propagatedSince(source, mark)).toEqual([]);
    // Redis reconnects once when nothing was acknowledged and the error was not a timeout.
    expect(fake.attempts).toBe(2);
  });

  it('retries once on a new connection when the first is dropped before any reply, and then succeeds', async () => {
    const { source, fake, s, t } = setup({ fake: (attempt) => (attempt === 1 ? 'close' : 'network') });
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(await migrateTo(s, FAKE_HOST, FAKE_PORT, 'k', 0, 1000)).toEqual(OK_REPLY);
    expect(fake.attempts).toBe(2);
    expect(s.call('EXISTS', 'k')).toBe(0);
    expect(t.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k']]);
  });

  it('a target closing mid-way: the acknowledged keys are moved and DELed, the reply is the read error', async () => {
    // SELECT and the first RESTORE are acknowledged, then the connection drops: no retry (a key was moved).
    const { source, fake, s } = setup({ fake: () => ({ reply: '+OK\r\n+OK\r\n' }) });
    s.call('SET', 'a', '1');
    s.call('SET', 'b', '2');
    s.call('SET', 'c', '3');
    const mark = source.propagated.length;
    expect(await migrateTo(s, FAKE_HOST, FAKE_PORT, '', 0, 1000, 'KEYS', 'a', 'b', 'c')).toEqual(IOERR_READ);
    expect(s.call('EXISTS', 'a')).toBe(0);
    expect(s.call('MGET', 'b', 'c')).toEqual(['2', '3']);
    expect(fake.attempts).toBe(1);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'a']]);
  });

  it('a target that never answers times out with the read error at the deadline; keys stay, the link is closed', async () => {
    const { source, fake, s } = setup({ fake: () => 'silent' });
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    s.send('MIGRATE', FAKE_HOST, FAKE_PORT, 'k', 0, 500);
    await settle();
    expect(fake.received[0]).toEqual([['SELECT', '0'], ['RESTORE', 'k', '0', expect.any(String)]]);
    source.clock.advance(499);
    source.core.timeoutBlocked();
    expect(s.next()).toBeUndefined();
    source.clock.advance(1);
    source.core.timeoutBlocked();
    expect(s.next()).toEqual(IOERR_READ);
    expect(s.call('GET', 'k')).toBe('v');
    expect(fake.closedByMigrate).toBe(1);
    expect(fake.attempts).toBe(1);
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('a timeout of 0 waits the default 1000 ms', async () => {
    const { source, s } = setup({ fake: () => 'silent' });
    s.call('SET', 'k', 'v');
    s.send('MIGRATE', FAKE_HOST, FAKE_PORT, 'k', 0, 0);
    await settle();
    source.clock.advance(999);
    source.core.timeoutBlocked();
    expect(s.next()).toBeUndefined();
    source.clock.advance(1);
    source.core.timeoutBlocked();
    expect(s.next()).toEqual(IOERR_READ);
  });
});

describe('MIGRATE and other clients', () => {
  it('holds another client while in flight: its SET runs after MIGRATE deleted the key', async () => {
    const { source, s, t } = setup();
    const other = source.client();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    s.send('MIGRATE', TARGET_HOST, TARGET_PORT, 'k', 0, 1000);
    other.send('SET', 'k', 'new');
    expect(s.next()).toBeUndefined();
    expect(other.next()).toBeUndefined();
    await settle();
    expect(s.next()).toEqual(OK_REPLY);
    expect(other.next()).toEqual(OK_REPLY);
    // Redis runs nothing else until MIGRATE returns: the SET lands on a source that no longer has k.
    expect(s.call('GET', 'k')).toBe('new');
    expect(t.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k'], ['SET', 'k', 'new']]);
  });

  it('holds another client reads too: a GET sent meanwhile sees the key already moved', async () => {
    const { source, s } = setup();
    const other = source.client();
    s.call('SET', 'k', 'v');
    s.send('MIGRATE', TARGET_HOST, TARGET_PORT, 'k', 0, 1000);
    other.send('GET', 'k');
    expect(other.next()).toBeUndefined();
    await settle();
    expect(s.next()).toEqual(OK_REPLY);
    expect(other.next()).toBeNull();
  });

  it('releases held clients when MIGRATE times out', async () => {
    const { source, s } = setup({ fake: () => 'silent' });
    const other = source.client();
    s.call('SET', 'k', 'v');
    s.send('MIGRATE', FAKE_HOST, FAKE_PORT, 'k', 0, 500);
    other.send('INCR', 'n');
    await settle();
    expect(other.next()).toBeUndefined();
    source.clock.advance(500);
    source.core.timeoutBlocked();
    expect(s.next()).toEqual(IOERR_READ);
    expect(other.next()).toBe(1);
  });
});

describe('MIGRATE inside MULTI', () => {
  it('is refused at EXEC by this server; the key stays and nothing propagates', () => {
    const { source, s } = setup();
    s.call('SET', 'k', 'v');
    const mark = source.propagated.length;
    expect(s.call('MULTI')).toEqual(OK_REPLY);
    expect(s.call('MIGRATE', TARGET_HOST, TARGET_PORT, 'k', 0, 1000)).toEqual(new SimpleString('QUEUED'));
    expect(s.call('EXEC')).toEqual([NOT_IN_MULTI]);
    expect(s.call('GET', 'k')).toBe('v');
    expect(propagatedSince(source, mark)).toEqual([]);
  });

  it('replies NOKEY inside EXEC when there is nothing to move', () => {
    const { s } = setup();
    s.call('MULTI');
    s.call('MIGRATE', TARGET_HOST, TARGET_PORT, 'nope', 0, 1000);
    expect(s.call('EXEC')).toEqual([NOKEY]);
  });
});

describe('MIGRATE in cluster mode', () => {
  function clusterSetup() {
    const host: ClusterHost = { connect() {}, saveConfig() {}, loadConfig: () => null };
    const env = setup({ sourceConfig: { 'cluster-enabled': 'yes', port: '7000' }, clusterHost: host });
    expect(env.s.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)).toEqual(OK_REPLY);
    // Past Redis's CLUSTER_WRITABLE_DELAY, so the node serves its slots.
    env.source.clock.advance(2_500);
    env.source.cluster?.updateState();
    return env;
  }

  it('sends RESTORE-ASKING, not RESTORE, to the target', async () => {
    const { source, s, t } = clusterSetup();
    s.call('SET', 'k', 'v');
    t.call('CONFIG', 'RESETSTAT');
    const mark = source.propagated.length;
    expect(await migrate(s, 'k', 0, 1000)).toEqual(OK_REPLY);
    expect(t.call('GET', 'k')).toBe('v');
    const stats = (t.call('INFO', 'commandstats') as string).split('\r\n').filter((l) => l.startsWith('cmdstat_'));
    expect(stats.map((l) => l.slice(0, l.indexOf(':')))).toEqual(
      expect.arrayContaining(['cmdstat_restore-asking', 'cmdstat_select']),
    );
    expect(stats.find((l) => l.startsWith('cmdstat_restore-asking:'))).toMatch(/calls=1,/);
    expect(stats.some((l) => l.startsWith('cmdstat_restore:'))).toBe(false);
    expect(propagatedSince(source, mark)).toEqual([['DEL', 'k']]);
  });

  it('shows RESTORE-ASKING to the target MONITOR', async () => {
    const { s, t } = clusterSetup();
    s.call('SET', 'k', 'v');
    expect(t.call('MONITOR')).toEqual(OK_REPLY);
    expect(await migrate(s, 'k', 3, 1000, 'REPLACE')).toEqual(OK_REPLY);
    const lines: string[] = [];
    for (let r = t.next(); r !== undefined; r = t.next()) lines.push((r as SimpleString).value);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d+\.\d{6} \[3 127\.0\.0\.1:40000\] "SELECT" "3"$/);
    expect(lines[1]).toMatch(/^\d+\.\d{6} \[3 127\.0\.0\.1:40000\] "RESTORE-ASKING" "k" "0" ".*" "REPLACE"$/s);
  });
});

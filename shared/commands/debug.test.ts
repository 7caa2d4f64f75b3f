import { describe, expect, it } from 'vitest';
import { Config } from '../engine/config.js';
import type { SnapshotPersistence } from '../engine/server-core.js';
import { createServerCore } from '../create-server.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../resp/reply.js';
import { createHarness, OK_REPLY, TestClient } from '../../test/helpers/core-harness.js';

const ZEROS = '0'.repeat(40);
const status = (r: Reply): string => (r as SimpleString).value;

/** A core whose host has snapshot persistence: counts saves and fails them on demand. */
function persistentCore(opts: { failSave?: boolean } = {}) {
  const saves: number[] = [];
  const persistence: SnapshotPersistence = {
    save: () => {
      saves.push(1);
      return !opts.failSave;
    },
    backgroundSave: () => true,
    scheduleBackgroundSave: () => {},
    saving: () => false,
    abortBackgroundSave: () => {},
    lastSave: () => 0,
  };
  const { core } = createServerCore({
    host: { now: () => 1_700_000_000_000, log: () => {}, persistence },
    config: new Config({ 'enable-debug-command': 'yes' }),
  });
  return { core, saves, client: () => new TestClient(core) };
}

describe('DEBUG HELP and unknown subcommands', () => {
  it('HELP is Redis 7.0.15 text, framed by the usual first line and HELP entry', () => {
    const help = (createHarness().client().call('DEBUG', 'HELP') as SimpleString[]).map((l) => l.value);
    expect(help[0]).toBe('DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help[1]).toBe('AOF-FLUSH-SLEEP <microsec>');
    expect(help.slice(-4)).toEqual([
      'CLUSTERLINK KILL <to|from|all> <node-id>',
      '    Kills the link based on the direction to/from (both) with the provided node.',
      'HELP',
      '    Prints this help.',
    ]);
    expect(help).toHaveLength(106);
    for (const sub of ['DIGEST', 'DIGEST-VALUE <key> [<key> ...]', 'POPULATE <count> [<prefix>] [<size>]', 'OBJECT <key>', 'SLEEP <seconds>']) {
      expect(help).toContain(sub);
    }
  });

  it('rejects unknown subcommands and wrong argument counts with Redis text', () => {
    const c = createHarness().client();
    expect(c.call('DEBUG', 'JMAP')).toEqual(new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP."));
    expect(c.call('DEBUG', 'DIGEST', 'x')).toEqual(new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP."));
    expect(c.call('DEBUG', 'help', 'x')).toEqual(new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'help'. Try DEBUG HELP."));
    expect(c.call('DEBUG', 'OBJECT')).toEqual(new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP."));
    expect(c.call('DEBUG')).toEqual(new ErrorReply("ERR wrong number of arguments for 'debug' command"));
  });
});

describe('DEBUG SLEEP and SET-ACTIVE-EXPIRE', () => {
  it('SLEEP blocks the server through the host for the given seconds', () => {
    const slept: number[] = [];
    const { core } = createServerCore({
      host: { now: () => 0, log: () => {}, sleep: (ms) => slept.push(ms) },
      config: new Config({ 'enable-debug-command': 'yes' }),
    });
    const c = new TestClient(core);
    expect(c.call('DEBUG', 'SLEEP', '0.25')).toEqual(OK_REPLY);
    expect(c.call('DEBUG', 'sleep', 'abc')).toEqual(OK_REPLY);
    expect(slept).toEqual([250, 0]);
  });

  it('SET-ACTIVE-EXPIRE 0 stops the cron from expiring keys nobody reads; a read still expires them; 1 resumes', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toEqual(OK_REPLY);
    c.call('SET', 'a', '1', 'PX', '10');
    c.call('SET', 'b', '1', 'PX', '10');
    h.clock.advance(100);
    h.core.cron();
    expect(h.core.dbs[0].dict.size).toBe(2);
    expect(c.call('GET', 'a')).toBeNull();
    expect(h.core.dbs[0].dict.size).toBe(1);
    // Redis reads the flag with atoi: "x" is 0, "2" is on.
    expect(c.call('DEBUG', 'SET-ACTIVE-EXPIRE', 'x')).toEqual(OK_REPLY);
    expect(h.core.activeExpireEnabled).toBe(false);
    expect(c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '2')).toEqual(OK_REPLY);
    h.core.cron();
    expect(h.core.dbs[0].dict.size).toBe(0);
  });
});

describe('DEBUG DIGEST and DIGEST-VALUE', () => {
  it('digest the dataset and single values as redis-server 7.0.15 does', () => {
    const c = createHarness().client();
    expect(c.call('DEBUG', 'DIGEST')).toEqual(new SimpleString(ZEROS));
    c.call('SET', 'a', '1');
    // Both values printed by redis-server 7.0.15 after SET a 1.
    expect(c.call('DEBUG', 'digest')).toEqual(new SimpleString('943d800368fb9c0e951138f1bc0e313ac769d91f'));
    expect(c.call('DEBUG', 'DIGEST-VALUE', 'a', 'missing')).toEqual([
      new SimpleString('b4fc66738120fba0b5aa500ab5c2bf89cea1c5da'),
      new SimpleString(ZEROS),
    ]);
    expect(c.call('DEBUG', 'DIGEST-VALUE')).toEqual([]);
  });

  it('DIGEST-VALUE reads the selected database; the dataset digest covers every database', () => {
    const c = createHarness().client();
    c.call('SELECT', '5');
    c.call('SET', 'k', 'v');
    // redis-server 7.0.15: SET k v in database 5.
    expect(c.call('DEBUG', 'DIGEST-VALUE', 'k')).toEqual([new SimpleString('d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f')]);
    c.call('SELECT', '0');
    expect(c.call('DEBUG', 'DIGEST-VALUE', 'k')).toEqual([new SimpleString(ZEROS)]);
    expect(status(c.call('DEBUG', 'DIGEST'))).not.toBe(ZEROS);
  });

  it('counts logically expired keys without expiring them (no lookup, nothing propagated)', () => {
    const h = createHarness();
    const c = h.client();
    c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    c.call('SET', 'k', 'v', 'PX', '10');
    const before = status(c.call('DEBUG', 'DIGEST'));
    h.propagated.length = 0;
    h.clock.advance(100);
    expect(status(c.call('DEBUG', 'DIGEST'))).toBe(before);
    expect(status((c.call('DEBUG', 'DIGEST-VALUE', 'k') as Reply[])[0])).not.toBe(ZEROS);
    expect(h.core.dbs[0].dict.has('k')).toBe(true);
    expect(h.propagated).toEqual([]);
  });
});

describe('DEBUG POPULATE', () => {
  it('creates key:N = value:N, skipping keys that exist, without propagating', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'key:1', 'mine');
    h.propagated.length = 0;
    expect(c.call('DEBUG', 'POPULATE', '3')).toEqual(OK_REPLY);
    expect(c.call('MGET', 'key:0', 'key:1', 'key:2', 'key:3')).toEqual(['value:0', 'mine', 'value:2', null]);
    expect(h.propagated).toEqual([]);
  });

  it('takes a prefix (cut at a NUL byte) and pads values with zero bytes or cuts them to the size', () => {
    const c = createHarness().client();
    c.call('DEBUG', 'POPULATE', '2', 'p', '10');
    expect(c.call('GET', 'p:1')).toBe('value:1\0\0\0');
    c.call('DEBUG', 'POPULATE', '2', 'q', '3');
    expect(c.call('GET', 'q:1')).toBe('val');
    c.call('DEBUG', 'POPULATE', '1', 'a\0b');
    expect(c.call('KEYS', 'a*')).toEqual(['a:0']);
    // The key is built in a 128-byte buffer: 127 bytes at most.
    c.call('DEBUG', 'POPULATE', '1', 'x'.repeat(200));
    expect(c.call('KEYS', 'xxx*')).toEqual(['x'.repeat(127)]);
  });

  it('replaces a logically expired key (its DEL propagated) and wakes WATCH', () => {
    const h = createHarness();
    const c = h.client();
    const w = h.client();
    c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    c.call('SET', 'key:0', 'old', 'PX', '10');
    h.clock.advance(100);
    w.call('WATCH', 'key:0');
    h.propagated.length = 0;
    c.call('DEBUG', 'POPULATE', '1');
    expect(c.call('GET', 'key:0')).toBe('value:0');
    expect(c.call('PTTL', 'key:0')).toBe(-1);
    expect(h.propagated).toEqual([['DEL', 'key:0']]);
    w.call('MULTI');
    w.call('PING');
    expect(w.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('rejects counts and sizes that are not positive integers', () => {
    const c = createHarness().client();
    const err = new ErrorReply('ERR value is out of range, must be positive');
    expect(c.call('DEBUG', 'POPULATE', '-1')).toEqual(err);
    expect(c.call('DEBUG', 'POPULATE', 'x')).toEqual(err);
    expect(c.call('DEBUG', 'POPULATE', '1', 'a', '-5')).toEqual(err);
    expect(c.call('DEBUG', 'POPULATE', '1', 'a', '1', '2')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP."),
    );
    expect(c.call('DBSIZE')).toBe(0);
  });
});

describe('DEBUG OBJECT', () => {
  it("prints Redis's line: address, refcount, encoding, serializedlength, lru and idle seconds", () => {
    const c = createHarness().client();
    c.call('SET', 'n', '100');
    c.call('SET', 's', 'hello');
    expect(status(c.call('DEBUG', 'OBJECT', 'n'))).toMatch(
      /^Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int serializedlength:2 lru:\d+ lru_seconds_idle:0$/,
    );
    expect(status(c.call('DEBUG', 'OBJECT', 's'))).toMatch(
      /^Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:0$/,
    );
    expect(c.call('DEBUG', 'OBJECT', 'missing')).toEqual(new ErrorReply('ERR no such key'));
  });

  it('sizes compact encodings as Redis saves them and adds the quicklist fields for lists', () => {
    const c = createHarness().client();
    c.call('RPUSH', 'l', 'a', 'b', 'c');
    c.call('HSET', 'h', 'f', 'v');
    c.call('SADD', 'i', '1', '2', '3');
    c.call('SET', 'long', 'r'.repeat(45));
    // Each expected figure printed by redis-server 7.0.15 for the same value.
    expect(status(c.call('DEBUG', 'OBJECT', 'l'))).toMatch(
      / encoding:quicklist serializedlength:19 lru:\d+ lru_seconds_idle:0 ql_nodes:1 ql_avg_node:3\.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16$/,
    );
    expect(status(c.call('DEBUG', 'OBJECT', 'h'))).toContain(' encoding:listpack serializedlength:14 ');
    expect(status(c.call('DEBUG', 'OBJECT', 'i'))).toContain(' encoding:intset serializedlength:15 ');
    expect(status(c.call('DEBUG', 'OBJECT', 'long'))).toContain(' encoding:raw serializedlength:12 ');
  });

  it('finds logically expired keys (no lookup) and keeps the address of a value stable', () => {
    const h = createHarness();
    const c = h.client();
    c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    c.call('RPUSH', 'l', 'a');
    c.call('PEXPIRE', 'l', '10');
    const first = status(c.call('DEBUG', 'OBJECT', 'l')).split(' ')[1];
    h.clock.advance(100);
    expect(status(c.call('DEBUG', 'OBJECT', 'l')).split(' ')[1]).toBe(first);
    expect(h.core.dbs[0].dict.has('l')).toBe(true);
  });
});

describe('DEBUG RELOAD', () => {
  it('round-trips the dataset through RDB: the same digest, TTLs kept, logged', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 's', 'v', 'PX', '100000');
    c.call('RPUSH', 'l', 'a', 'b');
    c.call('ZADD', 'z', '1.5', 'm');
    c.call('XADD', 'st', '1-1', 'f', 'v');
    c.call('SELECT', '3');
    c.call('HSET', 'h', 'f', 'v');
    const digest = status(c.call('DEBUG', 'DIGEST'));
    const value = h.core.dbs[0].dict.get('l');
    expect(c.call('DEBUG', 'RELOAD')).toEqual(OK_REPLY);
    expect(status(c.call('DEBUG', 'DIGEST'))).toBe(digest);
    // The values are new objects, decoded from the RDB.
    expect(h.core.dbs[0].dict.get('l')).not.toBe(value);
    expect(h.core.dbs[0].expires.get('s')).toBe(h.clock.now + 100000);
    expect(h.logs).toContain('warning: DB reloaded by DEBUG RELOAD');
  });

  it('drops keys that expired (as a master loading an RDB) and invalidates WATCH', () => {
    const h = createHarness();
    const c = h.client();
    const w = h.client();
    c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    c.call('SET', 'gone', 'v', 'PX', '10');
    c.call('SET', 'kept', 'v');
    h.clock.advance(100);
    w.call('WATCH', 'kept');
    c.call('DEBUG', 'RELOAD');
    expect(c.call('DBSIZE')).toBe(1);
    w.call('MULTI');
    expect(w.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('MERGE NOFLUSH loads on top of the data; NOFLUSH alone refuses conflicting keys without changing anything', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'k', 'v');
    const digest = status(c.call('DEBUG', 'DIGEST'));
    expect(c.call('DEBUG', 'RELOAD', 'merge', 'noflush')).toEqual(OK_REPLY);
    expect(status(c.call('DEBUG', 'DIGEST'))).toBe(digest);
    expect(c.call('DEBUG', 'RELOAD', 'NOFLUSH')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    expect(status(c.call('DEBUG', 'DIGEST'))).toBe(digest);
  });

  it('rejects unknown options and NOSAVE (the file cannot be read from here)', () => {
    const c = createHarness().client();
    c.call('SET', 'k', 'v');
    expect(c.call('DEBUG', 'RELOAD', 'FAST')).toEqual(new ErrorReply('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.'));
    expect(c.call('DEBUG', 'RELOAD', 'NOSAVE')).toBeInstanceOf(ErrorReply);
    expect(c.call('GET', 'k')).toBe('v');
  });

  it('saves through the runtime first, as SAVE does; a failed save answers a bare ERR and loads nothing', () => {
    const ok = persistentCore();
    const c = ok.client();
    c.call('SET', 'k', 'v');
    expect(c.call('DEBUG', 'RELOAD')).toEqual(OK_REPLY);
    expect(ok.saves).toHaveLength(1);
    const failing = persistentCore({ failSave: true });
    const d = failing.client();
    d.call('SET', 'k', 'v');
    const before = failing.core.dbs[0].dict.get('k');
    expect(d.call('DEBUG', 'RELOAD')).toEqual(new ErrorReply('ERR'));
    expect(failing.core.dbs[0].dict.get('k')).toBe(before);
  });
});

describe('DEBUG PROTOCOL', () => {
  it('RESP2: each type as RESP2 carries it; push is refused', () => {
    const c = createHarness().client();
    const p = (t: string) => c.call('DEBUG', 'PROTOCOL', t);
    expect(p('string')).toBe('Hello World');
    expect(p('integer')).toBe(12345);
    expect(p('double')).toBe('3.141');
    expect(p('bignum')).toBe('1234567999999999999999999999999999999');
    expect(p('null')).toBeNull();
    expect(p('array')).toEqual([0, 1, 2]);
    expect(p('set')).toEqual([0, 1, 2]);
    expect(p('map')).toEqual([0, 0, 1, 1, 2, 0]);
    expect(p('attrib')).toBe('Some real reply following the attribute');
    expect(p('push')).toEqual(new ErrorReply('ERR RESP2 is not supported by this command'));
    expect(p('true')).toBe(1);
    expect(p('false')).toBe(0);
    expect(p('verbatim')).toBe('This is a verbatim\nstring');
    expect(p('other')).toEqual(
      new ErrorReply(
        'ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false',
      ),
    );
  });

  it('RESP3: doubles, big numbers, maps, sets, booleans, verbatim text, attributes and a push before its reply', () => {
    const c = createHarness().client();
    c.call('HELLO', '3');
    const p = (t: string) => c.call('DEBUG', 'PROTOCOL', t);
    expect(p('double')).toEqual(new DoubleReply(3.141));
    expect(p('bignum')).toBe(1234567999999999999999999999999999999n);
    expect(p('set')).toEqual(new SetReply([0, 1, 2]));
    expect(p('map')).toEqual(new MapReply([[0, new BoolReply(false)], [1, new BoolReply(true)], [2, new BoolReply(false)]]));
    expect(p('true')).toEqual(new BoolReply(true));
    expect(p('verbatim')).toEqual(new VerbatimReply('txt', 'This is a verbatim\nstring'));
    // The parser skips the attribute and returns the value it annotates.
    expect(p('attrib')).toBe('Some real reply following the attribute');
    expect(p('push')).toEqual(new PushReply(['server-cpu-usage', 42]));
    expect(c.next()).toBe('Some real reply following the push reply');
  });
});

describe('DEBUG ERROR, LOG, REPLICATE and CHANGE-REPL-ID', () => {
  it('REPLICATE feeds its arguments to the replication stream, in the stream\'s database, without running them', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'a', '1');
    c.call('SELECT', '2');
    expect(c.call('DEBUG', 'REPLICATE', 'SET', 'b', '2')).toEqual(OK_REPLY);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SET', 'a', '1'], ['SET', 'b', '2']]);
    c.call('SELECT', '0');
    expect(c.call('EXISTS', 'b')).toBe(0);
    expect(c.call('DEBUG', 'REPLICATE')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'REPLICATE'. Try DEBUG HELP."),
    );
  });

  it('ERROR replies with the text as given, each CR and LF made a space', () => {
    const c = createHarness().client();
    expect(c.call('DEBUG', 'ERROR', 'MYCODE my message')).toEqual(new ErrorReply('MYCODE my message'));
    expect(c.call('DEBUG', 'ERROR', 'a\r\nb')).toEqual(new ErrorReply('a  b'));
  });

  it('LOG writes the message to the server log as a warning', () => {
    const h = createHarness();
    expect(h.client().call('DEBUG', 'LOG', 'hello there')).toEqual(OK_REPLY);
    expect(h.logs).toContain('warning: DEBUG LOG: hello there');
  });

  it('CHANGE-REPL-ID picks a new replication id and clears the secondary one', () => {
    const h = createHarness();
    const repl = h.replication;
    repl.shiftReplicationId();
    const old = repl.replid;
    expect(h.client().call('DEBUG', 'CHANGE-REPL-ID')).toEqual(OK_REPLY);
    expect(repl.replid).toMatch(/^[0-9a-f]{40}$/);
    expect(repl.replid).not.toBe(old);
    expect(repl.replid2).toBe(ZEROS);
    expect(repl.secondReplOffset).toBe(-1);
    expect(h.logs).toContain('warning: Changing replication IDs after receiving DEBUG change-repl-id');
  });
});

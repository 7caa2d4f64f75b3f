import { describe, expect, it } from 'vitest';
import { Config } from '../engine/config.js';
import type { AppendOnlyHost, SnapshotPersistence } from '../engine/server-core.js';
import { writeRdb } from '../rdb/rdb-writer.js';
import { quicklistPackedThreshold, replyBufferSettings } from './debug.js';
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

/**
 * A core whose host has snapshot persistence: counts saves and fails them on demand. With `file`, saves write
 * an RDB into `disk.file`, which readSnapshot returns (null: no file), as the Node server's files do.
 */
function persistentCore(opts: { failSave?: boolean; file?: boolean; appendOnly?: AppendOnlyHost } = {}) {
  const saves: number[] = [];
  const disk: { file: Uint8Array | null } = { file: null };
  const persistence: SnapshotPersistence = {
    save: () => {
      saves.push(1);
      if (opts.file && !opts.failSave) disk.file = concat([...writeRdb({ dbs: core.dbs, now: 1_700_000_000_000 })]);
      return !opts.failSave;
    },
    backgroundSave: () => true,
    scheduleBackgroundSave: () => {},
    saving: () => false,
    abortBackgroundSave: () => {},
    lastSave: () => 0,
    ...(opts.file ? { readSnapshot: () => disk.file } : {}),
  };
  const { core } = createServerCore({
    host: { now: () => 1_700_000_000_000, log: () => {}, persistence, appendOnly: opts.appendOnly },
    config: new Config({ 'enable-debug-command': 'yes' }),
  });
  return { core, saves, disk, client: () => new TestClient(core) };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
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

describe('DEBUG RELOAD with function libraries', () => {
  const LIB1 = "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)";
  const LIB2 = "#!lua name=lib2\nredis.register_function('f2', function() return 2 end)";

  it('round-trips the libraries; NOFLUSH fails on a library that exists, NOFLUSH MERGE lets the RDB win', () => {
    const c = createHarness().client();
    c.call('FUNCTION', 'LOAD', LIB1);
    expect(c.call('DEBUG', 'RELOAD')).toEqual(OK_REPLY);
    expect(c.call('FCALL', 'f1', '0')).toBe(1);
    expect(c.call('DEBUG', 'RELOAD', 'NOFLUSH')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    expect(c.call('FCALL', 'f1', '0')).toBe(1);
    expect(c.call('DEBUG', 'RELOAD', 'NOFLUSH', 'MERGE')).toEqual(OK_REPLY);
    expect(c.call('FCALL', 'f1', '0')).toBe(1);
  });
});

describe('DEBUG RELOAD through the runtime\'s snapshot file', () => {
  it('NOSAVE replaces the dataset with the file as saved; NOSAVE NOFLUSH MERGE adds it to the dataset', () => {
    const p = persistentCore({ file: true });
    const c = p.client();
    c.call('SET', 'saved', '1', 'PX', '50000');
    expect(c.call('SAVE')).toEqual(OK_REPLY);
    c.call('SET', 'saved', 'changed');
    c.call('SET', 'unsaved', '1');
    expect(c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toEqual(OK_REPLY);
    expect(c.call('GET', 'saved')).toBe('1');
    expect(c.call('PTTL', 'saved')).toBe(50000);
    expect(c.call('GET', 'unsaved')).toBe('1');
    expect(c.call('DEBUG', 'RELOAD', 'NOSAVE')).toEqual(OK_REPLY);
    expect(c.call('EXISTS', 'unsaved')).toBe(0);
    expect(p.saves).toHaveLength(1);
  });

  it('reads back the file it has just saved', () => {
    const p = persistentCore({ file: true });
    const c = p.client();
    c.call('RPUSH', 'l', 'a', 'b');
    expect(c.call('DEBUG', 'RELOAD')).toEqual(OK_REPLY);
    expect(p.disk.file).not.toBeNull();
    p.disk.file = null;
    c.call('SET', 'k', 'v');
    // The file vanished after the save: the load fails, as Redis's rdbLoad on a missing file.
    p.core.host.persistence!.save = () => true;
    expect(c.call('DEBUG', 'RELOAD')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
  });

  it('NOSAVE without a file fails after emptying the dataset (as Redis), or with NOFLUSH leaves it', () => {
    const p = persistentCore({ file: true });
    const c = p.client();
    c.call('SET', 'k', 'v');
    expect(c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    expect(c.call('DBSIZE')).toBe(1);
    expect(c.call('DEBUG', 'RELOAD', 'NOSAVE')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    expect(c.call('DBSIZE')).toBe(0);
  });
});

describe('DEBUG LOADAOF', () => {
  it('is refused where the runtime keeps no append-only file', () => {
    const c = createHarness().client();
    expect(c.call('DEBUG', 'LOADAOF')).toEqual(
      new ErrorReply('ERR DEBUG LOADAOF is not supported: this server keeps no append-only file'),
    );
    expect(c.call('DEBUG', 'LOADAOF', 'x')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'LOADAOF'. Try DEBUG HELP."),
    );
  });

  it('asks the runtime to reload; the reload is no change to save or propagate and invalidates WATCH', () => {
    let reloads = 0;
    let failure: string | null = null;
    const appendOnly: AppendOnlyHost = {
      backgroundRewrite: () => ({ status: 'ok' }),
      rewriting: () => false,
      prepareShutdown: () => true,
      reloadFromDisk: () => {
        reloads++;
        return failure;
      },
    };
    const p = persistentCore({ appendOnly });
    const c = p.client();
    const w = p.client();
    c.call('SET', 'k', 'v');
    w.call('WATCH', 'k');
    expect(p.core.dirty).toBeGreaterThan(0);
    expect(c.call('DEBUG', 'LOADAOF')).toEqual(OK_REPLY);
    expect(reloads).toBe(1);
    expect(p.core.dirty).toBe(0);
    w.call('MULTI');
    expect(w.call('EXEC')).toEqual(NULL_ARRAY);
    failure = 'Error trying to load the AOF files: bad file';
    expect(c.call('DEBUG', 'LOADAOF')).toEqual(new ErrorReply('ERR Error trying to load the AOF files: bad file'));
  });
});

describe('DEBUG REPLYBUFFER', () => {
  it('sets the peak reset time (ms, NEVER, RESET) and resizing, validated as Redis does', () => {
    const h = createHarness();
    const c = h.client();
    const settings = () => replyBufferSettings(h.core);
    expect(settings()).toEqual({ peakResetTimeMs: 5000, resizing: true });
    expect(c.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', '100')).toEqual(OK_REPLY);
    expect(settings().peakResetTimeMs).toBe(100);
    expect(c.call('DEBUG', 'REPLYBUFFER', 'peak-reset-time', 'never')).toEqual(OK_REPLY);
    expect(settings().peakResetTimeMs).toBe(-1);
    expect(c.call('DEBUG', 'REPLYBUFFER', 'peak-reset-time', 'reset')).toEqual(OK_REPLY);
    expect(settings().peakResetTimeMs).toBe(5000);
    expect(c.call('DEBUG', 'REPLYBUFFER', 'peak-reset-time', '1.5')).toEqual(
      new ErrorReply('ERR value is not an integer or out of range'),
    );
    expect(c.call('DEBUG', 'REPLYBUFFER', 'resizing', 'x')).toEqual(OK_REPLY);
    expect(settings().resizing).toBe(false);
    expect(c.call('DEBUG', 'REPLYBUFFER', 'resizing', '1')).toEqual(OK_REPLY);
    expect(settings().resizing).toBe(true);
    const unknown = new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP.");
    expect(c.call('DEBUG', 'REPLYBUFFER', 'foo', '1')).toEqual(unknown);
    expect(c.call('DEBUG', 'REPLYBUFFER', 'resizing')).toEqual(unknown);
  });
});

describe('DEBUG QUICKLIST-PACKED-THRESHOLD', () => {
  it('takes a memory size as Redis\'s memtoull reads it, up to 4GB - 1MB; 0 restores the 1GB default', () => {
    const h = createHarness();
    const c = h.client();
    const set = (v: string) => c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', v);
    const refused = new ErrorReply('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
    expect(quicklistPackedThreshold(h.core)).toBe(2 ** 30);
    expect(set('1b')).toEqual(OK_REPLY);
    expect(quicklistPackedThreshold(h.core)).toBe(1);
    expect(set('1KB')).toEqual(OK_REPLY);
    expect(quicklistPackedThreshold(h.core)).toBe(1024);
    expect(set('1k')).toEqual(OK_REPLY);
    expect(quicklistPackedThreshold(h.core)).toBe(1000);
    expect(set('4095mb')).toEqual(OK_REPLY);
    expect(quicklistPackedThreshold(h.core)).toBe(2 ** 32 - 2 ** 20);
    expect(set('0')).toEqual(OK_REPLY);
    expect(quicklistPackedThreshold(h.core)).toBe(2 ** 30);
    expect(set('')).toEqual(OK_REPLY);
    for (const bad of ['4gb', '4294967295', '-1', '1.5k', 'abc', '99999999999999999999']) expect(set(bad)).toEqual(refused);
    expect(quicklistPackedThreshold(h.core)).toBe(2 ** 30);
    // List commands are unaffected: elements above the threshold behave as any other.
    expect(set('1b')).toEqual(OK_REPLY);
    c.call('RPUSH', 'l', 'xxxxxxxxxx', '9');
    c.call('LINSERT', 'l', 'BEFORE', '9', 'yy');
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['xxxxxxxxxx', 'yy', '9']);
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

describe('DEBUG PAUSE-CRON and SET-DISABLE-DENY-SCRIPTS', () => {
  it('PAUSE-CRON stops the periodic work (here: active expiry) until it is cleared', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'k', 'v', 'PX', '10');
    h.clock.advance(100);
    expect(c.call('DEBUG', 'PAUSE-CRON', '1')).toEqual(OK_REPLY);
    for (let i = 0; i < 5; i++) h.core.cron();
    expect(h.core.dbs[0].dict.has('k')).toBe(true);
    expect(c.call('DEBUG', 'PAUSE-CRON', '0')).toEqual(OK_REPLY);
    for (let i = 0; i < 5 && h.core.dbs[0].dict.has('k'); i++) h.core.cron();
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
  });

  it('SET-DISABLE-DENY-SCRIPTS lets a script call a noscript command, as Redis’s test suite uses it', () => {
    const c = createHarness().client();
    const call = () => c.call('EVAL', "return redis.call('client', 'id')", '0');
    expect((call() as { message: string }).message).toContain('This Redis command is not allowed from script');
    expect(c.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1')).toEqual(OK_REPLY);
    expect(typeof call()).toBe('number');
    expect(c.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0')).toEqual(OK_REPLY);
    expect((call() as { message: string }).message).toContain('This Redis command is not allowed from script');
  });
});

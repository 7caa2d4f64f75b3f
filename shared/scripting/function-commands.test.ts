import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { RdbReader } from '../rdb/rdb-reader.js';
import { writeRdb } from '../rdb/rdb-writer.js';
import { ErrorReply, SimpleString } from '../resp/reply.js';
import { dumpFunctions } from './function-commands.js';
import { crc64 } from '../rdb/crc64.js';
import { binaryToBytes } from '../bytes.js';

/** Appends the little-endian CRC-64 of a binary string, as a DUMP payload ends. */
function withChecksum(s: string): string {
  let crc = crc64(binaryToBytes(s));
  let out = s;
  for (let i = 0; i < 8; i++) {
    out += String.fromCharCode(Number(crc & 0xffn));
    crc >>= 8n;
  }
  return out;
}

const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;
const err = (text: string) => new ErrorReply(text);

function setup() {
  const h = createHarness();
  return { h, c: h.client() };
}

describe('FUNCTION LOAD', () => {
  it('loads a library whose functions get keys and args as parameters, found by any case', () => {
    const { c } = setup();
    expect(c.call('FUNCTION', 'LOAD', lib('mylib', "redis.register_function('f', function(keys, args) return {keys, args} end)"))).toBe('mylib');
    expect(c.call('FCALL', 'f', '2', 'a', 'b', 'c')).toEqual([['a', 'b'], ['c']]);
    expect(c.call('FCALL', 'F', '0')).toEqual([[], []]);
  });

  it('refuses bad metadata with Redis texts', () => {
    const { c } = setup();
    expect(c.call('FUNCTION', 'LOAD', 'return 1')).toEqual(err('ERR Missing library metadata'));
    expect(c.call('FUNCTION', 'LOAD', '#!lua name=x')).toEqual(err('ERR Invalid library metadata'));
    expect(c.call('FUNCTION', 'LOAD', '#!lua\nreturn 1')).toEqual(err('ERR Library name was not given'));
    expect(c.call('FUNCTION', 'LOAD', '#!lua name=my-lib\nreturn 1')).toEqual(
      err('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'),
    );
    expect(c.call('FUNCTION', 'LOAD', '#!js name=x\nreturn 1')).toEqual(err("ERR Engine 'js' not found"));
    expect(c.call('FUNCTION', 'LOAD', '#!lua name=a foo=b\nreturn 1')).toEqual(err('ERR Invalid metadata value given: foo=b'));
    expect(c.call('FUNCTION', 'LOAD', '#!lua name=a name=b\nreturn 1')).toEqual(
      err('ERR Invalid metadata value, name argument was given multiple times'),
    );
    expect(c.call('FUNCTION', 'LOAD', lib('a', 'local a = 1'))).toEqual(err('ERR No functions registered'));
    expect(c.call('FUNCTION', 'LOAD', 'foo', lib('a', 'local a = 1'))).toEqual(err('ERR Unknown option given: foo'));
    expect(c.call('FUNCTION', 'LOAD', 'replace')).toEqual(err('ERR Missing library metadata'));
  });

  it('reports compile errors and errors raised while the library loads', () => {
    const { c } = setup();
    expect(c.call('FUNCTION', 'LOAD', lib('a', 'local a = '))).toEqual(
      err("ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
    );
    expect(c.call('FUNCTION', 'LOAD', lib('a', "local s = string.format('a')"))).toEqual(
      err("ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'"),
    );
    expect(c.call('FUNCTION', 'LOAD', lib('a', "redis.call('set', 'x', 1)"))).toEqual(
      err("ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
    );
    expect(c.call('FUNCTION', 'LOAD', lib('a', 'x = 1'))).toEqual(
      err('ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table'),
    );
    expect(c.call('FUNCTION', 'LOAD', lib('a', 'redis.x = 1'))).toEqual(
      err('ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table'),
    );
  });

  it('validates redis.register_function arguments', () => {
    const { c } = setup();
    const load = (body: string) => c.call('FUNCTION', 'LOAD', lib('c', body));
    const reg = (text: string) => err(`ERR Error registering functions: ERR ${text}`);
    expect(load("redis.register_function('h', function() end)\nredis.register_function('h', function() end)")).toEqual(
      reg('Function already exists in the library'),
    );
    expect(load("redis.register_function('h-x', function() end)")).toEqual(
      reg('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'),
    );
    expect(load("redis.register_function('h')")).toEqual(
      reg('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).'),
    );
    expect(load('redis.register_function(1, 2, 3)')).toEqual(reg('wrong number of arguments to redis.register_function'));
    expect(load('redis.register_function({})')).toEqual(reg('redis.register_function must get a function name argument'));
    expect(load("redis.register_function('x', 2)")).toEqual(reg('second argument to redis.register_function must be a function'));
    expect(load('redis.register_function({}, 2)')).toEqual(reg('first argument to redis.register_function must be a string'));
    expect(load("redis.register_function({function_name='x', callback=function() end, flags={'bad'}})")).toEqual(reg('unknown flag given'));
    expect(load("redis.register_function({function_name='x', callback=function() end, foo=1})")).toEqual(
      reg('unknown argument given to redis.register_function'),
    );
    expect(load("redis.register_function({function_name='x'})")).toEqual(reg('redis.register_function must get a callback argument'));
    expect(load("redis.register_function({function_name='x', callback=1})")).toEqual(
      reg('callback argument given to redis.register_function must be a function'),
    );
    expect(load("redis.register_function({function_name='x', callback=function() end, flags=1})")).toEqual(
      reg('flags argument to redis.register_function must be a table representing function flags'),
    );
    expect(load("redis.register_function({function_name='x', callback=function() end, description={}})")).toEqual(
      reg('description argument given to redis.register_function must be a string'),
    );
    // Nothing of the failed loads stayed.
    expect(c.call('FUNCTION', 'LIST')).toEqual([]);
  });

  it('refuses an existing library unless REPLACE, and a function another library has', () => {
    const { c } = setup();
    const a = lib('a', "redis.register_function('h', function() return 1 end)");
    expect(c.call('FUNCTION', 'LOAD', a)).toBe('a');
    expect(c.call('FUNCTION', 'LOAD', a)).toEqual(err("ERR Library 'a' already exists"));
    expect(c.call('FUNCTION', 'LOAD', lib('b', "redis.register_function('H', function() end)"))).toEqual(err('ERR Function H already exists'));
    expect(c.call('FUNCTION', 'LOAD', 'REPLACE', lib('a', "redis.register_function('h', function() return 2 end)"))).toBe('a');
    expect(c.call('FCALL', 'h', '0')).toBe(2);
    // A failed replacement keeps the old library.
    expect(c.call('FUNCTION', 'LOAD', 'REPLACE', lib('a', 'error()'))).toBeInstanceOf(ErrorReply);
    expect(c.call('FCALL', 'h', '0')).toBe(2);
  });

  it('propagates LOAD, DELETE and FLUSH as received, and only successful ones', () => {
    const { h, c } = setup();
    const a = lib('a', "redis.register_function('h', function() return 1 end)");
    c.call('FUNCTION', 'LOAD', a);
    c.call('FUNCTION', 'LOAD', a);
    c.call('FUNCTION', 'DELETE', 'a');
    c.call('FUNCTION', 'DELETE', 'a');
    c.call('FUNCTION', 'FLUSH', 'ASYNC');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['FUNCTION', 'LOAD', a],
      ['FUNCTION', 'DELETE', 'a'],
      ['FUNCTION', 'FLUSH', 'ASYNC'],
    ]);
  });
});

describe('FCALL and FCALL_RO', () => {
  const code = lib(
    'k',
    [
      "redis.register_function('set', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
      "redis.register_function{function_name='get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
      "redis.register_function{function_name='bad', callback=function() x = 1 end, flags={'no-writes'}}",
      "redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}",
    ].join('\n'),
  );

  it('checks the function, then numkeys', () => {
    const { c } = setup();
    c.call('FUNCTION', 'LOAD', code);
    expect(c.call('FCALL', 'nosuch', 'x')).toEqual(err('ERR Function not found'));
    expect(c.call('FCALL', 'set', 'x')).toEqual(err('ERR Bad number of keys provided'));
    expect(c.call('FCALL', 'set', '3', 'a')).toEqual(err("ERR Number of keys can't be greater than number of args"));
    expect(c.call('FCALL', 'set', '-1')).toEqual(err("ERR Number of keys can't be negative"));
  });

  it('runs writes, propagating their effects and never FCALL itself', () => {
    const { h, c } = setup();
    c.call('FUNCTION', 'LOAD', code);
    h.propagated.length = 0;
    expect(c.call('FCALL', 'set', '1', 'k', 'v')).toEqual(new SimpleString('OK'));
    expect(c.call('FCALL_RO', 'get', '1', 'k')).toBe('v');
    expect(h.propagated).toEqual([['set', 'k', 'v']]);
  });

  it('refuses a write function under FCALL_RO and writes from a no-writes function', () => {
    const { c } = setup();
    c.call('FUNCTION', 'LOAD', code);
    expect(c.call('FCALL_RO', 'set', '1', 'k', 'v')).toEqual(err('ERR Can not execute a script with write flag using *_ro command.'));
    expect(c.call('FCALL', 'sneaky', '1', 'k')).toEqual(
      err('ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:5.'),
    );
    expect(c.call('FCALL', 'bad', '0')).toEqual(
      err('ERR user_function:4: Attempt to modify a readonly table script: bad, on @user_function:4.'),
    );
  });
});

describe('FUNCTION LIST, STATS, DELETE, FLUSH, KILL, HELP', () => {
  it('lists libraries with their functions, flags and (WITHCODE) code, filtered by LIBRARYNAME', () => {
    const { c } = setup();
    const a = lib('alpha', "redis.register_function{function_name='f', callback=function() end, description='desc', flags={'no-writes', 'allow-stale'}}");
    c.call('FUNCTION', 'LOAD', a);
    c.call('FUNCTION', 'LOAD', lib('beta', "redis.register_function('g', function() end)"));
    expect(c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'AL*', 'WITHCODE')).toEqual([
      [
        'library_name',
        'alpha',
        'engine',
        'LUA',
        'functions',
        [['name', 'f', 'description', 'desc', 'flags', [new SimpleString('no-writes'), new SimpleString('allow-stale')]]],
        'library_code',
        a,
      ],
    ]);
    expect(c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'beta')).toEqual([
      ['library_name', 'beta', 'engine', 'LUA', 'functions', [['name', 'g', 'description', null, 'flags', []]]],
    ]);
    expect(c.call('FUNCTION', 'LIST', 'foo')).toEqual(err('ERR Unknown argument foo'));
    expect(c.call('FUNCTION', 'LIST', 'LIBRARYNAME')).toEqual(err('ERR library name argument was not given'));
    expect(c.call('FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE')).toEqual(err('ERR Unknown argument WITHCODE'));
  });

  it('counts libraries and functions in FUNCTION STATS and INFO memory', () => {
    const { c } = setup();
    c.call('FUNCTION', 'LOAD', lib('a', "redis.register_function('f', function() end)\nredis.register_function('g', function() end)"));
    expect(c.call('FUNCTION', 'STATS')).toEqual(['running_script', null, 'engines', ['LUA', ['libraries_count', 1, 'functions_count', 2]]]);
    const info = c.call('INFO', 'memory') as string;
    expect(info).toContain('number_of_functions:2\r\n');
    expect(info).toContain('number_of_libraries:1\r\n');
  });

  it('deletes one library, flushes all, and answers KILL as SCRIPT KILL', () => {
    const { c } = setup();
    c.call('FUNCTION', 'LOAD', lib('a', "redis.register_function('f', function() return 1 end)"));
    c.call('FUNCTION', 'LOAD', lib('b', "redis.register_function('g', function() return 2 end)"));
    expect(c.call('FUNCTION', 'DELETE', 'A')).toEqual(err('ERR Library not found'));
    expect(c.call('FUNCTION', 'DELETE', 'a')).toEqual(new SimpleString('OK'));
    expect(c.call('FCALL', 'f', '0')).toEqual(err('ERR Function not found'));
    expect(c.call('FCALL', 'g', '0')).toBe(2);
    expect(c.call('FUNCTION', 'FLUSH', 'foo')).toEqual(err('ERR FUNCTION FLUSH only supports SYNC|ASYNC option'));
    expect(c.call('FUNCTION', 'FLUSH', 'SYNC', 'ASYNC')).toEqual(
      err("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."),
    );
    expect(c.call('FUNCTION', 'FLUSH')).toEqual(new SimpleString('OK'));
    expect(c.call('FUNCTION', 'LIST')).toEqual([]);
    expect(c.call('FUNCTION', 'KILL')).toEqual(err('NOTBUSY No scripts in execution right now.'));
    expect((c.call('FUNCTION', 'HELP') as SimpleString[])[1]).toEqual(new SimpleString('LOAD [REPLACE] <FUNCTION CODE>'));
  });

  it('keeps the libraries across FLUSHALL', () => {
    const { c } = setup();
    c.call('FUNCTION', 'LOAD', lib('a', "redis.register_function('f', function() return 1 end)"));
    c.call('FLUSHALL');
    expect(c.call('FCALL', 'f', '0')).toBe(1);
  });
});

describe('FUNCTION DUMP and RESTORE', () => {
  const a = lib('a', "redis.register_function('f', function() return 'a' end)");
  const b = lib('b', "redis.register_function('g', function() return 'b' end)");

  it('dumps the libraries in Redis format (FUNCTION2 records, RDB version, CRC-64)', () => {
    const { c } = setup();
    const code = '#!lua name=a\nredis.register_function("h", function() return 1 end)';
    c.call('FUNCTION', 'LOAD', code);
    // The payload stock Redis 7.0.15 gives for this library.
    expect(c.call('FUNCTION', 'DUMP')).toBe(`\xf5@B${code}\x0a\x00\xc7\xc9*\x1d\xb4v\x821`);
  });

  it('restores with APPEND (default), REPLACE and FLUSH policies', () => {
    const { h, c } = setup();
    c.call('FUNCTION', 'LOAD', a);
    const payload = c.call('FUNCTION', 'DUMP') as string;
    expect(c.call('FUNCTION', 'RESTORE', payload)).toEqual(err('ERR Library a already exists'));
    expect(c.call('FUNCTION', 'RESTORE', payload, 'REPLACE')).toEqual(new SimpleString('OK'));
    c.call('FUNCTION', 'LOAD', b);
    expect(c.call('FUNCTION', 'RESTORE', payload, 'FLUSH')).toEqual(new SimpleString('OK'));
    expect(c.call('FCALL', 'g', '0')).toEqual(err('ERR Function not found'));
    expect(c.call('FCALL', 'f', '0')).toBe('a');
    c.call('FUNCTION', 'FLUSH');
    expect(c.call('FUNCTION', 'RESTORE', payload)).toEqual(new SimpleString('OK'));
    expect(c.call('FCALL', 'f', '0')).toBe('a');
    expect(h.propagated).toContainEqual(['FUNCTION', 'RESTORE', payload, 'FLUSH']);
  });

  it('restores the FUNCTION records of 7.0 release candidates (name, engine, description, code)', () => {
    const { c } = setup();
    const body = "redis.register_function('old', function() return 'rc' end)";
    const str = (s: string) => String.fromCharCode(s.length) + s;
    const record = `\xf6${str('oldlib')}${str('LUA')}\x01${str('a description')}${str(body)}`;
    // RDB version 10, then the CRC-64.
    const payload = withChecksum(`${record}\x0a\x00`);
    expect(c.call('FUNCTION', 'RESTORE', payload)).toEqual(new SimpleString('OK'));
    expect(c.call('FCALL', 'old', '0')).toBe('rc');
    expect(c.call('FUNCTION', 'LIST', 'WITHCODE')).toEqual([
      ['library_name', 'oldlib', 'engine', 'LUA', 'functions', [['name', 'old', 'description', null, 'flags', []]], 'library_code', `#!LUA name=oldlib\n${body}`],
    ]);
  });

  it('refuses bad payloads and policies', () => {
    const { c } = setup();
    expect(c.call('FUNCTION', 'RESTORE', 'xx')).toEqual(err('ERR DUMP payload version or checksum are wrong'));
    expect(c.call('FUNCTION', 'RESTORE', 'xx', 'foo')).toEqual(
      err('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.'),
    );
    expect(c.call('FUNCTION', 'RESTORE', 'xx', 'flush', 'x')).toEqual(
      err("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."),
    );
    // A key's DUMP payload is not a function payload.
    c.call('SET', 'k', 'v');
    expect(c.call('FUNCTION', 'RESTORE', c.call('DUMP', 'k') as string)).toEqual(err('ERR given type is not a function'));
    // A function collision between a restored library and another library fails the whole restore.
    c.call('FUNCTION', 'LOAD', lib('other', "redis.register_function('f', function() end)"));
    expect(c.call('FUNCTION', 'RESTORE', dumpFunctions([a, b], true))).toEqual(err('ERR Function f already exists'));
    expect(c.call('FCALL', 'g', '0')).toEqual(err('ERR Function not found'));
  });
});

describe('functions in RDB files', () => {
  it('are written as FUNCTION2 records before the keys and loaded back into another core', () => {
    const { h, c } = setup();
    const a = lib('a', "redis.register_function('f', function() return 'a' end)");
    c.call('FUNCTION', 'LOAD', a);
    c.call('SET', 'k', 'v');
    const store = h.core.functionLibraries!;
    const events: string[] = [];
    const target = createHarness();
    const load = target.core.functionLibraries!.beginLoad();
    const reader = new RdbReader({
      onFunction: (code) => {
        events.push('function');
        expect(load.add(code)).toBeNull();
      },
      onKey: (_db, key) => events.push(`key ${key}`),
    });
    for (const chunk of writeRdb({ dbs: h.core.dbs, now: 0, functions: store.codes() })) reader.push(chunk);
    reader.end();
    load.commit();
    expect(events).toEqual(['function', 'key k']);
    expect(target.client().call('FCALL', 'f', '0')).toBe('a');
  });

  it('fail the load of a file with a library twice', () => {
    const h = createHarness();
    const a = lib('a', "redis.register_function('f', function() end)");
    const load = h.core.functionLibraries!.beginLoad();
    expect(load.add(a)).toBeNull();
    expect(load.add(a)).toBe("Library 'a' already exists");
  });
});

describe('functions and replication between in-memory cores', () => {
  it('a replica gets the libraries by full sync (replacing its own) and by the stream', async () => {
    const net = new MemoryNetwork();
    const master = createHarness();
    net.register('master:6379', master.core);
    const m = master.client();
    m.call('FUNCTION', 'LOAD', lib('a', "redis.register_function{function_name='f', callback=function() return 'a' end, flags={'no-writes'}}"));
    const replica = createHarness({ connector: net.connector });
    const r = replica.client();
    // Its own library goes with the rest of its dataset.
    r.call('FUNCTION', 'LOAD', lib('mine', "redis.register_function('mine', function() end)"));
    r.call('REPLICAOF', 'master', '6379');
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 200 && !check(); i++) {
        master.core.cron();
        replica.core.cron();
        await settle();
      }
      expect(check()).toBe(true);
    };
    await until(() => replica.core.masterLinkUp);
    expect(r.call('FCALL_RO', 'f', '0')).toBe('a');
    expect(r.call('FCALL', 'mine', '0')).toEqual(err('ERR Function not found'));
    m.call('FUNCTION', 'LOAD', lib('b', "redis.register_function{function_name='g', callback=function() return 'b' end, flags={'no-writes'}}"));
    await until(() => replica.replication.offset === master.replication.offset);
    expect(r.call('FCALL_RO', 'g', '0')).toBe('b');
    expect(r.call('FUNCTION', 'LOAD', lib('c', "redis.register_function('h', function() end)"))).toEqual(
      err("READONLY You can't write against a read only replica."),
    );
  });
});

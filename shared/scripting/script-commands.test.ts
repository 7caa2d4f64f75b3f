import { describe, expect, it } from 'vitest';
import { createHarness, errorReply, OK_REPLY } from '../../test/helpers/core-harness.js';
import { BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, SetReply, SimpleString } from '../resp/reply.js';
import { sha1Hex } from '../sha1.js';
import { setDenyScriptsDisabled } from './deny-scripts.js';
import { evalCommandFlags, KILL_AFTER_MS } from './script-commands.js';
import { fcallCommandFlags } from './function-commands.js';

describe('EVAL replication: effects only', () => {
  it('one write propagates as the command itself, never as EVAL', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", '1', 'k', 'v')).toEqual(OK_REPLY);
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['SET', 'k', 'v'],
    ]);
  });

  it('several writes are wrapped in MULTI/EXEC; reads and refused writes propagate nothing', () => {
    const h = createHarness();
    const c = h.client();
    c.call('EVAL', "redis.call('SET', 'a', '1') redis.call('GET', 'a') redis.call('INCR', 'a') redis.pcall('LPUSH', 'a', 'x') return 1", '0');
    expect(h.propagated).toEqual([['SELECT', '0'], ['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['EXEC']]);
    h.propagated.length = 0;
    c.call('EVAL', "return redis.call('GET', 'a')", '0');
    expect(h.propagated).toEqual([]);
  });

  it('commands that rewrite their propagated form keep doing so inside scripts', () => {
    const h = createHarness();
    const c = h.client();
    c.call('EVAL', "redis.call('SET', 'k', 'v', 'EX', 100) redis.call('INCRBYFLOAT', 'f', '1.5') return 1", '0');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['MULTI'],
      ['SET', 'k', 'v', 'PXAT', String(h.clock.now + 100_000)],
      ['SET', 'f', '1.5', 'KEEPTTL'],
      ['EXEC'],
    ]);
  });

  it("the script's SELECT is propagated for its writes and does not change the caller's database", () => {
    const h = createHarness();
    const c = h.client();
    c.call('EVAL', "redis.call('SELECT', 2) redis.call('SET', 'x', '1') redis.call('SELECT', 0) redis.call('SET', 'y', '1') return 1", '0');
    expect(h.propagated).toEqual([['SELECT', '2'], ['MULTI'], ['SET', 'x', '1'], ['SELECT', '0'], ['SET', 'y', '1'], ['EXEC']]);
    c.call('SELECT', '3');
    c.call('EVAL', "redis.call('SELECT', 2) return redis.call('GET', 'x')", '0');
    expect(c.call('EVAL', "return redis.call('GET', 'x')", '0')).toBe(null);
    c.call('SET', 'x', 'in3');
    expect(c.call('EVAL', "return redis.call('GET', 'x')", '0')).toBe('in3');
  });

  it('redis.set_repl(REPL_NONE) keeps the following writes off the stream until REPL_ALL', () => {
    const h = createHarness();
    const c = h.client();
    c.call(
      'EVAL',
      "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'quiet', '1') redis.set_repl(redis.REPL_ALL) redis.call('SET', 'loud', '1') return 1",
      '0',
    );
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['SET', 'loud', '1'],
    ]);
    expect(c.call('GET', 'quiet')).toBe('1');
  });

  it('EVAL inside MULTI: the writes of the whole transaction go in one MULTI/EXEC', () => {
    const h = createHarness();
    const c = h.client();
    c.call('MULTI');
    c.call('EVAL', "return redis.call('INCR', 'n')", '0');
    c.call('SET', 'p', 'q');
    expect(c.call('EXEC')).toEqual([1, OK_REPLY]);
    expect(h.propagated).toEqual([['SELECT', '0'], ['MULTI'], ['INCR', 'n'], ['SET', 'p', 'q'], ['EXEC']]);
  });

  it('a key the script finds expired is deleted and its DEL propagated', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'old', 'v', 'PX', '10');
    h.clock.advance(20);
    h.propagated.length = 0;
    expect(c.call('EVAL', "return redis.call('GET', 'old')", '0')).toBe(null);
    expect(h.propagated).toEqual([['DEL', 'old']]);
  });
});

describe('EVALSHA and SCRIPT', () => {
  it('SCRIPT LOAD returns the SHA1 of the body; EVALSHA runs it in any case; NOSCRIPT otherwise', () => {
    const h = createHarness();
    const c = h.client();
    const body = 'return ARGV[1]';
    const sha = sha1Hex(body);
    expect(c.call('SCRIPT', 'LOAD', body)).toBe(sha);
    expect(c.call('EVALSHA', sha, '0', 'x')).toBe('x');
    expect(c.call('EVALSHA', sha.toUpperCase(), '0', 'y')).toBe('y');
    expect(c.call('SCRIPT', 'EXISTS', sha, sha.toUpperCase(), 'f'.repeat(40))).toEqual([1, 1, 0]);
    expect(c.call('EVALSHA', 'f'.repeat(40), '0')).toEqual(errorReply('NOSCRIPT No matching script. Please use EVAL.'));
    expect(c.call('EVALSHA', 'short', '0')).toEqual(errorReply('NOSCRIPT No matching script. Please use EVAL.'));
    expect(c.call('SCRIPT', 'FLUSH')).toEqual(OK_REPLY);
    expect(c.call('SCRIPT', 'EXISTS', sha)).toEqual([0]);
    expect(c.call('EVALSHA', sha, '0')).toEqual(errorReply('NOSCRIPT No matching script. Please use EVAL.'));
  });

  it('EVAL caches the script for EVALSHA; EVALSHA propagates effects too', () => {
    const h = createHarness();
    const c = h.client();
    const body = "return redis.call('INCR', KEYS[1])";
    expect(c.call('EVAL', body, '1', 'n')).toBe(1);
    expect(c.call('EVALSHA', sha1Hex(body), '1', 'n')).toBe(2);
    expect(h.propagated).toEqual([['SELECT', '0'], ['INCR', 'n'], ['INCR', 'n']]);
  });

  it('SCRIPT KILL has nothing to kill, SCRIPT FLUSH options', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('SCRIPT', 'KILL')).toEqual(errorReply('NOTBUSY No scripts in execution right now.'));
    expect(c.call('SCRIPT', 'FLUSH', 'ASYNC')).toEqual(OK_REPLY);
    expect(c.call('SCRIPT', 'FLUSH', 'sync')).toEqual(OK_REPLY);
    expect(c.call('SCRIPT', 'FLUSH', 'later')).toEqual(errorReply('ERR SCRIPT FLUSH only support SYNC|ASYNC option'));
    expect((c.call('SCRIPT', 'HELP') as SimpleString[])[0]).toEqual(
      new SimpleString('SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'),
    );
  });

  it('math.random continues its sequence across SCRIPT FLUSH, as Redis keeps one generator per process', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('EVAL', 'return tostring(math.random())', '0')).toBe('0.39646477363839');
    c.call('SCRIPT', 'FLUSH');
    expect(c.call('EVAL', 'return tostring(math.random())', '0')).not.toBe('0.39646477363839');
  });

  it('COMMAND GETKEYS-style key positions: the numkeys arguments after it', () => {
    const h = createHarness();
    const spec = h.core.commands.get('eval')!;
    expect(spec.getKeys!(['EVAL', 'return 1', '2', 'a', 'b', 'c'])).toEqual([3, 4]);
    expect(spec.getKeys!(['EVAL', 'return 1', 'x'])).toEqual([]);
    expect(spec.getKeys!(['EVAL', 'return 1', '5', 'a'])).toEqual([]);
  });
});

describe('commands inside scripts', () => {
  it('blocking commands answer at once; XREAD BLOCK is refused as in Redis', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('EVAL', "return redis.call('BLMPOP', 0, 1, 'l', 'LEFT')", '0')).toBe(null);
    expect(c.call('EVAL', "return redis.pcall('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$')", '0')).toEqual(
      errorReply('ERR XREAD command is not allowed with BLOCK option from scripts'),
    );
    expect(c.call('EVAL', "return redis.pcall('BLPOP', 'l', 0)", '0')).toEqual(errorReply('ERR This Redis command is not allowed from script'));
  });

  it('read-only scripts refuse writes and may_replicate commands', () => {
    const h = createHarness();
    const c = h.client();
    const refused = errorReply('ERR Write commands are not allowed from read-only scripts.');
    expect(c.call('EVAL_RO', "return redis.pcall('SET', 'k', 'v')", '0')).toEqual(refused);
    expect(c.call('EVAL', "#!lua flags=no-writes\nreturn redis.pcall('DEL', 'k')", '0')).toEqual(refused);
    expect(c.call('EVAL_RO', "#!lua\nreturn 1", '0')).toEqual(errorReply('ERR Can not execute a script with write flag using *_ro command.'));
    expect(c.call('EVAL_RO', "return redis.pcall('PUBLISH', 'c', 'm')", '0')).toEqual(refused);
    expect(h.propagated).toEqual([]);
  });

  it('a read-only replica refuses writes in scripts and write-flagged scripts, and runs no-writes scripts', () => {
    const h = createHarness();
    const c = h.client();
    h.core.role = 'replica';
    h.core.masterLinkUp = true;
    expect(c.call('EVAL', "return redis.pcall('SET', 'k', 'v')", '0')).toEqual(
      errorReply("READONLY You can't write against a read only replica."),
    );
    expect(c.call('EVAL', "#!lua\nreturn 1", '0')).toEqual(errorReply("READONLY You can't write against a read only replica."));
    expect(c.call('EVAL', "#!lua flags=no-writes\nreturn redis.call('EXISTS', 'k')", '0')).toBe(0);
  });

  it('a stale replica refuses scripts unless allow-stale, and stale-refused commands inside them', () => {
    const h = createHarness({ config: { 'replica-serve-stale-data': 'no' } });
    const c = h.client();
    h.core.role = 'replica';
    h.core.masterLinkUp = false;
    const masterdown = errorReply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    expect(c.call('EVAL', 'return 1', '0')).toEqual(masterdown);
    expect(c.call('EVAL', '#!lua flags=no-writes\nreturn 1', '0')).toEqual(masterdown);
    expect(c.call('EVAL', '#!lua flags=no-writes,allow-stale\nreturn 1', '0')).toBe(1);
    expect(c.call('EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.pcall('GET', 'k')", '0')).toEqual(
      errorReply('ERR Can not execute the command on a stale replica'),
    );
  });

  it('DEBUG SET-DISABLE-DENY-SCRIPTS lets scripts call noscript commands', () => {
    const h = createHarness();
    const c = h.client();
    const body = "return redis.call('debug', 'protocol', 'integer')";
    expect(c.call('EVAL', body, '0')).toEqual(
      errorReply(`ERR This Redis command is not allowed from script script: ${sha1Hex(body)}, on @user_script:1.`),
    );
    setDenyScriptsDisabled(h.core, true);
    expect(c.call('EVAL', body, '0')).toBe(12345);
    setDenyScriptsDisabled(h.core, false);
    expect(c.call('EVAL', body, '0')).toBeInstanceOf(ErrorReply);
  });

  it('time stands still for a script: a key does not expire while it runs (DEBUG SLEEP inside)', () => {
    const h = createHarness();
    Object.assign(h.core.host, { sleep: (ms: number) => h.clock.advance(ms) });
    setDenyScriptsDisabled(h.core, true);
    const c = h.client();
    const body = "redis.call('SET', 'key', 'value', 'PX', 1) redis.call('DEBUG', 'SLEEP', 0.01) return redis.call('EXISTS', 'key')";
    expect(c.call('EVAL', body, '0')).toBe(1);
    expect(c.call('EXISTS', 'key')).toBe(0);
  });

  it('redis.acl_check_cmd with too few arguments for the key finder answers false instead of failing', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'bob', 'on', 'nopass', '+@all', '~x*');
    c.call('AUTH', 'bob', 'any');
    expect(c.call('EVAL', "return redis.acl_check_cmd('set')", '0')).toBe(null);
    expect(c.call('EVAL', "return redis.acl_check_cmd('get', 'xy')", '0')).toBe(1);
    expect(c.call('EVAL', "return redis.acl_check_cmd('get', 'yy')", '0')).toBe(null);
  });

  it('MONITOR shows EVAL, then the commands the script ran from the lua client', () => {
    const h = createHarness();
    const m = h.client();
    const c = h.client();
    m.call('MONITOR');
    c.call('EVAL', "return redis.call('SET', 'k', 'v')", '0');
    const lines: string[] = [];
    for (let r = m.next(); r !== undefined; r = m.next()) lines.push((r as SimpleString).value.replace(/^[\d.]+ /, ''));
    expect(lines).toEqual(['[0 127.0.0.1:50000] "EVAL" "return redis.call(\'SET\', \'k\', \'v\')" "0"', '[0 lua] "SET" "k" "v"']);
  });

  it('WATCHed keys a script writes make EXEC fail', () => {
    const h = createHarness();
    const a = h.client();
    const b = h.client();
    a.call('WATCH', 'w');
    b.call('EVAL', "return redis.call('SET', 'w', '1')", '0');
    a.call('MULTI');
    a.call('PING');
    expect(a.call('EXEC')).toEqual(new NullArray());
  });
});

describe('RESP3', () => {
  it('a RESP3 caller gets maps, sets, doubles, booleans and nulls from a script in RESP3 mode', () => {
    const h = createHarness();
    const c = h.client();
    c.call('HELLO', '3');
    c.call('HSET', 'h', 'f', 'v');
    c.call('SADD', 's', 'm');
    c.call('ZADD', 'z', '1.5', 'x');
    expect(c.call('EVAL', "redis.setresp(3) return redis.call('HGETALL', 'h')", '0')).toEqual(new MapReply([['f', 'v']]));
    expect(c.call('EVAL', "redis.setresp(3) return redis.call('SMEMBERS', 's')", '0')).toEqual(new SetReply(['m']));
    expect(c.call('EVAL', "redis.setresp(3) return redis.call('ZSCORE', 'z', 'x')", '0')).toEqual(new DoubleReply(1.5));
    expect(c.call('EVAL', 'redis.setresp(3) return true', '0')).toEqual(new BoolReply(true));
    expect(c.call('EVAL', 'return true', '0')).toBe(1);
    expect(c.call('EVAL', 'return false', '0')).toBe(null);
    expect(c.call('EVAL', "redis.setresp(3) return {redis.call('GET', 'nosuch') == nil}", '0')).toEqual([new BoolReply(true)]);
  });
});

describe('RESP3 big numbers', () => {
  it('a big number reply reaches Lua as {big_number = digits} (RESP3 scripts) and goes back to the caller', () => {
    const h = createHarness();
    setDenyScriptsDisabled(h.core, true);
    const c = h.client();
    const digits = '1234567999999999999999999999999999999';
    expect(c.call('EVAL', "redis.setresp(3) local r = redis.call('debug', 'protocol', 'bignum') return {type(r), r.big_number}", '0')).toEqual([
      'table',
      digits,
    ]);
    expect(c.call('EVAL', "redis.setresp(2) local r = redis.call('debug', 'protocol', 'bignum') return {type(r), r}", '0')).toEqual(['string', digits]);
    expect(c.call('EVAL', "redis.setresp(3) return redis.call('debug', 'protocol', 'bignum')", '0')).toBe(digits);
  });
});

describe('command flags of a call (for CLIENT PAUSE, OOM and replica checks)', () => {
  const flagsOf = (h: ReturnType<typeof createHarness>, argv: string[]) => {
    const spec = h.core.commands.get(argv[0].toLowerCase())!;
    const fn = argv[0].toLowerCase().startsWith('fcall') ? fcallCommandFlags : evalCommandFlags;
    return fn(h.core, argv, spec.flags).filter((f) => ['write', 'denyoom', 'stale', 'may_replicate', 'readonly'].includes(f)).sort();
  };

  it('scripts without a shebang keep the command flags; declared flags replace write, denyoom, stale, may_replicate', () => {
    const h = createHarness();
    const c = h.client();
    expect(flagsOf(h, ['EVAL', 'return 1', '0'])).toEqual(['may_replicate', 'stale']);
    expect(flagsOf(h, ['EVAL_RO', 'return 1', '0'])).toEqual(['readonly', 'stale']);
    expect(flagsOf(h, ['EVAL', '#!lua\nreturn 1', '0'])).toEqual(['denyoom', 'write']);
    expect(flagsOf(h, ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'])).toEqual([]);
    expect(flagsOf(h, ['EVAL', '#!lua flags=allow-oom,allow-stale\nreturn 1', '0'])).toEqual(['stale', 'write']);
    expect(flagsOf(h, ['EVAL', '#!lua flags=bogus\nreturn 1', '0'])).toEqual(['may_replicate', 'stale']);
    const sha = c.call('SCRIPT', 'LOAD', '#!lua flags=no-writes\nreturn 2') as string;
    expect(flagsOf(h, ['EVALSHA', sha.toUpperCase(), '0'])).toEqual([]);
    expect(flagsOf(h, ['EVALSHA', 'f'.repeat(40), '0'])).toEqual(['may_replicate', 'stale']);
    c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}\nredis.register_function('rw', function() return 1 end)");
    expect(flagsOf(h, ['FCALL', 'ro', '0'])).toEqual([]);
    expect(flagsOf(h, ['FCALL', 'rw', '0'])).toEqual(['denyoom', 'write']);
    expect(flagsOf(h, ['FCALL', 'nosuch', '0'])).toEqual(['may_replicate', 'stale']);
    expect(flagsOf(h, ['FCALL_RO', 'nosuch', '0'])).toEqual(['readonly', 'stale']);
  });
});

describe('long scripts', () => {
  it('a script that has not written is stopped once it ran past busy-reply-threshold and KILL_AFTER_MS, with the SCRIPT KILL error', () => {
    const h = createHarness({ config: { 'busy-reply-threshold': '50' } });
    // Each look at the clock (every 100000 Lua instructions) is a second later.
    let t = 0;
    Object.assign(h.core.host, { micros: () => (t += 1_000_000) });
    const c = h.client();
    const r = c.call('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
    expect(r).toEqual(
      errorReply(`ERR Script killed by user with SCRIPT KILL... script: ${sha1Hex('local i = 0 while true do i = i + 1 end')}, on @user_script:1.`),
    );
    // pcall cannot catch the kill.
    const body = 'while true do pcall(function() while true do end end) end';
    expect(c.call('EVAL', body, '0')).toEqual(errorReply(`ERR Script killed by user with SCRIPT KILL... script: ${sha1Hex(body)}, on @user_script:1.`));
    expect(c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(h.logs.some((l) => l.startsWith('warning: Lua script') && l.includes('without having written'))).toBe(true);
  });

  it('a script running past a small busy-reply-threshold but ending within KILL_AFTER_MS finishes (lua-time-limit 10)', () => {
    const h = createHarness({ config: { 'lua-time-limit': '10' } });
    let t = 0;
    // 20 ms per look at the clock: about 150 looks, 3 s in all.
    Object.assign(h.core.host, { micros: () => (t += 20_000) });
    const c = h.client();
    expect(c.call('EVAL', 'local x = 0 for i = 1, 5000000 do x = x + 1 end return x', '0')).toBe(5000000);
    expect(t).toBeGreaterThan(1_000_000);
    expect(t).toBeLessThan(KILL_AFTER_MS * 1000);
    expect(h.logs.filter((l) => l.startsWith('warning: Slow script detected'))).toHaveLength(1);
  });

  it('a script that wrote is not stopped (Redis calls it unkillable) and finishes', () => {
    const h = createHarness({ config: { 'busy-reply-threshold': '1' } });
    Object.assign(h.core.host, { micros: () => performance.now() * 1000 });
    const c = h.client();
    const body = "redis.call('SET', 'k', 'v') local t = 0 for i = 1, 3000000 do t = t + i end return t";
    expect(c.call('EVAL', body, '0')).toBe(4500001500000);
    expect(h.logs.filter((l) => l.startsWith('warning: Slow script detected'))).toHaveLength(1);
  });
});

describe('cluster mode', () => {
  function clusterHarness() {
    const h = createHarness({
      config: { 'cluster-enabled': 'yes', port: '7000' },
      clusterHost: { connect() {}, saveConfig() {}, loadConfig: () => null },
    });
    return { ...h, cluster: h.cluster!, c: h.client() };
  }

  it('keys of slots this node does not serve, and a down cluster, are refused inside scripts', () => {
    const h = clusterHarness();
    // Slot 0 only: the cluster is down (not every slot is served).
    h.c.call('CLUSTER', 'ADDSLOTS', '0');
    const slot0Key = '{06S}';
    expect(h.c.call('CLUSTER', 'KEYSLOT', slot0Key)).toBe(0);
    expect(h.c.call('EVAL', "return redis.pcall('GET', 'foo')", '0')).toEqual(
      errorReply('ERR Script attempted to access a non local key in a cluster node'),
    );
    expect(h.c.call('EVAL', `return redis.pcall('GET', '${slot0Key}')`, '0')).toEqual(
      errorReply('ERR Script attempted to execute a command while the cluster is down'),
    );
  });

  it('shebang scripts may only touch the slot of their keys unless allow-cross-slot-keys; no-cluster refuses', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    h.clock.advance(2_500);
    h.cluster.updateState();
    expect(h.c.call('EVAL', "redis.call('SET', 'a', '1') return redis.call('SET', 'b', '1')", '0')).toEqual(OK_REPLY);
    expect(h.c.call('EVAL', "#!lua\nredis.call('SET', KEYS[1], '1') return redis.pcall('SET', 'b', '1')", '1', 'a')).toEqual(
      errorReply('ERR Script attempted to access keys that do not hash to the same slot'),
    );
    expect(h.c.call('EVAL', "#!lua flags=allow-cross-slot-keys\nredis.call('SET', KEYS[1], '1') return redis.call('SET', 'b', '1')", '1', 'a')).toEqual(
      OK_REPLY,
    );
    expect(h.c.call('EVAL', "#!lua flags=no-cluster\nreturn 1", '0')).toEqual(errorReply("ERR Can not run script on cluster, 'no-cluster' flag is set."));
  });
});

describe('INFO memory and the script cache', () => {
  it('number_of_cached_scripts counts SCRIPT LOAD and EVAL bodies once each, and SCRIPT FLUSH empties it', () => {
    const h = createHarness();
    const c = h.client();
    const cached = () => /number_of_cached_scripts:(\d+)/.exec(String(c.call('INFO', 'memory')))![1];
    expect(cached()).toBe('0');
    c.call('SCRIPT', 'LOAD', 'return 1');
    c.call('EVAL', 'return 2', '0');
    c.call('EVAL', 'return 2', '0');
    expect(cached()).toBe('2');
    expect(c.call('SCRIPT', 'FLUSH')).toEqual(OK_REPLY);
    expect(cached()).toBe('0');
  });
});

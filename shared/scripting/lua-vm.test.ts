import { describe, expect, it } from 'vitest';
import { createHarness, errorReply } from '../../test/helpers/core-harness.js';
import { ErrorReply, SimpleString, type Reply } from '../resp/reply.js';
import { lua51ErrorText } from './lua-vm.js';
import { sha1Hex } from '../sha1.js';

function evalScript(body: string, ...args: string[]): Reply {
  const h = createHarness();
  return h.client().call('EVAL', body, '0', ...args);
}

/** The error reply of a script that fails at line 1. */
function scriptError(body: string, message: string): ErrorReply {
  return errorReply(`${message} script: ${sha1Hex(body)}, on @user_script:1.`);
}

describe('conversions', () => {
  it('Lua to Redis: numbers truncate, arrays stop at nil, false is nil, true is 1, ok and err tables', () => {
    expect(evalScript("return {1, 2.9, -2.9, 'x', false, true, {ok = 'fine'}, {err = 'BAD x'}, nil, 5}")).toEqual([
      1,
      2,
      -2,
      'x',
      null,
      1,
      new SimpleString('fine'),
      new ErrorReply('BAD x'),
    ]);
    expect(evalScript('return 1e300')).toBe(-9223372036854775808n);
    expect(evalScript('return 2^60')).toBe(1152921504606846976n);
  });

  it('Redis to Lua: integer as number, nil as false, status as {ok}, error as {err} from pcall', () => {
    const body = "redis.call('SET', 'k', '5') local s = redis.call('SET', 'k', '6') local n = redis.call('INCR', 'k') local m = redis.call('GET', 'nope') local e = redis.pcall('LPUSH', 'k', 'x') return {s.ok, type(n), n + 0.5, type(m), tostring(m), e.err}";
    expect(evalScript(body)).toEqual(['OK', 'number', 7, 'boolean', 'false', 'WRONGTYPE Operation against a key holding the wrong kind of value']);
  });

  it('arguments: numbers as %.17g, strings as bytes, anything else refused', () => {
    expect(evalScript("redis.call('SET', 'k', 0.1) return redis.call('GET', 'k')")).toBe('0.10000000000000001');
    expect(evalScript("redis.call('SET', 'k', ARGV[1]) return redis.call('GET', 'k')", '\x00\xff')).toBe('\x00\xff');
    const body = "return redis.call('SET', 'k', true)";
    expect(evalScript(body)).toEqual(scriptError(body, 'ERR Lua redis lib command arguments must be strings or integers'));
  });
});

describe('errors', () => {
  it("Redis 7.0's texts for globals, runtime errors and error()", () => {
    expect(evalScript('x = 1')).toEqual(scriptError('x = 1', 'ERR user_script:1: Attempt to modify a readonly table'));
    expect(evalScript('return y')).toEqual(
      scriptError('return y', "ERR user_script:1: Script attempted to access nonexistent global variable 'y'"),
    );
    expect(evalScript("error('boom')")).toEqual(scriptError("error('boom')", 'ERR user_script:1: boom'));
    expect(evalScript('error(7)')).toEqual(scriptError('error(7)', 'ERR user_script:1: 7'));
    expect(evalScript("error({err = 'MINE x'})")).toEqual(scriptError("error({err = 'MINE x'})", 'MINE x'));
    expect(evalScript('return 1 +')).toEqual(
      errorReply("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"),
    );
  });

  it('Lua 5.3 wording is rewritten to Lua 5.1 wording', () => {
    expect(lua51ErrorText("user_script:1: attempt to index a nil value (local 't')")).toBe(
      "user_script:1: attempt to index local 't' (a nil value)",
    );
    expect(lua51ErrorText("attempt to call a nil value (global 'f')")).toBe("attempt to call global 'f' (a nil value)");
    expect(lua51ErrorText("attempt to perform arithmetic on a nil value (field 'x')")).toBe(
      "attempt to perform arithmetic on field 'x' (a nil value)",
    );
    expect(lua51ErrorText("user_script:1: 'end' expected near <eof>")).toBe("user_script:1: 'end' expected near '<eof>'");
    expect(lua51ErrorText("user_script:1: unexpected symbol near '<\\1>'")).toBe("user_script:1: unexpected symbol near 'char(1)'");
  });

  it('a control character where a statement should start is reported as char(N), as Lua 5.1 does', () => {
    expect(evalScript('\x01')).toEqual(errorReply("ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(1)'"));
  });

  it('pcall returns the err text of error tables, as Redis 7 keeps for compatibility', () => {
    expect(evalScript("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}")).toEqual([
      'false',
      'ERR Unknown Redis command called from script',
    ]);
  });
});

describe('Lua 5.1 behaviour on top of fengari', () => {
  it('numbers are doubles: no 32-bit integer wrap-around, no ".0" when printed', () => {
    expect(evalScript('return tostring(2147483647 + 1)')).toBe('2147483648');
    expect(evalScript('return tostring(100000 * 100000)')).toBe('10000000000');
    expect(evalScript("return tostring(tonumber('4000000000') * 2)")).toBe('8000000000');
    expect(evalScript('return tostring(10 / 2) .. 7 / 2')).toBe('53.5');
    expect(evalScript('return tostring(math.floor(3.7) * 4294967296)')).toBe('12884901888');
  });

  it('5.1 functions exist and 5.3 additions do not', () => {
    expect(evalScript('return {unpack({1, 2})}')).toEqual([1, 2]);
    expect(evalScript('return {table.getn({1, 2, 3}), table.maxn({1, [7] = 1}), math.pow(2, 8), math.mod(7, 3)}')).toEqual([3, 7, 256, 1]);
    expect(evalScript('return {type(table.pack), type(table.unpack), type(string.pack), type(math.tointeger), type(utf8)}')).toEqual(
      scriptError(
        'return {type(table.pack), type(table.unpack), type(string.pack), type(math.tointeger), type(utf8)}',
        "ERR user_script:1: Script attempted to access nonexistent global variable 'utf8'",
      ),
    );
    expect(evalScript('return {type(table.pack), type(table.unpack), type(string.pack), type(math.tointeger)}')).toEqual([
      'nil',
      'nil',
      'nil',
      'nil',
    ]);
    expect(evalScript('return _VERSION')).toBe('Lua 5.1');
  });
});

describe('cjson and bit', () => {
  it('cjson round trip, escapes and errors', () => {
    expect(evalScript("return cjson.encode({a = {1, 2, 'x/y'}, b = cjson.null})")).toBe('{"a":[1,2,"x\\/y"],"b":null}');
    expect(evalScript('local t = cjson.decode(ARGV[1]) return {t.a[2], t.b, type(t.c)}', '{"a":[1,2.5],"b":"\\u00e9","c":null}')).toEqual([
      2,
      '\xc3\xa9',
      'userdata',
    ]);
    const body = "return cjson.decode('[1,')";
    expect(evalScript(body)).toEqual(scriptError(body, 'ERR user_script:1: Expected value but found T_END at character 4'));
    const sparse = 'return cjson.encode({[1] = 1, [30] = 2})';
    expect(evalScript(sparse)).toEqual(scriptError(sparse, 'ERR user_script:1: Cannot serialise table: excessively sparse array'));
  });

  it('bit operations are signed 32-bit', () => {
    expect(evalScript('return {bit.band(-1, 0xff), bit.bor(0x80000000, 0), bit.lshift(1, 31), bit.rshift(-1, 31), bit.tohex(-2)}')).toEqual([
      255,
      -2147483648,
      -2147483648,
      1,
      'fffffffe',
    ]);
  });
});

describe('redis library', () => {
  it('sha1hex, error_reply, status_reply, versions', () => {
    expect(evalScript("return redis.sha1hex('abc')")).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(evalScript("return redis.error_reply('MY message')")).toEqual(new ErrorReply('MY message'));
    expect(evalScript("return redis.error_reply('message')")).toEqual(new ErrorReply('ERR message'));
    expect(evalScript("return redis.status_reply('FINE')")).toEqual(new SimpleString('FINE'));
    expect(evalScript('return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}')).toEqual(['7.0.15', 458767]);
  });

  it('redis.log writes to the server log at or above the configured level', () => {
    const h = createHarness();
    const c = h.client();
    c.call('EVAL', "redis.log(redis.LOG_WARNING, 'hello', 'world') redis.log(redis.LOG_DEBUG, 'hidden') return 1", '0');
    expect(h.logs).toContain('warning: hello world');
    expect(h.logs.some((l) => l.includes('hidden'))).toBe(false);
  });
});

describe('string.format, cmsgpack, struct and traversal order', () => {
  it('string.format converts as C printf, with (long) casts of numbers for %d', () => {
    expect(evalScript("return string.format('%d|%05.1f|%-4s|%x|%e|%g|%q', 1700000000123.9, 2.25, 'ab', 255, 12345.678, 1e20, 'a\\nb')")).toBe(
      '1700000000123|002.2|ab  |ff|1.234568e+04|1e+20|"a\\\nb"',
    );
    const bad = "return string.format('%y', 1)";
    expect(evalScript(bad)).toEqual(scriptError(bad, "ERR user_script:1: invalid option '%y' to 'format'"));
  });

  it('cmsgpack packs with the smallest encodings and unpacks back', () => {
    expect(evalScript('return cmsgpack.pack(1, -1, 300, 1.5, true, nil)')).toBe('\x01\xff\xcd\x01\x2c\xca\x3f\xc0\x00\x00\xc3\xc0');
    expect(evalScript("return {cmsgpack.unpack(cmsgpack.pack({1, 2}, 'x', 70000))}")).toEqual([[1, 2], 'x', 70000]);
    expect(evalScript("return {cmsgpack.unpack_one(cmsgpack.pack(7, 8))}")).toEqual([1, 7]);
  });

  it('struct packs little-endian by default and unpacks with the next position', () => {
    expect(evalScript("return struct.pack('i', 1) .. struct.pack('>H', 258)")).toBe('\x01\x00\x00\x00\x01\x02');
    expect(evalScript("return {struct.unpack('<h b', struct.pack('<h b', -2, 5))}")).toEqual([-2, 5, 4]);
    expect(evalScript("return struct.size('>i d')")).toBe(12);
  });

  it('pairs visits list items in index order, as Lua 5.1 does', () => {
    expect(evalScript("local r = {} for k, v in pairs({'a', 'b', 'c', x = 'y'}) do r[#r + 1] = v end return r")).toEqual(['a', 'b', 'c', 'y']);
  });
});

import { binaryToBytes } from '../bytes.js';
import { ErrorReply, type Reply } from '../resp/reply.js';
import {
  lauxlib,
  lua,
  luaopen_base,
  luaopen_coroutine,
  luaopen_math,
  luaopen_string,
  luaopen_table,
  type LuaJsFunction,
  type LuaState,
} from './fengari.js';
import { pushBit } from './lua-bit.js';
import { pushCjson } from './lua-cjson.js';
import { pushCmsgpack } from './lua-cmsgpack.js';
import { pushStruct } from './lua-struct.js';
import { luaStringFormat } from './lua-format.js';
import { IGNORE_STATS, luaArgsToArgv, popReply, pushBinary, pushErrorTable, pushReply, toBinary, type Resp } from './lua-conversions.js';
import { argError, lua51ErrorText, raiseError } from './lua-errors.js';
import { luaLoad51, luaLoadstring51 } from './lua-load.js';

export { lua51ErrorText };
import { LRAND48_MAX, type Lrand48 } from './lua-random.js';
import { sha1Hex } from '../sha1.js';

/** What one running script asks of the server (Redis's scriptRunCtx and the Lua client). */
export interface ScriptRunHooks {
  /** Runs one command for redis.call/pcall: its reply, or an ErrorReply refusing it (texts as Redis's). */
  call(argv: string[]): Reply;
  /** The script client's protocol: 2 unless redis.setresp changed it. */
  resp: Resp;
  /** redis.set_repl: REPL_* flags (already validated). */
  setRepl(flags: number): void;
  /** redis.acl_check_cmd: whether the caller may run argv, or null when the command does not exist. */
  aclCheck(argv: string[]): boolean | null;
  /**
   * Called every 100000 Lua instructions: true when the script must be stopped with Redis's SCRIPT KILL error
   * (see script-commands.ts for when that happens).
   */
  shouldKill(): boolean;
}

/** What the VM needs from the server for its whole life. */
export interface LuaVmHost {
  /** The process-wide math.random generator. */
  random: Lrand48;
  /** redis.log at Redis's level numbers (0 debug .. 3 warning). */
  log(level: number, message: string): void;
}

/** Redis's version as redis.REDIS_VERSION / REDIS_VERSION_NUM report it. */
export const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;

/** Registry field: the real global table (scripts see it through a read-only proxy, LUA_RIDX_GLOBALS). */
export const REAL_GLOBALS = '__redis_real_globals';
/** Registry field: a weak-keyed table from each read-only proxy to the table it protects. */
export const PROXY_TARGETS = '__redis_proxy_targets';
/** Registry field: each protected metatable's read-only proxy. */
const METATABLE_PROXIES = '__redis_metatable_proxies';
const PROPAGATE_AOF = 1;
const PROPAGATE_REPL = 2;

/** The globals Redis 7.0 scripts see from Lua's base library (the rest are removed). */
const BASE_GLOBALS = new Set([
  '_G',
  '_VERSION',
  'assert',
  'collectgarbage',
  'error',
  'getmetatable',
  'ipairs',
  'load',
  'next',
  'pairs',
  'pcall',
  'rawequal',
  'rawget',
  'rawset',
  'select',
  'setmetatable',
  'tonumber',
  'tostring',
  'type',
  'xpcall',
]);

/** Library functions of Lua 5.3 that Lua 5.1 does not have. */
const REMOVED_FIELDS: Record<string, string[]> = {
  table: ['pack', 'unpack', 'move'],
  string: ['pack', 'unpack', 'packsize'],
  math: ['tointeger', 'type', 'ult', 'maxinteger', 'mininteger'],
  coroutine: ['isyieldable'],
};

/** Lua 5.1 functions missing from fengari's 5.3 libraries, written in Lua on top of what 5.3 has. */
const LUA51_COMPAT = `
local table, string, math, select, type, pairs, error = table, string, math, select, type, pairs, error
local floor = math.floor
unpack = table.unpack_51
table.unpack_51 = nil
table.getn = function(t) return #t end
table.setn = function() error("'setn' is obsolete", 2) end
table.maxn = function(t)
  local max = 0
  for k in pairs(t) do
    if type(k) == 'number' and k > max then max = k end
  end
  return max
end
table.foreach = function(t, f)
  for k, v in pairs(t) do
    local r = f(k, v)
    if r ~= nil then return r end
  end
end
table.foreachi = function(t, f)
  for i = 1, #t do
    local r = f(i, t[i])
    if r ~= nil then return r end
  end
end
string.gfind = string.gmatch
math.pow = function(x, y) return x ^ y end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x)
  if x > 20 then return 1.0 elseif x < -20 then return -1.0 end
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
math.log10 = function(x) return math.log(x, 10) end
math.mod = math.fmod
math.atan2 = function(y, x) return math.atan(y, x) end
`;

function isJsFrame(what: Uint8Array | null): boolean {
  return what !== null && what.length === 1 && (what[0] === 0x4a || what[0] === 0x43); // "J" (fengari) or "C"
}

/**
 * A Lua interpreter set up as Redis 7.0 sets up its scripting engine (scriptingInit): the libraries scripts get,
 * the `redis` API, Redis's math.random, its pcall, the error handler, and the read-only global table. Scripts are
 * compiled once into the registry (as f_<sha>) and run with KEYS and ARGV as globals.
 */
export class LuaVm {
  readonly L: LuaState;
  private current: ScriptRunHooks | null = null;

  constructor(private readonly host: LuaVmHost) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    // A JS exception escaping a library function (a bug, or the JS stack overflowing) becomes a Lua error.
    lua.lua_atnativeerror(L, (l) => {
      const e = lua.lua_touserdata(l, -1);
      lua.lua_pushstring(l, e instanceof Error ? e.message : String(e));
      return 1;
    });
    this.openLibraries();
    this.registerRedisApi();
    this.protectGlobals();
    // Lua 5.1 names a function it cannot name from the calling code '?' ("bad argument #1 to '?'" for
    // pcall(load)); fengari would look it up among the loaded modules, which Redis's Lua has no table of.
    lua.lua_newtable(L);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, '_LOADED');
  }

  private openLibraries(): void {
    const L = this.L;
    lauxlib.luaL_requiref(L, '_G', luaopen_base, 1);
    lua.lua_pop(L, 1);
    for (const [name, open] of [
      ['table', luaopen_table],
      ['string', luaopen_string],
      ['math', luaopen_math],
      ['coroutine', luaopen_coroutine],
    ] as Array<[string, LuaJsFunction]>) {
      lauxlib.luaL_requiref(L, name, open, 1);
      lua.lua_pop(L, 1);
    }
    // Only the base functions Redis's Lua has stay (no print, dofile, loadfile, require, rawlen ...).
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    const names: string[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2)) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TSTRING) names.push(toBinary(L, -1) as string);
    }
    for (const n of names) {
      if (BASE_GLOBALS.has(n) || n in REMOVED_FIELDS || n === 'table' || n === 'string' || n === 'math') continue;
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, n);
    }
    lua.lua_pushstring(L, 'Lua 5.1');
    lua.lua_setfield(L, -2, '_VERSION');
    // Keep table.unpack for the compat chunk (5.1's global unpack) before it is removed from table.
    lua.lua_getfield(L, -1, 'table');
    lua.lua_getfield(L, -1, 'unpack');
    lua.lua_setfield(L, -2, 'unpack_51');
    for (const [lib, fields] of Object.entries(REMOVED_FIELDS)) {
      lua.lua_getfield(L, -2, lib);
      for (const f of fields) {
        lua.lua_pushnil(L);
        lua.lua_setfield(L, -2, f);
      }
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1); // table
    this.runChunk(LUA51_COMPAT, '=compat');
    // Redis's math.random and math.randomseed; math.floor and math.ceil give 5.1's doubles.
    lua.lua_getfield(L, -1, 'math');
    this.setFunction('random', (l) => this.mathRandom(l));
    this.setFunction('randomseed', (l) => {
      if (!this.current) return raiseError(l, 'math.randomseed can only be called inside a script invocation');
      this.host.random.seed(Math.trunc(lauxlib.luaL_checknumber(l, 1)) | 0);
      return 0;
    });
    this.setFunction('floor', (l) => {
      lua.lua_pushnumber(l, Math.floor(lauxlib.luaL_checknumber(l, 1)));
      return 1;
    });
    this.setFunction('ceil', (l) => {
      lua.lua_pushnumber(l, Math.ceil(lauxlib.luaL_checknumber(l, 1)));
      return 1;
    });
    lua.lua_pop(L, 1);
    lua.lua_getfield(L, -1, 'string');
    this.setFunction('format', luaStringFormat);
    lua.lua_pop(L, 1);
    pushCjson(L);
    lua.lua_setfield(L, -2, 'cjson');
    pushBit(L);
    lua.lua_setfield(L, -2, 'bit');
    pushCmsgpack(L);
    lua.lua_setfield(L, -2, 'cmsgpack');
    pushStruct(L);
    lua.lua_setfield(L, -2, 'struct');
    this.setFunction('pcall', redisPcall);
    this.setFunction('error', luaError51);
    this.setFunction('load', luaLoad51);
    this.setFunction('loadstring', luaLoadstring51);
    // fengari has no garbage collector interface (JS collects): collections do nothing, counts are 0.
    this.setFunction('collectgarbage', (l) => {
      const opt = lua.lua_type(l, 1) <= lua.LUA_TNIL ? 'collect' : (toBinary(l, 1) ?? '');
      const options = ['stop', 'restart', 'collect', 'count', 'step', 'setpause', 'setstepmul'];
      if (!options.includes(opt)) return argError(l, 1, `invalid option '${opt}'`);
      if (opt === 'step') lua.lua_pushboolean(l, false);
      else lua.lua_pushnumber(l, 0);
      return 1;
    });
    this.setFunction('gcinfo', (l) => {
      lua.lua_pushnumber(l, 0);
      return 1;
    });
    lua.lua_pop(L, 1); // globals
  }

  /** Runs Lua source at setup time (errors here are bugs). */
  private runChunk(source: string, name: string): void {
    const L = this.L;
    const bytes = binaryToBytes(source);
    if (lauxlib.luaL_loadbuffer(L, bytes, bytes.length, name) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      throw new Error(`Lua setup failed: ${toBinary(L, -1)}`);
    }
  }

  /** Sets field `name` of the table on top to a JS function. */
  private setFunction(name: string, fn: LuaJsFunction): void {
    lua.lua_pushjsfunction(this.L, fn);
    lua.lua_setfield(this.L, -2, name);
  }

  private setNumber(name: string, n: number): void {
    lua.lua_pushnumber(this.L, n);
    lua.lua_setfield(this.L, -2, name);
  }

  /** redis_math_random: Lua 5.1's math.random over Redis's lrand48. */
  private mathRandom(L: LuaState): number {
    if (!this.current) return raiseError(L, 'math.random can only be called inside a script invocation');
    const r = (this.host.random.next() % LRAND48_MAX) / LRAND48_MAX;
    switch (lua.lua_gettop(L)) {
      case 0:
        lua.lua_pushnumber(L, r);
        break;
      case 1: {
        const u = Math.trunc(lauxlib.luaL_checknumber(L, 1)) | 0;
        if (!(1 <= u)) argError(L, 1, 'interval is empty');
        lua.lua_pushnumber(L, Math.floor(r * u) + 1);
        break;
      }
      case 2: {
        const l = Math.trunc(lauxlib.luaL_checknumber(L, 1)) | 0;
        const u = Math.trunc(lauxlib.luaL_checknumber(L, 2)) | 0;
        if (!(l <= u)) argError(L, 2, 'interval is empty');
        lua.lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return raiseError(L, 'wrong number of arguments');
    }
    return 1;
  }

  /** Raises {err = <text>} as Redis's luaPushError + luaError do. */
  private raiseTable(L: LuaState, text: string): never {
    pushErrorTable(L, text);
    return lua.lua_error(L);
  }

  private registerRedisApi(): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_newtable(L);
    this.setFunction('call', (l) => this.redisCall(l, true));
    this.setFunction('pcall', (l) => this.redisCall(l, false));
    this.setFunction('log', (l) => this.redisLog(l));
    this.setNumber('LOG_DEBUG', 0);
    this.setNumber('LOG_VERBOSE', 1);
    this.setNumber('LOG_NOTICE', 2);
    this.setNumber('LOG_WARNING', 3);
    this.setNumber('REDIS_VERSION_NUM', REDIS_VERSION_NUM);
    lua.lua_pushstring(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, 'REDIS_VERSION');
    this.setFunction('setresp', (l) => {
      const run = this.current;
      if (!run) return this.raiseTable(l, 'redis.setresp can only be called inside a script invocation');
      if (lua.lua_gettop(l) !== 1) return this.raiseTable(l, 'redis.setresp() requires one argument.');
      const resp = Math.trunc(lua.lua_tonumber(l, 1));
      if (resp !== 2 && resp !== 3) return this.raiseTable(l, 'RESP version must be 2 or 3.');
      run.resp = resp;
      return 0;
    });
    this.setFunction('sha1hex', (l) => {
      if (lua.lua_gettop(l) !== 1) return this.raiseTable(l, 'wrong number of arguments');
      lua.lua_pushstring(l, sha1Hex(toBinary(l, 1) ?? ''));
      return 1;
    });
    this.setFunction('error_reply', (l) => {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(l, 'wrong number or type of arguments');
        return 1;
      }
      const err = toBinary(l, -1) as string;
      pushErrorTable(l, err.startsWith('-') ? err : '-' + err);
      return 1;
    });
    this.setFunction('status_reply', (l) => {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(l, 'wrong number or type of arguments');
        return 1;
      }
      lua.lua_newtable(l);
      lua.lua_pushvalue(l, 1);
      lua.lua_setfield(l, -2, 'ok');
      return 1;
    });
    this.setFunction('set_repl', (l) => {
      const run = this.current;
      if (!run) return this.raiseTable(l, 'redis.set_repl can only be called inside a script invocation');
      if (lua.lua_gettop(l) !== 1) return this.raiseTable(l, 'redis.set_repl() requires two arguments.');
      const flags = Math.trunc(lua.lua_tonumber(l, -1)) | 0;
      if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) !== 0) {
        return this.raiseTable(l, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      }
      run.setRepl(flags);
      return 0;
    });
    this.setNumber('REPL_NONE', 0);
    this.setNumber('REPL_AOF', PROPAGATE_AOF);
    this.setNumber('REPL_SLAVE', PROPAGATE_REPL);
    this.setNumber('REPL_REPLICA', PROPAGATE_REPL);
    this.setNumber('REPL_ALL', PROPAGATE_AOF | PROPAGATE_REPL);
    this.setFunction('acl_check_cmd', (l) => {
      const run = this.current;
      if (!run) return this.raiseTable(l, 'redis.acl_check_cmd can only be called inside a script invocation');
      const argv = luaArgsToArgv(l);
      if (!Array.isArray(argv)) return this.raiseTable(l, argv.error);
      const allowed = run.aclCheck(argv);
      if (allowed === null) return this.raiseTable(l, 'Invalid command passed to redis.acl_check_cmd()');
      lua.lua_pushboolean(l, allowed);
      return 1;
    });
    // The debugger's entry points do nothing outside a debugging session (which this server does not have).
    this.setFunction('breakpoint', (l) => {
      lua.lua_pushboolean(l, false);
      return 1;
    });
    this.setFunction('debug', () => 0);
    // Deprecated in Redis 7: scripts are always replicated by their effects.
    this.setFunction('replicate_commands', (l) => {
      lua.lua_pushboolean(l, true);
      return 1;
    });
    lua.lua_setfield(L, -2, 'redis');
    lua.lua_pushjsfunction(L, errorHandler);
    lua.lua_setfield(L, -2, '__redis__err__handler');
    lua.lua_pop(L, 1);
  }

  /** luaRedisGenericCommand: redis.call (raise = true) and redis.pcall. */
  private redisCall(L: LuaState, raise: boolean): number {
    const run = this.current;
    if (!run) return this.raiseTable(L, 'redis.call/pcall can only be called inside a script invocation');
    const argv = luaArgsToArgv(L);
    if (!Array.isArray(argv)) {
      pushErrorTable(L, argv.error);
      return raise ? lua.lua_error(L) : 1;
    }
    const reply = run.call(argv);
    pushReply(L, reply, run.resp);
    if (raise && reply instanceof ErrorReply) return lua.lua_error(L);
    return 1;
  }

  /** luaLogCommand: redis.log(level, ...). */
  redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) return this.raiseTable(L, 'redis.log() requires two arguments or more.');
    if (!lua.lua_isnumber(L, 1)) return this.raiseTable(L, 'First argument must be a number (log level).');
    const level = Math.trunc(lua.lua_tonumber(L, 1));
    if (level < 0 || level > 3) return this.raiseTable(L, 'Invalid debug level.');
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const s = lua.lua_type(L, j) === lua.LUA_TSTRING || lua.lua_type(L, j) === lua.LUA_TNUMBER ? toBinary(L, j) : null;
      if (s !== null) parts.push(s);
    }
    this.host.log(level, parts.join(' '));
    return 0;
  }

  /**
   * Makes the globals read-only as Redis's patched Lua does (lua_enablereadonlytable on _G and every table
   * reachable from it): scripts see a proxy whose writes raise "Attempt to modify a readonly table" and whose
   * missing names raise Redis's nonexistent-global error; library tables get read-only proxies too.
   */
  private protectGlobals(): void {
    const L = this.L;
    lua.lua_newtable(L);
    lua.lua_newtable(L);
    lua.lua_pushstring(L, 'k');
    lua.lua_setfield(L, -2, '__mode');
    lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, PROXY_TARGETS);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    // rawget, rawset and next see through the proxies to the protected tables (and rawset refuses), as they
    // would act on Redis's read-only tables themselves.
    const globals = lua.lua_gettop(L);
    for (const name of ['rawget', 'rawset', 'next']) {
      lua.lua_getfield(L, globals, name);
      this.pushRawFunction(name === 'rawset');
      lua.lua_setfield(L, globals, name);
    }
    lua.lua_newtable(L);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, METATABLE_PROXIES);
    lua.lua_getfield(L, globals, 'getmetatable');
    lua.lua_pushcclosure(L, (l) => this.getmetatable51(l), 1);
    lua.lua_setfield(L, globals, 'getmetatable');
    lua.lua_getfield(L, globals, 'setmetatable');
    lua.lua_pushcclosure(
      L,
      (l) => {
        // lua_setmetatable refuses a read-only table (from C: no position in the message).
        if (lua.lua_type(l, 1) === lua.LUA_TTABLE && this.pushProxyTarget(l, 1)) return readonlyError(l);
        lua.lua_settop(l, 2);
        lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
        lua.lua_insert(l, 1);
        lua.lua_call(l, 2, 1);
        return 1;
      },
      1,
    );
    lua.lua_setfield(L, globals, 'setmetatable');
    const real = lua.lua_gettop(L);
    lua.lua_pushvalue(L, real);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, REAL_GLOBALS);
    for (const lib of ['string', 'table', 'math', 'coroutine', 'redis', 'cjson', 'bit', 'cmsgpack', 'struct']) {
      lua.lua_getfield(L, real, lib);
      this.pushReadonlyProxy(lua.lua_gettop(L));
      if (lib === 'string') {
        // ("x"):upper() goes through the string metatable: point it at the protected table too. The metatable
        // is read-only as well: getmetatable('') gives its proxy.
        lua.lua_pushstring(L, '');
        lua.lua_getmetatable(L, -1);
        lua.lua_pushvalue(L, -3);
        lua.lua_setfield(L, -2, '__index');
        this.pushMetatableProxy(lua.lua_gettop(L));
        lua.lua_setfield(L, -2, '__metatable');
        lua.lua_pop(L, 2);
      }
      lua.lua_setfield(L, real, lib);
      lua.lua_pop(L, 1);
    }
    // Reading a missing global is an error (luaSetErrorMetatable).
    lua.lua_newtable(L);
    lua.lua_pushjsfunction(L, (l) => {
      if (lua.lua_type(l, 2) !== lua.LUA_TSTRING && lua.lua_type(l, 2) !== lua.LUA_TNUMBER) {
        return raiseError(l, 'Second argument to luaProtectedTableError must be a string or number');
      }
      return raiseError(l, `Script attempted to access nonexistent global variable '${toBinary(l, 2)}'`);
    });
    lua.lua_setfield(L, -2, '__index');
    lua.lua_setmetatable(L, real);
    this.pushReadonlyProxy(real);
    lua.lua_pushvalue(L, -1);
    lua.lua_setfield(L, real, '_G');
    lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_settop(L, 0);
  }

  /**
   * Replaces the raw function on top with a wrapper that applies it to the protected table when given a proxy
   * (`refuse`: raises instead).
   */
  private pushRawFunction(refuse: boolean): void {
    const L = this.L;
    lua.lua_pushcclosure(
      L,
      (l) => {
        if (lua.lua_type(l, 1) === lua.LUA_TTABLE) {
          lua.lua_getfield(l, lua.LUA_REGISTRYINDEX, PROXY_TARGETS);
          lua.lua_pushvalue(l, 1);
          const isProxy = lua.lua_rawget(l, -2) === lua.LUA_TTABLE;
          if (isProxy) {
            if (refuse) return readonlyError(l);
            lua.lua_replace(l, 1);
          }
          lua.lua_pop(l, isProxy ? 1 : 2);
        }
        const n = lua.lua_gettop(l);
        lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
        lua.lua_insert(l, 1);
        lua.lua_call(l, n, lua.LUA_MULTRET);
        return lua.lua_gettop(l);
      },
      1,
    );
  }

  /**
   * If the table at idx is a read-only proxy, pushes the table it protects and returns true; else pushes
   * nothing.
   */
  private pushProxyTarget(l: LuaState, idx: number): boolean {
    const at = lua.lua_absindex(l, idx);
    lua.lua_getfield(l, lua.LUA_REGISTRYINDEX, PROXY_TARGETS);
    lua.lua_pushvalue(l, at);
    if (lua.lua_rawget(l, -2) === lua.LUA_TTABLE) {
      lua.lua_remove(l, -2);
      return true;
    }
    lua.lua_pop(l, 2);
    return false;
  }

  /** Pushes the read-only proxy of the metatable at idx, made once (so getmetatable(_G) == getmetatable(_G)). */
  private pushMetatableProxy(idx: number, L: LuaState = this.L): void {
    const at = lua.lua_absindex(L, idx);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, METATABLE_PROXIES);
    lua.lua_pushvalue(L, at);
    if (lua.lua_rawget(L, -2) !== lua.LUA_TTABLE) {
      lua.lua_pop(L, 1);
      this.pushReadonlyProxy(at, L);
      lua.lua_pushvalue(L, at);
      lua.lua_pushvalue(L, -2);
      lua.lua_rawset(L, -4);
    }
    lua.lua_remove(L, -2);
  }

  /**
   * getmetatable: a read-only table's is the metatable of the table it protects (Redis's globals have the
   * nonexistent-global error metatable, read-only like everything reachable from them; libraries have none).
   */
  private getmetatable51(l: LuaState): number {
    lauxlib.luaL_checkany(l, 1);
    if (lua.lua_type(l, 1) === lua.LUA_TTABLE && this.pushProxyTarget(l, 1)) {
      if (!lua.lua_getmetatable(l, -1)) {
        lua.lua_pushnil(l);
        return 1;
      }
      // The function engine points the globals' metatable elsewhere while a library loads (see
      // function-libraries.ts); what a script sees is always a proxy.
      this.pushMetatableProxy(lua.lua_gettop(l), l);
      return 1;
    }
    lua.lua_settop(l, 1);
    lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
    lua.lua_insert(l, 1);
    lua.lua_call(l, 1, 1);
    return 1;
  }

  /** Pushes a read-only view of the table at idx: reads and pairs() see it, writes raise. */
  pushReadonlyProxy(idx: number, L: LuaState = this.L): void {
    lua.lua_newtable(L);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, PROXY_TARGETS);
    lua.lua_pushvalue(L, -2);
    lua.lua_pushvalue(L, idx);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
    lua.lua_newtable(L);
    lua.lua_pushvalue(L, idx);
    lua.lua_setfield(L, -2, '__index');
    lua.lua_pushjsfunction(L, (l) => raiseError(l, 'Attempt to modify a readonly table'));
    lua.lua_setfield(L, -2, '__newindex');
    lua.lua_pushvalue(L, idx);
    lua.lua_pushcclosure(
      L,
      (l) => {
        lua.lua_getglobal(l, 'next');
        lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
        lua.lua_pushnil(l);
        return 3;
      },
      1,
    );
    lua.lua_setfield(L, -2, '__pairs');
    lua.lua_pushvalue(L, idx);
    lua.lua_pushcclosure(
      L,
      (l) => {
        lua.lua_pushnumber(l, lua.lua_rawlen(l, lua.lua_upvalueindex(1)));
        return 1;
      },
      1,
    );
    lua.lua_setfield(L, -2, '__len');
    // Hidden from the base library (getmetatable and setmetatable are replaced to see through proxies).
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, '__metatable');
    lua.lua_setmetatable(L, -2);
  }

  /**
   * Compiles a script body (without its shebang line, whose line feed is kept so line numbers stay right) as
   * f_<sha>. Returns null, or Redis's error text when it does not compile.
   */
  compile(sha: string, body: string): string | null {
    const L = this.L;
    const bytes = binaryToBytes(body);
    if (lauxlib.luaL_loadbuffer(L, bytes, bytes.length, '@user_script') !== lua.LUA_OK) {
      const msg = lua51ErrorText(toBinary(L, -1) ?? '');
      lua.lua_settop(L, 0);
      return `ERR Error compiling script (new function): ${msg}`;
    }
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, `f_${sha}`);
    return null;
  }

  /**
   * Runs the compiled script f_<sha> with KEYS and ARGV (luaCallFunction) and returns its reply, and whether
   * that reply is an error already counted in the error stats (it came from a command's error reply).
   */
  run(
    sha: string,
    keys: readonly string[],
    args: readonly string[],
    hooks: ScriptRunHooks,
    callerResp: Resp,
  ): { reply: Reply; counted: boolean } {
    const L = this.L;
    lua.lua_settop(L, 0);
    lua.lua_pushjsfunction(L, errorHandler);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, `f_${sha}`);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, REAL_GLOBALS);
    pushStringArray(L, keys);
    lua.lua_setfield(L, -2, 'KEYS');
    pushStringArray(L, args);
    lua.lua_setfield(L, -2, 'ARGV');
    lua.lua_pop(L, 1);
    return this.execute(0, sha, hooks, callerResp);
  }

  /**
   * Runs a function library's callback (FCALL, luaEngineCall): `pushCallback` pushes it; the keys and the
   * arguments are its two parameters, not globals. Errors name the function (`name`) where EVAL names the SHA1.
   */
  runCallback(
    pushCallback: (L: LuaState) => void,
    name: string,
    keys: readonly string[],
    args: readonly string[],
    hooks: ScriptRunHooks,
    callerResp: Resp,
  ): { reply: Reply; counted: boolean } {
    const L = this.L;
    lua.lua_settop(L, 0);
    lua.lua_pushjsfunction(L, errorHandler);
    pushCallback(L);
    pushStringArray(L, keys);
    pushStringArray(L, args);
    return this.execute(2, name, hooks, callerResp);
  }

  /** luaCallFunction: calls what is on the stack (error handler, function, nargs arguments) and converts its reply. */
  private execute(nargs: number, sha: string, hooks: ScriptRunHooks, callerResp: Resp): { reply: Reply; counted: boolean } {
    const L = this.L;
    this.current = hooks;
    const killHook = (l: LuaState) => {
      if (!hooks.shouldKill()) return;
      // As Redis: from now on on every line, so the script cannot pcall its way past the kill.
      lua.lua_sethook(l, killHook, lua.LUA_MASKLINE, 0);
      this.raiseTable(l, 'Script killed by user with SCRIPT KILL...');
    };
    lua.lua_sethook(L, killHook, lua.LUA_MASKCOUNT, 100000);
    let status: number;
    try {
      status = lua.lua_pcall(L, nargs, 1, 1);
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      this.current = null;
    }
    let reply: Reply;
    const counted = lua.lua_istable(L, -1) && countedError(L);
    if (status === lua.LUA_OK) {
      reply = popReply(L, hooks.resp, callerResp);
    } else if (lua.lua_istable(L, -1)) {
      reply = scriptErrorReply(L, sha);
    } else {
      const msg = toBinary(L, -1) ?? 'execution failure';
      reply = new ErrorReply(`ERR Error running script ${sha}, ${msg.slice(0, 100)}`.replace(/[\r\n]/g, ' '));
    }
    lua.lua_settop(L, 0);
    return { reply, counted: counted && reply instanceof ErrorReply };
  }
}

/** lua_rawset / lua_setmetatable on a read-only table: the error raised from C, without a position. */
function readonlyError(L: LuaState): never {
  lua.lua_pushstring(L, 'Attempt to modify a readonly table');
  return lua.lua_error(L);
}

/** Whether the table on top is an error table flagged as counted already. */
function countedError(L: LuaState): boolean {
  lua.lua_pushstring(L, 'err');
  const isError = lua.lua_rawget(L, -2) === lua.LUA_TSTRING;
  lua.lua_pop(L, 1);
  if (!isError) return false;
  lua.lua_getfield(L, -1, IGNORE_STATS);
  const flagged = lua.lua_type(L, -1) === lua.LUA_TBOOLEAN && lua.lua_toboolean(L, -1);
  lua.lua_pop(L, 1);
  return flagged;
}

function pushStringArray(L: LuaState, items: readonly string[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushBinary(L, items[i]);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/**
 * The reply for a script that raised (the error table from errorHandler on top): "<err> script: <sha>, on
 * <source>:<line>." as luaCallFunction builds it; newlines become spaces as in every Redis error reply.
 */
function scriptErrorReply(L: LuaState, sha: string): ErrorReply {
  const field = (name: string): string | null => {
    lua.lua_getfield(L, -1, name);
    const s = lua.lua_isstring(L, -1) ? toBinary(L, -1) : null;
    lua.lua_pop(L, 1);
    return s;
  };
  // A table raised without an err field crashes redis-server 7.0.15 (NULL message); answer a generic error.
  let msg = field('err') ?? 'ERR unknown error';
  const source = field('source');
  const line = field('line');
  if (source !== null && line !== null) msg += ` script: ${sha}, on ${source}:${line}.`;
  return new ErrorReply(msg.replace(/[\r\n]/g, ' '));
}

/**
 * Redis's __redis__err__handler: turns any error value into {err = 'ERR ' .. tostring(err)} and records where
 * it happened (the Lua code that called the failing library function, when a library function failed).
 */
const errorHandler: LuaJsFunction = (L) => {
  const ar = new lua.lua_Debug();
  let have = lua.lua_getstack(L, 1, ar) && lua.lua_getinfo(L, 'nSl', ar);
  if (have && isJsFrame(ar.what)) have = lua.lua_getstack(L, 2, ar) && lua.lua_getinfo(L, 'nSl', ar);
  if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
    const text = lua51ErrorText(toBinaryOrString(L, 1));
    lua.lua_settop(L, 0);
    lua.lua_newtable(L);
    pushBinary(L, 'ERR ' + text);
    lua.lua_setfield(L, -2, 'err');
  } else {
    lua.lua_settop(L, 1);
  }
  if (have) {
    lua.lua_pushstring(L, ar.source ?? '');
    lua.lua_setfield(L, 1, 'source');
    lua.lua_pushnumber(L, ar.currentline);
    lua.lua_setfield(L, 1, 'line');
  }
  return 1;
};

/** tostring() of any value, as a binary string. */
function toBinaryOrString(L: LuaState, idx: number): string {
  const bytes = lauxlib.luaL_tolstring(L, idx);
  lua.lua_pop(L, 1);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Lua 5.1's error(): numbers get the position prefix too (5.3 adds it to strings only). */
const luaError51: LuaJsFunction = (L) => {
  const level = lauxlib.luaL_optinteger(L, 2, 1);
  lua.lua_settop(L, 1);
  if (lua.lua_isstring(L, 1) && level > 0) {
    lauxlib.luaL_where(L, level);
    lua.lua_pushvalue(L, 1);
    lua.lua_concat(L, 2);
  }
  return lua.lua_error(L);
};

/** Redis's pcall (luaRedisPcall): an error table raised inside is returned as its err text, as before 7.0. */
const redisPcall: LuaJsFunction = (L) => {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return argError(L, 1, 'value expected');
  lua.lua_pushboolean(L, true);
  lua.lua_insert(L, 1);
  if (lua.lua_pcall(L, argc - 1, lua.LUA_MULTRET, 0) !== lua.LUA_OK) {
    lua.lua_remove(L, 1);
    if (lua.lua_istable(L, -1)) {
      lua.lua_getfield(L, -1, 'err');
      if (lua.lua_isstring(L, -1)) lua.lua_replace(L, -2);
    }
    lua.lua_pushboolean(L, false);
    lua.lua_insert(L, 1);
  }
  return lua.lua_gettop(L);
};

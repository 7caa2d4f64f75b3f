import { binaryToBytes, bytesToBinary } from '../bytes.js';
import { ReplyParser } from '../resp/reply-parser.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  formatDouble,
  type Reply,
} from '../resp/reply.js';
import { lua, type LuaState } from './fengari.js';
import { formatG } from './number-format.js';

/**
 * Conversions between Redis replies and Lua values, as Redis 7.0's script_lua.c does them: redis.call's reply
 * into Lua (redisProtocolToLuaType_*), the script's return value into a reply (luaReplyToRedisReply), and
 * redis.call's arguments into argv (luaArgsToRedisArgv).
 */

/** RESP version of the script's client (redis.setresp) or of the caller. */
export type Resp = 2 | 3;

/** Pushes a binary string (one char per byte) as a Lua string. */
export function pushBinary(L: LuaState, s: string): void {
  lua.lua_pushstring(L, binaryToBytes(s));
}

/** The Lua string (or number, converted) at idx as a binary string, or null. */
export function toBinary(L: LuaState, idx: number): string | null {
  const b = lua.lua_tolstring(L, idx);
  return b === null ? null : bytesToBinary(b);
}

/**
 * The text of redis.pcall's error table for an error buffer (luaPushErrorBuff): "-CODE msg" keeps its code,
 * anything else gets "ERR"; trailing CR/LF are trimmed.
 */
export function errorTableText(buffer: string): string {
  let code = 'ERR';
  let msg = buffer;
  if (buffer.startsWith('-')) {
    const sp = buffer.indexOf(' ');
    if (sp < 0) {
      msg = buffer.slice(1);
    } else {
      code = buffer.slice(1, sp);
      msg = buffer.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  return `${code} ${msg}`;
}

/**
 * Pushes {err = <text>} for an error buffer (see errorTableText). `counted`: the error was already counted in
 * the error stats (a command's error reply), so the script's reply made of it must not count it again (Redis's
 * ignore_error_stats_update field).
 */
export function pushErrorTable(L: LuaState, buffer: string, counted = false): void {
  lua.lua_createtable(L, 0, 2);
  pushBinary(L, errorTableText(buffer));
  lua.lua_setfield(L, -2, 'err');
  if (counted) {
    lua.lua_pushboolean(L, true);
    lua.lua_setfield(L, -2, IGNORE_STATS);
  }
}

/** The field marking an error table whose error was counted already. */
export const IGNORE_STATS = 'ignore_error_stats_update';

/** Pushes a command's reply as redis.call returns it to Lua, for a script client speaking `resp`. */
export function pushReply(L: LuaState, r: Reply, resp: Resp): void {
  lua.lua_checkstack(L, 4);
  if (typeof r === 'string') {
    pushBinary(L, r);
  } else if (typeof r === 'number' || typeof r === 'bigint') {
    // Lua 5.1 has only doubles.
    lua.lua_pushnumber(L, Number(r));
  } else if (r === null || r instanceof NullArray) {
    if (resp === 2) lua.lua_pushboolean(L, false);
    else lua.lua_pushnil(L);
  } else if (Array.isArray(r)) {
    pushArray(L, r, resp);
  } else if (r instanceof SimpleString) {
    lua.lua_createtable(L, 0, 1);
    pushBinary(L, r.value);
    lua.lua_setfield(L, -2, 'ok');
  } else if (r instanceof ErrorReply) {
    pushErrorTable(L, '-' + r.message, true);
  } else if (r instanceof DoubleReply) {
    if (resp === 2) {
      pushBinary(L, formatDouble(r.value));
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushnumber(L, r.value);
      lua.lua_setfield(L, -2, 'double');
    }
  } else if (r instanceof MapReply) {
    if (resp === 2) {
      pushArray(
        L,
        r.entries.flatMap(([k, v]) => [k, v]),
        resp,
      );
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, r.entries.length);
      for (const [k, v] of r.entries) {
        pushReply(L, k, resp);
        pushReply(L, v, resp);
        lua.lua_settable(L, -3);
      }
      lua.lua_setfield(L, -2, 'map');
    }
  } else if (r instanceof SetReply) {
    if (resp === 2) {
      pushArray(L, r.items, resp);
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, r.items.length);
      for (const item of r.items) {
        pushReply(L, item, resp);
        lua.lua_pushboolean(L, true);
        lua.lua_settable(L, -3);
      }
      lua.lua_setfield(L, -2, 'set');
    }
  } else if (r instanceof BoolReply) {
    if (resp === 2) lua.lua_pushnumber(L, r.value ? 1 : 0);
    else lua.lua_pushboolean(L, r.value);
  } else if (r instanceof VerbatimReply) {
    if (resp === 2) {
      pushBinary(L, r.text);
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, 2);
      pushBinary(L, r.text);
      lua.lua_setfield(L, -2, 'string');
      pushBinary(L, r.format);
      lua.lua_setfield(L, -2, 'format');
      lua.lua_setfield(L, -2, 'verbatim_string');
    }
  } else if (r instanceof PushReply) {
    pushArray(L, r.items, resp);
  } else if (r instanceof RawReply && r.bytes[0] === 0x28 /* ( */) {
    // A RESP3 big number (the reply parser would make it a bigint, which is an integer to Lua): {big_number=s}.
    let s = '';
    for (let i = 1; i < r.bytes.length && r.bytes[i] !== 0x0d; i++) s += String.fromCharCode(r.bytes[i]);
    lua.lua_createtable(L, 0, 1);
    pushBinary(L, s);
    lua.lua_setfield(L, -2, 'big_number');
  } else if (r instanceof RawReply) {
    const parser = new ReplyParser();
    parser.push(r.bytes);
    const decoded = parser.next();
    if (decoded === undefined) lua.lua_pushboolean(L, false);
    else pushReply(L, decoded, resp);
  } else {
    lua.lua_pushnil(L);
  }
}

function pushArray(L: LuaState, items: readonly Reply[], resp: Resp): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    lua.lua_pushnumber(L, i + 1);
    pushReply(L, items[i], resp);
    lua.lua_settable(L, -3);
  }
}

/** How deep nested tables may go in a script's reply (Redis stops where its Lua stack check fails). */
const MAX_REPLY_DEPTH = 1000;

/**
 * Converts the value on top of the stack into the script's reply and pops it (luaReplyToRedisReply).
 * `scriptResp` is the script client's protocol (booleans), `callerResp` the caller's (big numbers).
 */
export function popReply(L: LuaState, scriptResp: Resp, callerResp: Resp, depth = 0): Reply {
  const r = toReply(L, scriptResp, callerResp, depth);
  lua.lua_pop(L, 1);
  return r;
}

function toReply(L: LuaState, scriptResp: Resp, callerResp: Resp, depth: number): Reply {
  if (depth > MAX_REPLY_DEPTH || !lua.lua_checkstack(L, 4)) return new ErrorReply('ERR reached lua stack limit');
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) return toBinary(L, -1) as string;
  if (t === lua.LUA_TBOOLEAN) {
    const b = lua.lua_toboolean(L, -1);
    if (scriptResp === 2) return b ? 1 : null;
    return new BoolReply(b);
  }
  if (t === lua.LUA_TNUMBER) return luaNumberToInteger(lua.lua_tonumber(L, -1));
  if (t !== lua.LUA_TTABLE) return null;

  if (rawField(L, 'err') === lua.LUA_TSTRING) {
    lua.lua_pop(L, 1);
    lua.lua_getfield(L, -1, 'err');
    const msg = toBinary(L, -1) ?? '';
    lua.lua_pop(L, 1);
    return new ErrorReply(msg.replace(/[\r\n]/g, ' '));
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'ok') === lua.LUA_TSTRING) {
    const s = toBinary(L, -1) as string;
    lua.lua_pop(L, 1);
    return new SimpleString(s.replace(/[\r\n]/g, ' '));
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'double') === lua.LUA_TNUMBER) {
    const d = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return new DoubleReply(d);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'big_number') === lua.LUA_TSTRING) {
    const s = (toBinary(L, -1) as string).replace(/[\r\n]/g, ' ');
    lua.lua_pop(L, 1);
    return callerResp === 2 ? s : new RawReply(binaryToBytes(`(${s}\r\n`));
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'verbatim_string') === lua.LUA_TTABLE) {
    if (rawField(L, 'format') === lua.LUA_TSTRING) {
      const format = toBinary(L, -1) as string;
      lua.lua_pop(L, 1);
      if (rawField(L, 'string') === lua.LUA_TSTRING) {
        const text = toBinary(L, -1) as string;
        lua.lua_pop(L, 2);
        return new VerbatimReply(format.slice(0, 3), text);
      }
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'map') === lua.LUA_TTABLE) {
    const entries: Array<[Reply, Reply]> = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2)) {
      lua.lua_pushvalue(L, -2);
      const k = popReply(L, scriptResp, callerResp, depth + 1);
      const v = popReply(L, scriptResp, callerResp, depth + 1);
      entries.push([k, v]);
    }
    lua.lua_pop(L, 1);
    return new MapReply(entries);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'set') === lua.LUA_TTABLE) {
    const items: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2)) {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      items.push(popReply(L, scriptResp, callerResp, depth + 1));
    }
    lua.lua_pop(L, 1);
    return new SetReply(items);
  }
  lua.lua_pop(L, 1);
  const items: Reply[] = [];
  for (let j = 1; ; j++) {
    if (lua.lua_rawgeti(L, -1, j) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(popReply(L, scriptResp, callerResp, depth + 1));
  }
  return items;
}

/** Pushes t[name] (raw) of the table on top and returns its type. */
function rawField(L: LuaState, name: string): number {
  lua.lua_pushstring(L, name);
  return lua.lua_rawget(L, -2);
}

const LLONG_MIN = -9223372036854775808n;

/** C's (long long) cast of a Lua number: truncation; x86 gives LLONG_MIN for NaN and out-of-range values. */
export function luaNumberToInteger(d: number): number | bigint {
  if (!Number.isFinite(d) || d >= 9223372036854775808 || d < -9223372036854775808) return LLONG_MIN;
  const t = Math.trunc(d);
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  return BigInt(t);
}

/**
 * redis.call's arguments as argv (luaArgsToRedisArgv): numbers are formatted "%.17g", strings taken as
 * bytes; anything else is refused. Returns an error buffer for pushErrorTable instead when refused.
 */
export function luaArgsToArgv(L: LuaState): string[] | { error: string } {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return { error: 'Please specify at least one argument for this redis lib call' };
  const argv: string[] = [];
  for (let j = 1; j <= argc; j++) {
    const t = lua.lua_type(L, j);
    if (t === lua.LUA_TNUMBER) {
      argv.push(formatG(lua.lua_tonumber(L, j), 17));
    } else if (t === lua.LUA_TSTRING) {
      argv.push(toBinary(L, j) as string);
    } else {
      lua.lua_settop(L, 0);
      return { error: 'Lua redis lib command arguments must be strings or integers' };
    }
  }
  lua.lua_settop(L, 0);
  return argv;
}

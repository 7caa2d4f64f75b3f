import { binaryToBytes, bytesToBinary } from '../bytes.js';
import { lauxlib, lua, type LuaJsFunction, type LuaState } from './fengari.js';
import { lua51ErrorText, raiseError } from './lua-errors.js';

/*
 * Lua 5.1's load(func [, chunkname]) and loadstring(s [, chunkname]) as Redis 7.0 builds them: its Lua refuses
 * precompiled chunks (ldo.c's f_parser always runs the text parser), so a chunk starting with the bytecode
 * signature's escape byte fails to parse like any other unexpected symbol, and loadstring(string.dump(f))
 * gives nil and "[string "..."]:1: unexpected symbol near 'char(27)'".
 */

const ESC = 0x1b;
/** A byte the lexer also reads as a single-character token, so parsing fails at the same point. */
const STAND_IN = 0x01;
const STAND_IN_TOKEN = "'<\\1>'";

/**
 * Lua 5.1's luaO_chunkid for a string chunk: `[string "first line..."]` in `size` bytes at most (60 in debug
 * information, 80 in the lexer's and parser's messages).
 */
function chunkId51(source: Uint8Array, size: number): string {
  let len = 0;
  while (len < source.length && source[len] !== 0x0a && source[len] !== 0x0d) len++;
  const max = size - 17;
  const text = bytesToBinary(source.subarray(0, Math.min(len, max)));
  return len > max || len < source.length ? `[string "${text}..."]` : `[string "${text}"]`;
}

/**
 * The chunk name (a C string: up to its first NUL) as handed to fengari, and the id compile errors start with
 * instead: a plain string's id follows Lua 5.1's rules (fengari's differ in length and line ends), so it is
 * given ready made ("=" shows a name as it is).
 */
function chunkNames(name: Uint8Array): { name: Uint8Array; compileId: [string, string] | null } {
  const nul = name.indexOf(0);
  const cname = nul < 0 ? name : name.subarray(0, nul);
  if (cname[0] === 0x3d || cname[0] === 0x40) return { name: cname, compileId: null }; // '=' or '@'
  const id = chunkId51(cname, 60);
  return { name: binaryToBytes(`=${id}`), compileId: [id, chunkId51(cname, 80)] };
}

/** load_aux: the function, or nil and the error message (in Lua 5.1's wording). */
function loadResult(L: LuaState, status: number, binary: boolean, compileId: [string, string] | null): number {
  if (status === lua.LUA_OK) return 1;
  if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
    // A runtime error of the reader went through the script's error handler (an error table), as in Redis.
    lua.lua_pushnil(L);
    lua.lua_insert(L, -2);
    return 2;
  }
  let msg = bytesToBinary(lua.lua_tolstring(L, -1) ?? new Uint8Array());
  if (binary) msg = msg.replace(STAND_IN_TOKEN, "'char(27)'");
  if (compileId !== null && msg.startsWith(`${compileId[0]}:`)) msg = compileId[1] + msg.slice(compileId[0].length);
  lua.lua_pop(L, 1);
  lua.lua_pushnil(L);
  lua.lua_pushstring(L, binaryToBytes(lua51ErrorText(msg)));
  return 2;
}

/** loadstring(s [, chunkname]). */
export const luaLoadstring51: LuaJsFunction = (L) => {
  const s = lauxlib.luaL_checklstring(L, 1);
  const name = lauxlib.luaL_optlstring(L, 2, s);
  const binary = s.length > 0 && s[0] === ESC;
  let chunk = s;
  if (binary) {
    chunk = Uint8Array.from(s);
    chunk[0] = STAND_IN;
  }
  const names = chunkNames(name);
  return loadResult(L, lauxlib.luaL_loadbufferx(L, chunk, chunk.length, names.name, 't'), binary, names.compileId);
};

/** load(func [, chunkname]): the chunk is the concatenation of the strings func returns until nil or "". */
export const luaLoad51: LuaJsFunction = (L) => {
  const name = lauxlib.luaL_optlstring(L, 2, '=(load)');
  lauxlib.luaL_checktype(L, 1, lua.LUA_TFUNCTION);
  lua.lua_settop(L, 3);
  let first = true;
  let binary = false;
  const reader = (l: LuaState): Uint8Array | null => {
    lauxlib.luaL_checkstack(l, 2, 'too many nested functions');
    lua.lua_pushvalue(l, 1);
    lua.lua_call(l, 0, 1);
    if (lua.lua_isnil(l, -1)) {
      lua.lua_pop(l, 1);
      return null;
    }
    if (!lua.lua_isstring(l, -1)) return raiseError(l, 'reader function must return a string');
    lua.lua_replace(l, 3);
    let piece = lua.lua_tolstring(l, 3) as Uint8Array;
    if (first && piece.length > 0) {
      first = false;
      if (piece[0] === ESC) {
        binary = true;
        piece = Uint8Array.from(piece);
        piece[0] = STAND_IN;
      }
    }
    return piece;
  };
  const names = chunkNames(name);
  return loadResult(L, lua.lua_load(L, reader, null, names.name, 't'), binary, names.compileId);
};

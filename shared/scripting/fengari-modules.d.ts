/**
 * The parts of fengari (a Lua 5.3 VM in JS, CommonJS) the scripting engine uses. Lua strings are byte arrays;
 * API functions taking names also accept JS strings (encoded as UTF-8).
 */

declare module 'fengari/src/lua.js' {
  /** A Lua thread (lua_State). */
  export interface LuaState {
    readonly __luaState: true;
  }
  export type LuaJsFunction = (L: LuaState) => number;
  type Str = Uint8Array | string;
  export class lua_Debug {
    source: Uint8Array | null;
    what: Uint8Array | null;
    currentline: number;
    short_src: Uint8Array | null;
  }
  interface LuaApi {
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_RIDX_GLOBALS: number;
    readonly LUA_MULTRET: number;
    readonly LUA_OK: number;
    readonly LUA_TNONE: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TLIGHTUSERDATA: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TFUNCTION: number;
    readonly lua_Debug: typeof lua_Debug;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_MASKLINE: number;
    lua_sethook(L: LuaState, hook: ((L: LuaState, ar: lua_Debug) => void) | null, mask: number, count: number): void;
    lua_atnativeerror(L: LuaState, f: LuaJsFunction): void;
    lua_absindex(L: LuaState, idx: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_concat(L: LuaState, n: number): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, idx: number, k: Str): number;
    lua_getglobal(L: LuaState, name: Str): number;
    lua_gettable(L: LuaState, idx: number): number;
    lua_getinfo(L: LuaState, what: Str, ar: lua_Debug): boolean;
    lua_getmetatable(L: LuaState, idx: number): boolean;
    lua_getstack(L: LuaState, level: number, ar: lua_Debug): boolean;
    lua_gettop(L: LuaState): number;
    lua_insert(L: LuaState, idx: number): void;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_isnil(L: LuaState, idx: number): boolean;
    lua_isnumber(L: LuaState, idx: number): boolean;
    lua_isstring(L: LuaState, idx: number): boolean;
    lua_istable(L: LuaState, idx: number): boolean;
    lua_load(L: LuaState, reader: (L: LuaState, data: unknown) => Uint8Array | null, data: unknown, chunkname: Str, mode: Str | null): number;
    lua_newtable(L: LuaState): void;
    lua_next(L: LuaState, idx: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
    lua_pushcclosure(L: LuaState, f: LuaJsFunction, n: number): void;
    lua_upvalueindex(i: number): number;
    lua_pushlightuserdata(L: LuaState, p: unknown): void;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Str): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawget(L: LuaState, idx: number): number;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_replace(L: LuaState, idx: number): void;
    lua_setfield(L: LuaState, idx: number, k: Str): void;
    lua_setglobal(L: LuaState, name: Str): void;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_settable(L: LuaState, idx: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tolstring(L: LuaState, idx: number): Uint8Array | null;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_type(L: LuaState, idx: number): number;
  }
  const lua: LuaApi;
  export default lua;
}

declare module 'fengari/src/lauxlib.js' {
  import type { LuaJsFunction, LuaState } from 'fengari/src/lua.js';
  type Str = Uint8Array | string;
  interface LauxlibApi {
    luaL_newstate(): LuaState;
    luaL_requiref(L: LuaState, modname: Str, openf: LuaJsFunction, glb: boolean | number): void;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): Uint8Array;
    luaL_checkany(L: LuaState, arg: number): void;
    luaL_checktype(L: LuaState, arg: number, t: number): void;
    luaL_optlstring(L: LuaState, arg: number, def: Str): Uint8Array;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_argerror(L: LuaState, arg: number, extramsg: Str): never;
    luaL_where(L: LuaState, level: number): void;
    luaL_len(L: LuaState, idx: number): number;
    luaL_checkstack(L: LuaState, space: number, msg: Str): void;
    luaL_loadbuffer(L: LuaState, buff: Uint8Array, size: number, name: Str): number;
    luaL_loadbufferx(L: LuaState, buff: Uint8Array, size: number, name: Str, mode: Str | null): number;
    luaL_tolstring(L: LuaState, idx: number): Uint8Array;
  }
  const lauxlib: LauxlibApi;
  export default lauxlib;
}

declare module 'fengari/src/lualib.js' {
  import type { LuaJsFunction } from 'fengari/src/lua.js';
  /** The standard library openers (io, os, package and debug exist too but are never opened). */
  const lib: {
    luaopen_base: LuaJsFunction;
    luaopen_string: LuaJsFunction;
    luaopen_table: LuaJsFunction;
    luaopen_math: LuaJsFunction;
    luaopen_coroutine: LuaJsFunction;
  };
  export default lib;
}

declare module 'fengari/src/luaconf.js' {
  /** Number formatting for tostring (patched before the VM modules load: see fengari-setup.ts). */
  const conf: { LUA_COMPAT_FLOATSTRING: boolean; lua_number2str: (n: number) => string };
  export default conf;
}

declare module 'fengari/src/lobject.js' {
  /** A Lua value cell (only what the patches in fengari.ts touch). */
  export interface TValue {
    value: unknown;
    ttisinteger(): boolean;
    ttisnumber(): boolean;
    ttisnil(): boolean;
    setfltvalue(x: number): void;
    setfrom(o: TValue): void;
  }
  const lobject: { luaO_str2num: (s: Uint8Array, o: TValue) => number; TValue: new (type: number, value: unknown) => TValue };
  export default lobject;
}

declare module 'fengari/src/ltable.js' {
  import type { TValue } from 'fengari/src/lobject.js';
  /** A table: its entries by hash (numbers hash to themselves), linked in insertion order. */
  export interface Table {
    strong: Map<unknown, { key: TValue; value: TValue }>;
    /** Lua 5.1 traversal order state (see fengari.ts). */
    border51?: number;
  }
  /** What luaH_next reads and writes: the stack slots of the key and the value. */
  export interface LuaStateStack {
    stack: TValue[];
  }
  const ltable: { luaH_next: (L: LuaStateStack, t: Table, keyI: number) => boolean };
  export default ltable;
}

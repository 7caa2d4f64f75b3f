import lauxlib from 'fengari/src/lauxlib.js';
import lua, { type LuaState } from 'fengari/src/lua.js';

/*
 * Lua 5.1's libraries take integer arguments as (int) casts of any number ("%d" formats 1.7e12 or 2.9 alike);
 * Lua 5.3's refuse numbers without an exact integer representation, which in fengari means beyond 32 bits.
 * The libraries copy these two functions when they load, so they are replaced here, before fengari.ts loads
 * them (this module is imported right after fengari-setup.ts).
 */
function checkInteger51(L: LuaState, arg: number): number {
  const d = lauxlib.luaL_checknumber(L, arg);
  return Number.isFinite(d) ? Math.trunc(d) : 0;
}
lauxlib.luaL_checkinteger = checkInteger51;
lauxlib.luaL_optinteger = (L, arg, def) => (lua.lua_type(L, arg) <= lua.LUA_TNIL ? def : checkInteger51(L, arg));

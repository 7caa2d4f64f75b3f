import { binaryToBytes } from '../bytes.js';
import { lauxlib, lua, type LuaState } from './fengari.js';

/**
 * luaL_error: raises `message` prefixed with the position of the Lua code that called the running JS function
 * ("user_script:3: "), as Redis's C library functions report their errors.
 */
export function raiseError(L: LuaState, message: string): never {
  lauxlib.luaL_where(L, 1);
  lua.lua_pushstring(L, binaryToBytes(message));
  lua.lua_concat(L, 2);
  return lua.lua_error(L);
}

/** luaL_argerror: "bad argument #<arg> to '<function>' (<message>)". */
export function argError(L: LuaState, arg: number, message: string): never {
  return lauxlib.luaL_argerror(L, arg, binaryToBytes(message));
}

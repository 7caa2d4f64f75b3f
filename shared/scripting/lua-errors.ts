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

/** Lua 5.3 phrases "a nil value (local 'x')" what Lua 5.1 phrased "local 'x' (a nil value)". */
const VARINFO_53 = /attempt to ([a-z ]+?) a (\w+) value \((global|local|field|upvalue|method|constant) '([^']*)'\)/g;

/**
 * Rewrites fengari's (Lua 5.3) error texts into Lua 5.1's where they differ only in wording: variable info, the
 * end of the chunk ('<eof>' quoted) and control characters as tokens (5.3's '<\1>' is 5.1's 'char(1)').
 */
export function lua51ErrorText(msg: string): string {
  return msg
    .replace(VARINFO_53, "attempt to $1 $3 '$4' (a $2 value)")
    .replace(/ near <eof>$/, " near '<eof>'")
    .replace(/ near '<\\(\d+)>'/, " near 'char($1)'");
}

import { lauxlib, lua, type LuaJsFunction, type LuaState } from './fengari.js';
import { pushBinary } from './lua-conversions.js';

/**
 * The `bit` library of Redis's Lua (LuaBitOp, deps/lua/src/lua_bit.c): 32-bit operations on numbers, results
 * signed. Arguments are normalized as LuaBitOp does with doubles: rounded to nearest (ties to even), modulo 2^32.
 */

/** barg: a number argument as a signed 32-bit value. */
function barg(L: LuaState, i: number): number {
  const x = lauxlib.luaL_checknumber(L, i);
  if (!Number.isFinite(x)) return 0;
  const f = Math.floor(x);
  const diff = x - f;
  let r = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  r %= 4294967296;
  return r | 0;
}

function result(L: LuaState, b: number): number {
  lua.lua_pushnumber(L, b | 0);
  return 1;
}

const fold =
  (op: (a: number, b: number) => number): LuaJsFunction =>
  (L) => {
    let b = barg(L, 1);
    for (let i = lua.lua_gettop(L); i > 1; i--) b = op(b, barg(L, i));
    return result(L, b);
  };

const shift =
  (op: (b: number, n: number) => number): LuaJsFunction =>
  (L) =>
    result(L, op(barg(L, 1), barg(L, 2) & 31));

const FUNCTIONS: Record<string, LuaJsFunction> = {
  tobit: (L) => result(L, barg(L, 1)),
  bnot: (L) => result(L, ~barg(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: shift((b, n) => b << n),
  rshift: shift((b, n) => b >>> n),
  arshift: shift((b, n) => b >> n),
  rol: shift((b, n) => (b << n) | (b >>> (32 - n))),
  ror: shift((b, n) => (b >>> n) | (b << (32 - n))),
  bswap: (L) => {
    const b = barg(L, 1);
    return result(L, ((b >>> 24) & 0xff) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
  },
  tohex: (L) => {
    let b = barg(L, 1) >>> 0;
    let n = lua.lua_type(L, 2) <= lua.LUA_TNIL ? 8 : barg(L, 2);
    const upper = n < 0;
    if (upper) n = -n;
    if (n > 8) n = 8;
    const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
    let s = '';
    for (let i = 0; i < n; i++) {
      s = digits[b & 15] + s;
      b >>>= 4;
    }
    pushBinary(L, s);
    return 1;
  },
};

/** Pushes the bit table. */
export function pushBit(L: LuaState): void {
  lua.lua_newtable(L);
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
}

import { bytesToBinary } from '../bytes.js';
import { lauxlib, lua, type LuaJsFunction, type LuaState } from './fengari.js';
import { argError, raiseError } from './lua-errors.js';
import { pushBinary, toBinary } from './lua-conversions.js';

/**
 * The `cmsgpack` library of Redis's Lua (deps/lua/src/lua_cmsgpack.c, lua-cmsgpack 0.4.0 built for Lua 5.1):
 * pack(...) and unpack / unpack_one / unpack_limit, with its integer and float encodings, its array test
 * (keys 1..n without holes), and tables nested deeper than 16 packed as nil.
 */

const MAX_NESTING = 16;

class Writer {
  parts: number[] = [];
  bytes(...b: number[]): void {
    for (const x of b) this.parts.push(x & 0xff);
  }
  be(value: bigint, size: number): void {
    for (let i = size - 1; i >= 0; i--) this.parts.push(Number((value >> BigInt(i * 8)) & 0xffn));
  }
}

function encodeBytes(w: Writer, s: string): void {
  const len = s.length;
  if (len < 32) w.bytes(0xa0 | len);
  else if (len <= 0xff) w.bytes(0xd9, len);
  else if (len <= 0xffff) w.bytes(0xda, len >> 8, len);
  else {
    w.bytes(0xdb);
    w.be(BigInt(len), 4);
  }
  for (let i = 0; i < len; i++) w.parts.push(s.charCodeAt(i));
}

function encodeInt(w: Writer, n: bigint): void {
  if (n >= 0n) {
    if (n <= 127n) w.bytes(Number(n));
    else if (n <= 0xffn) w.bytes(0xcc, Number(n));
    else if (n <= 0xffffn) {
      w.bytes(0xcd);
      w.be(n, 2);
    } else if (n <= 0xffffffffn) {
      w.bytes(0xce);
      w.be(n, 4);
    } else {
      w.bytes(0xcf);
      w.be(n, 8);
    }
  } else if (n >= -32n) w.bytes(Number(n));
  else if (n >= -128n) w.bytes(0xd0, Number(n));
  else if (n >= -32768n) {
    w.bytes(0xd1);
    w.be(BigInt.asUintN(16, n), 2);
  } else if (n >= -2147483648n) {
    w.bytes(0xd2);
    w.be(BigInt.asUintN(32, n), 4);
  } else {
    w.bytes(0xd3);
    w.be(BigInt.asUintN(64, n), 8);
  }
}

const view = new DataView(new ArrayBuffer(8));

function encodeNumber(w: Writer, d: number): void {
  // IS_INT64_EQUIVALENT: finite and (int64_t)d == d.
  if (Number.isFinite(d) && Math.trunc(d) === d && d >= -9223372036854775808 && d < 9223372036854775808) {
    encodeInt(w, BigInt(d));
    return;
  }
  if (Math.fround(d) === d) {
    view.setFloat32(0, d);
    w.bytes(0xca, view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
  } else {
    view.setFloat64(0, d);
    w.bytes(0xcb);
    for (let i = 0; i < 8; i++) w.bytes(view.getUint8(i));
  }
}

/** table_is_an_array (Lua 5.1 build): only keys 1..n, n the count. */
function isArray(L: LuaState): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    lua.lua_pop(L, 1);
    const n = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : NaN;
    if (!(n > 0) || (n | 0) !== n) {
      lua.lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  return max === count;
}

function encodeValue(L: LuaState, w: Writer, level: number): void {
  let t = lua.lua_type(L, -1);
  if (t === lua.LUA_TTABLE && level === MAX_NESTING) t = lua.LUA_TNIL;
  switch (t) {
    case lua.LUA_TSTRING:
      encodeBytes(w, toBinary(L, -1) as string);
      break;
    case lua.LUA_TBOOLEAN:
      w.bytes(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case lua.LUA_TNUMBER:
      encodeNumber(w, lua.lua_tonumber(L, -1));
      break;
    case lua.LUA_TTABLE:
      lauxlib.luaL_checkstack(L, 3, 'in function mp_encode_lua_table');
      if (isArray(L)) {
        const len = lua.lua_rawlen(L, -1);
        if (len <= 15) w.bytes(0x90 | len);
        else if (len <= 65535) w.bytes(0xdc, len >> 8, len);
        else {
          w.bytes(0xdd);
          w.be(BigInt(len), 4);
        }
        for (let j = 1; j <= len; j++) {
          lua.lua_pushnumber(L, j);
          lua.lua_gettable(L, -2);
          encodeValue(L, w, level + 1);
        }
      } else {
        let len = 0;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          lua.lua_pop(L, 1);
          len++;
        }
        if (len <= 15) w.bytes(0x80 | len);
        else if (len <= 65535) w.bytes(0xde, len >> 8, len);
        else {
          w.bytes(0xdf);
          w.be(BigInt(len), 4);
        }
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          lua.lua_pushvalue(L, -2);
          encodeValue(L, w, level + 1);
          encodeValue(L, w, level + 1);
        }
      }
      break;
    default:
      w.bytes(0xc0);
  }
  lua.lua_pop(L, 1);
}

const pack: LuaJsFunction = (L) => {
  const nargs = lua.lua_gettop(L);
  if (nargs === 0) return argError(L, 0, 'MessagePack pack needs input.');
  const w = new Writer();
  for (let i = 1; i <= nargs; i++) {
    lauxlib.luaL_checkstack(L, 1, 'in function mp_check');
    lua.lua_pushvalue(L, i);
    encodeValue(L, w, 0);
  }
  pushBinary(L, bytesToBinary(Uint8Array.from(w.parts)));
  return 1;
};

/** Thrown inside decoding: the cursor ran out (EOF) or met a byte no type starts with. */
class DecodeError {
  constructor(readonly eof: boolean) {}
}

class Cursor {
  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}
  get left(): number {
    return this.data.length - this.pos;
  }
  need(n: number): void {
    if (this.left < n) throw new DecodeError(true);
  }
  be(offset: number, size: number): bigint {
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.data[this.pos + offset + i]);
    return v;
  }
  str(offset: number, len: number): string {
    return bytesToBinary(this.data, this.pos + offset, this.pos + offset + len);
  }
}

function decodeArray(L: LuaState, c: Cursor, len: number): void {
  lua.lua_newtable(L);
  lauxlib.luaL_checkstack(L, 1, 'in function mp_decode_to_lua_array');
  for (let i = 1; i <= len; i++) {
    lua.lua_pushnumber(L, i);
    decodeValue(L, c);
    lua.lua_settable(L, -3);
  }
}

function decodeMap(L: LuaState, c: Cursor, len: number): void {
  lua.lua_newtable(L);
  for (let i = 0; i < len; i++) {
    decodeValue(L, c);
    decodeValue(L, c);
    lua.lua_settable(L, -3);
  }
}

function decodeValue(L: LuaState, c: Cursor): void {
  c.need(1);
  lauxlib.luaL_checkstack(L, 1, 'too many return values at once; use unpack_one or unpack_limit instead.');
  const b = c.data[c.pos];
  const fixedInt = (size: number, signed: boolean) => {
    c.need(1 + size);
    let v = c.be(1, size);
    if (signed) v = BigInt.asIntN(size * 8, v);
    lua.lua_pushnumber(L, Number(v));
    c.pos += 1 + size;
  };
  const raw = (lenSize: number) => {
    c.need(1 + lenSize);
    const len = Number(c.be(1, lenSize));
    c.need(1 + lenSize + len);
    pushBinary(L, c.str(1 + lenSize, len));
    c.pos += 1 + lenSize + len;
  };
  const container = (lenSize: number, map: boolean) => {
    c.need(1 + lenSize);
    const len = Number(c.be(1, lenSize));
    c.pos += 1 + lenSize;
    if (map) decodeMap(L, c, len);
    else decodeArray(L, c, len);
  };
  switch (b) {
    case 0xcc:
      return fixedInt(1, false);
    case 0xd0:
      return fixedInt(1, true);
    case 0xcd:
      return fixedInt(2, false);
    case 0xd1:
      return fixedInt(2, true);
    case 0xce:
      return fixedInt(4, false);
    case 0xd2:
      return fixedInt(4, true);
    case 0xcf:
      return fixedInt(8, false);
    case 0xd3:
      return fixedInt(8, true);
    case 0xc0:
      lua.lua_pushnil(L);
      c.pos++;
      return;
    case 0xc3:
    case 0xc2:
      lua.lua_pushboolean(L, b === 0xc3);
      c.pos++;
      return;
    case 0xca:
      c.need(5);
      view.setUint32(0, Number(c.be(1, 4)));
      lua.lua_pushnumber(L, view.getFloat32(0));
      c.pos += 5;
      return;
    case 0xcb:
      c.need(9);
      view.setBigUint64(0, c.be(1, 8));
      lua.lua_pushnumber(L, view.getFloat64(0));
      c.pos += 9;
      return;
    case 0xd9:
      return raw(1);
    case 0xda:
      return raw(2);
    case 0xdb:
      return raw(4);
    case 0xdc:
      return container(2, false);
    case 0xdd:
      return container(4, false);
    case 0xde:
      return container(2, true);
    case 0xdf:
      return container(4, true);
  }
  if ((b & 0x80) === 0) {
    lua.lua_pushnumber(L, b);
    c.pos++;
  } else if ((b & 0xe0) === 0xe0) {
    lua.lua_pushnumber(L, b - 256);
    c.pos++;
  } else if ((b & 0xe0) === 0xa0) {
    const len = b & 0x1f;
    c.need(1 + len);
    pushBinary(L, c.str(1, len));
    c.pos += 1 + len;
  } else if ((b & 0xf0) === 0x90) {
    c.pos++;
    decodeArray(L, c, b & 0xf);
  } else if ((b & 0xf0) === 0x80) {
    c.pos++;
    decodeMap(L, c, b & 0xf);
  } else {
    throw new DecodeError(false);
  }
}

/** mp_unpack_full: limit 0 and offset 0 decode everything; otherwise the next offset (-1 at the end) comes first. */
function unpackFull(L: LuaState, limit: number, offset: number): number {
  const data = lauxlib.luaL_checklstring(L, 1);
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    return raiseError(L, `Invalid request to unpack with offset of ${offset} and limit of ${data.length}.`);
  }
  if (offset > data.length) return raiseError(L, `Start offset ${offset} greater than input length ${data.length}.`);
  const max = decodeAll ? Number.MAX_SAFE_INTEGER : limit;
  const c = new Cursor(data, offset);
  let cnt = 0;
  for (; c.left > 0 && cnt < max; cnt++) {
    try {
      decodeValue(L, c);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return raiseError(L, e.eof ? 'Missing bytes in input.' : 'Bad data format in input.');
    }
  }
  if (!decodeAll) {
    lua.lua_pushnumber(L, c.left === 0 ? -1 : c.pos);
    lua.lua_insert(L, 2);
    cnt++;
  }
  return cnt;
}

/** Pushes the cmsgpack table. */
export function pushCmsgpack(L: LuaState): void {
  lua.lua_newtable(L);
  const fns: Record<string, LuaJsFunction> = {
    pack,
    unpack: (l) => unpackFull(l, 0, 0),
    unpack_one: (l) => {
      const offset = lauxlib.luaL_optinteger(l, 2, 0);
      lua.lua_settop(l, 1);
      return unpackFull(l, 1, offset);
    },
    unpack_limit: (l) => {
      const limit = lauxlib.luaL_checkinteger(l, 2);
      const offset = lauxlib.luaL_optinteger(l, 3, 0);
      lua.lua_settop(l, 1);
      return unpackFull(l, limit, offset);
    },
  };
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
  for (const [k, v] of [
    ['_NAME', 'cmsgpack'],
    ['_VERSION', 'lua-cmsgpack 0.4.0'],
    ['_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo'],
    ['_DESCRIPTION', 'MessagePack C implementation for Lua'],
  ]) {
    lua.lua_pushstring(L, v);
    lua.lua_setfield(L, -2, k);
  }
}

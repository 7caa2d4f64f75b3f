import { bytesToBinary } from '../bytes.js';
import { lauxlib, lua, type LuaJsFunction, type LuaState } from './fengari.js';
import { argError, raiseError } from './lua-errors.js';
import { pushBinary } from './lua-conversions.js';

/**
 * The `struct` library of Redis's Lua (deps/lua/src/lua_struct.c) as built on x86-64 Linux: native little
 * endian, long and size_t of 8 bytes, int of 4, maximum alignment 8.
 */

const LITTLE = 1;
const BIG = 0;
const MAXINTSIZE = 32;
const MAXALIGN = 8;

interface Header {
  endian: number;
  align: number;
}

/** A format string being read, with the position of its next character. */
class Fmt {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  next(): string {
    return this.text[this.pos++];
  }
  getnum(L: LuaState, df: number): number {
    if (!/\d/.test(this.text[this.pos] ?? '')) return df;
    let a = 0;
    do {
      const d = this.text.charCodeAt(this.pos) - 48;
      if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) raiseError(L, 'integral size overflow');
      a = a * 10 + d;
      this.pos++;
    } while (/\d/.test(this.text[this.pos] ?? ''));
    return a;
  }
}

function optsize(L: LuaState, opt: string, fmt: Fmt): number {
  switch (opt) {
    case 'B':
    case 'b':
    case 'x':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'c':
      return fmt.getnum(L, 1);
    case 'i':
    case 'I': {
      const sz = fmt.getnum(L, 4);
      if (sz > MAXINTSIZE) raiseError(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(L: LuaState, opt: string, fmt: Fmt, h: Header): void {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h.endian = BIG;
      return;
    case '<':
      h.endian = LITTLE;
      return;
    case '!': {
      const a = fmt.getnum(L, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) raiseError(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      argError(L, 1, `invalid format option '${opt}'`);
  }
}

function bytesOf(value: bigint, size: number, endian: number): string {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  if (endian === BIG) out.reverse();
  return String.fromCharCode(...out);
}

const view = new DataView(new ArrayBuffer(8));

function floatBytes(d: number, size: number, endian: number): string {
  if (size === 4) view.setFloat32(0, d, endian === LITTLE);
  else view.setFloat64(0, d, endian === LITTLE);
  let s = '';
  for (let i = 0; i < size; i++) s += String.fromCharCode(view.getUint8(i));
  return s;
}

const pack: LuaJsFunction = (L) => {
  const fmt = new Fmt(bytesToBinary(lauxlib.luaL_checklstring(L, 1)));
  const h: Header = { endian: LITTLE, align: 1 };
  let arg = 2;
  let total = 0;
  let out = '';
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optsize(L, opt, fmt);
    const toalign = gettoalign(total, h, opt, size);
    total += toalign;
    out += '\0'.repeat(toalign);
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        const n = lauxlib.luaL_checknumber(L, arg++);
        const v = Number.isFinite(n) && Math.abs(n) < 18446744073709551616 ? BigInt.asUintN(64, BigInt(Math.trunc(n))) : 0x8000000000000000n;
        out += bytesOf(v, size, h.endian);
        break;
      }
      case 'x':
        out += '\0';
        break;
      case 'f':
      case 'd':
        out += floatBytes(lauxlib.luaL_checknumber(L, arg++), size, h.endian);
        break;
      case 'c':
      case 's': {
        const s = bytesToBinary(lauxlib.luaL_checklstring(L, arg++));
        if (size === 0) size = s.length;
        if (!(s.length >= size)) argError(L, arg, 'string too short');
        out += s.slice(0, size);
        if (opt === 's') {
          out += '\0';
          size++;
        }
        break;
      }
      default:
        controloptions(L, opt, fmt, h);
    }
    total += size;
  }
  pushBinary(L, out);
  return 1;
};

function getinteger(data: Uint8Array, pos: number, endian: number, signed: boolean, size: number): number {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const i = endian === BIG ? k : size - 1 - k;
    l = BigInt.asUintN(64, (l << 8n) | BigInt(data[pos + i]));
  }
  if (!signed) return Number(l);
  const mask = BigInt.asUintN(64, ~0n << BigInt(size * 8 - 1));
  if (size * 8 - 1 < 64 && l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

const unpack: LuaJsFunction = (L) => {
  const fmt = new Fmt(bytesToBinary(lauxlib.luaL_checklstring(L, 1)));
  const data = lauxlib.luaL_checklstring(L, 2);
  const ld = data.length;
  let pos = lauxlib.luaL_optinteger(L, 3, 1);
  if (!(pos > 0)) argError(L, 3, 'offset must be 1 or greater');
  pos--;
  let n = 0;
  const h: Header = { endian: LITTLE, align: 1 };
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, size);
    if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short');
    lauxlib.luaL_checkstack(L, 2, 'too many results');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua.lua_pushnumber(L, getinteger(data, pos, h.endian, opt === opt.toLowerCase(), size));
        n++;
        break;
      case 'x':
        break;
      case 'f':
      case 'd': {
        for (let i = 0; i < size; i++) view.setUint8(i, data[pos + i]);
        lua.lua_pushnumber(L, size === 4 ? view.getFloat32(0, h.endian === LITTLE) : view.getFloat64(0, h.endian === LITTLE));
        n++;
        break;
      }
      case 'c': {
        if (size === 0) {
          if (n === 0 || !lua.lua_isnumber(L, -1)) raiseError(L, "format 'c0' needs a previous size");
          size = Math.trunc(lua.lua_tonumber(L, -1));
          lua.lua_pop(L, 1);
          n--;
          if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short');
        }
        pushBinary(L, bytesToBinary(data, pos, pos + size));
        n++;
        break;
      }
      case 's': {
        const e = data.indexOf(0, pos);
        if (e < 0) raiseError(L, 'unfinished string in data');
        size = e - pos + 1;
        pushBinary(L, bytesToBinary(data, pos, e));
        n++;
        break;
      }
      default:
        controloptions(L, opt, fmt, h);
    }
    pos += size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return n + 1;
};

const size: LuaJsFunction = (L) => {
  const fmt = new Fmt(bytesToBinary(lauxlib.luaL_checklstring(L, 1)));
  const h: Header = { endian: LITTLE, align: 1 };
  let pos = 0;
  while (!fmt.done) {
    const opt = fmt.next();
    const sz = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, sz);
    if (opt === 's') argError(L, 1, "option 's' has no fixed size");
    else if (opt === 'c' && sz === 0) argError(L, 1, "option 'c0' has no fixed size");
    if (!/[a-zA-Z0-9]/.test(opt)) controloptions(L, opt, fmt, h);
    pos += sz;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
};

/** Pushes the struct table. */
export function pushStruct(L: LuaState): void {
  lua.lua_newtable(L);
  for (const [name, fn] of Object.entries({ pack, unpack, size })) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
}

import { bytesToBinary } from '../bytes.js';
import { lauxlib, lua, type LuaState } from './fengari.js';
import { argError, raiseError } from './lua-errors.js';
import { pushBinary, toBinary } from './lua-conversions.js';
import { formatG } from './number-format.js';

/**
 * The `cjson` library of Redis's Lua (deps/lua/src/lua_cjson.c, lua-cjson 2.1 with Redis's defaults):
 * encode and decode with its number formatting (%.14g), escapes (including "\/"), sparse-array rule and error
 * texts. cjson.null is a NULL light userdata, as in C.
 */

/** JSON null when decoding; encodes as null. */
export const CJSON_NULL = null;

/** A cjson table's settings (json_config_t), changed by its encode_* / decode_* functions. */
interface Config {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  /** 0 off (error), 1 on (nan/inf written), 2 "null". */
  encodeInvalidNumbers: number;
  decodeInvalidNumbers: boolean;
  keepBuffer: boolean;
  precision: number;
}

function defaultConfig(): Config {
  return {
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    decodeInvalidNumbers: true,
    keepBuffer: true,
    precision: 14,
  };
}

const ESCAPES: Array<string | undefined> = [];
for (let i = 0; i < 32; i++) ESCAPES[i] = '\\u' + i.toString(16).padStart(4, '0');
ESCAPES[8] = '\\b';
ESCAPES[9] = '\\t';
ESCAPES[10] = '\\n';
ESCAPES[12] = '\\f';
ESCAPES[13] = '\\r';
ESCAPES[34] = '\\"';
ESCAPES[47] = '\\/';
ESCAPES[92] = '\\\\';
ESCAPES[127] = '\\u007f';

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const esc = ESCAPES[s.charCodeAt(i)];
    out += esc ?? s[i];
  }
  return out + '"';
}

function typeName(L: LuaState, idx: number): string {
  const names = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];
  return names[lua.lua_type(L, idx)] ?? 'no value';
}

function encodeException(L: LuaState, idx: number, reason: string): never {
  return raiseError(L, `Cannot serialise ${typeName(L, idx)}: ${reason}`);
}

function encodeNumber(L: LuaState, cfg: Config, idx: number): string {
  const n = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(n)) {
    if (cfg.encodeInvalidNumbers === 0) encodeException(L, idx, 'must not be NaN or Inf');
    if (cfg.encodeInvalidNumbers === 2) return 'null';
    if (Number.isNaN(n)) return 'nan';
  }
  return formatG(n, cfg.precision);
}

/** The array length of the table on top, or -1 when it must be encoded as an object (lua_array_length). */
function arrayLength(L: LuaState, cfg: Config): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2);
      if (k !== 0 && Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) encodeException(L, -1, 'excessively sparse array');
    return -1;
  }
  return max;
}

function encodeValue(L: LuaState, cfg: Config, depth: number): string {
  const t = lua.lua_type(L, -1);
  switch (t) {
    case lua.LUA_TSTRING:
      return encodeString(toBinary(L, -1) as string);
    case lua.LUA_TNUMBER:
      return encodeNumber(L, cfg, -1);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, -1) ? 'true' : 'false';
    case lua.LUA_TNIL:
      return 'null';
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, -1) === CJSON_NULL) return 'null';
      return encodeException(L, -1, 'type not supported');
    case lua.LUA_TTABLE: {
      depth++;
      // Room for the error message too, should this level be refused.
      const room = lua.lua_checkstack(L, 5);
      if (depth > cfg.encodeMaxDepth || !room) raiseError(L, `Cannot serialise, excessive nesting (${depth})`);
      const len = arrayLength(L, cfg);
      if (len > 0) {
        const parts: string[] = [];
        for (let i = 1; i <= len; i++) {
          lua.lua_rawgeti(L, -1, i);
          parts.push(encodeValue(L, cfg, depth));
          lua.lua_pop(L, 1);
        }
        return '[' + parts.join(',') + ']';
      }
      const parts: string[] = [];
      lua.lua_pushnil(L);
      while (lua.lua_next(L, -2)) {
        const kt = lua.lua_type(L, -2);
        let key: string;
        if (kt === lua.LUA_TNUMBER) key = '"' + encodeNumber(L, cfg, -2) + '":';
        else if (kt === lua.LUA_TSTRING) key = encodeString(toBinary(L, -2) as string) + ':';
        else encodeException(L, -2, 'table key must be a number or string');
        parts.push(key + encodeValue(L, cfg, depth));
        lua.lua_pop(L, 1);
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      return encodeException(L, -1, 'type not supported');
  }
}

function jsonEncode(L: LuaState, cfg: Config): number {
  if (lua.lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument');
  pushBinary(L, encodeValue(L, cfg, 0));
  return 1;
}

type TokenType =
  | 'T_OBJ_BEGIN'
  | 'T_OBJ_END'
  | 'T_ARR_BEGIN'
  | 'T_ARR_END'
  | 'T_STRING'
  | 'T_NUMBER'
  | 'T_BOOLEAN'
  | 'T_NULL'
  | 'T_COLON'
  | 'T_COMMA'
  | 'T_END'
  | 'T_ERROR';

interface Token {
  type: TokenType;
  index: number;
  /** The string's bytes, the number, the boolean, or the error text. */
  value?: string | number | boolean;
}

const SINGLE: Record<number, TokenType> = {
  0x7b: 'T_OBJ_BEGIN',
  0x7d: 'T_OBJ_END',
  0x5b: 'T_ARR_BEGIN',
  0x5d: 'T_ARR_END',
  0x2c: 'T_COMMA',
  0x3a: 'T_COLON',
};
const UNESCAPE: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x74: '\t', 0x6e: '\n', 0x66: '\f', 0x72: '\r' };
/** What C's strtod accepts at the start of a number token (decimal, hex, inf, nan). */
const NUMBER_PREFIX = /^[+-]?(?:0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?|infinity|inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i;

class JsonParser {
  pos = 0;
  depth = 0;
  constructor(
    readonly L: LuaState,
    readonly data: Uint8Array,
    readonly cfg: Config,
  ) {}

  /** The byte at p, 0 past the end (the C string's terminator). */
  at(p: number): number {
    return p < this.data.length ? this.data[p] : 0;
  }

  startsWith(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.at(this.pos + i) !== word.charCodeAt(i)) return false;
    return true;
  }

  error(index: number, text: string): Token {
    return { type: 'T_ERROR', index, value: text };
  }

  next(): Token {
    let ch = this.at(this.pos);
    while (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) ch = this.at(++this.pos);
    const index = this.pos;
    if (ch === 0) return { type: 'T_END', index };
    const single = SINGLE[ch];
    if (single) {
      this.pos++;
      return { type: single, index };
    }
    if (ch === 0x22) return this.string(index);
    if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      if (!this.cfg.decodeInvalidNumbers && this.invalidNumber()) return this.error(index, 'invalid number');
      return this.number(index);
    }
    if (this.startsWith('true')) {
      this.pos += 4;
      return { type: 'T_BOOLEAN', index, value: true };
    }
    if (this.startsWith('false')) {
      this.pos += 5;
      return { type: 'T_BOOLEAN', index, value: false };
    }
    if (this.startsWith('null')) {
      this.pos += 4;
      return { type: 'T_NULL', index };
    }
    if (this.cfg.decodeInvalidNumbers && this.invalidNumber()) return this.number(index);
    return this.error(index, 'invalid token');
  }

  /** json_is_invalid_number: a number JSON does not allow (leading +, hex, leading zero, inf, nan). */
  invalidNumber(): boolean {
    let p = this.pos;
    const c = this.at(p);
    if (c === 0x2b) return true;
    if (c === 0x2d) p++;
    const d = this.at(p);
    if (d === 0x30) {
      const d2 = this.at(p + 1);
      return (d2 | 0x20) === 0x78 || (d2 >= 0x30 && d2 <= 0x39);
    }
    if (d <= 0x39) return false;
    const word = bytesToBinary(this.data, p, Math.min(this.data.length, p + 3)).toLowerCase();
    return word === 'inf' || word === 'nan';
  }

  peekText(n: number): string {
    return bytesToBinary(this.data, this.pos, Math.min(this.data.length, this.pos + n));
  }

  number(index: number): Token {
    const m = NUMBER_PREFIX.exec(this.peekText(400));
    if (!m) return this.error(this.pos, 'invalid number');
    this.pos += m[0].length;
    return { type: 'T_NUMBER', index, value: parseStrtod(m[0]) };
  }

  string(index: number): Token {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.at(this.pos);
      if (ch === 0x22) break;
      if (ch === 0) return this.error(this.pos, 'unexpected end of string');
      if (ch === 0x5c) {
        const e = this.at(this.pos + 1);
        if (e === 0x75) {
          const u = this.unicodeEscape();
          if (u === null) return this.error(this.pos, 'invalid unicode escape code');
          out += u;
          continue;
        }
        const c = UNESCAPE[e];
        if (c === undefined) return this.error(this.pos, 'invalid escape code');
        out += c;
        this.pos += 2;
        continue;
      }
      out += String.fromCharCode(ch);
      this.pos++;
    }
    this.pos++;
    return { type: 'T_STRING', index, value: out };
  }

  hex4(p: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.at(p + i);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** A \uXXXX escape (with its surrogate pair) as UTF-8 bytes, or null when invalid. */
  unicodeEscape(): string | null {
    let cp = this.hex4(this.pos + 2);
    if (cp < 0) return null;
    let len = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null;
      if (this.at(this.pos + 6) !== 0x5c || this.at(this.pos + 7) !== 0x75) return null;
      const low = this.hex4(this.pos + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      len = 12;
    }
    this.pos += len;
    const bytes = new TextEncoder().encode(String.fromCodePoint(cp));
    return bytesToBinary(bytes);
  }

  fail(expected: string, token: Token): never {
    const found = token.type === 'T_ERROR' ? (token.value as string) : token.type;
    return raiseError(this.L, `Expected ${expected} but found ${found} at character ${token.index + 1}`);
  }

  descend(slots: number): void {
    this.depth++;
    // Room for the error message too, should this level be refused.
    const room = lua.lua_checkstack(this.L, slots + 2);
    if (this.depth <= this.cfg.decodeMaxDepth && room) return;
    raiseError(this.L, `Found too many nested data structures (${this.depth}) at character ${this.pos}`);
  }

  value(token: Token): void {
    const L = this.L;
    switch (token.type) {
      case 'T_STRING':
        pushBinary(L, token.value as string);
        return;
      case 'T_NUMBER':
        lua.lua_pushnumber(L, token.value as number);
        return;
      case 'T_BOOLEAN':
        lua.lua_pushboolean(L, token.value as boolean);
        return;
      case 'T_NULL':
        lua.lua_pushlightuserdata(L, CJSON_NULL);
        return;
      case 'T_OBJ_BEGIN':
        this.object();
        return;
      case 'T_ARR_BEGIN':
        this.array();
        return;
      default:
        this.fail('value', token);
    }
  }

  object(): void {
    const L = this.L;
    this.descend(3);
    lua.lua_newtable(L);
    let token = this.next();
    if (token.type === 'T_OBJ_END') {
      this.depth--;
      return;
    }
    for (;;) {
      if (token.type !== 'T_STRING') this.fail('object key string', token);
      pushBinary(L, token.value as string);
      token = this.next();
      if (token.type !== 'T_COLON') this.fail('colon', token);
      this.value(this.next());
      lua.lua_rawset(L, -3);
      token = this.next();
      if (token.type === 'T_OBJ_END') {
        this.depth--;
        return;
      }
      if (token.type !== 'T_COMMA') this.fail('comma or object end', token);
      token = this.next();
    }
  }

  array(): void {
    const L = this.L;
    this.descend(2);
    lua.lua_newtable(L);
    let token = this.next();
    if (token.type === 'T_ARR_END') {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.value(token);
      lua.lua_rawseti(L, -2, i);
      token = this.next();
      if (token.type === 'T_ARR_END') {
        this.depth--;
        return;
      }
      if (token.type !== 'T_COMMA') this.fail('comma or array end', token);
      token = this.next();
    }
  }
}

/** strtod of a prefix NUMBER_PREFIX matched. */
function parseStrtod(text: string): number {
  const t = text.toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body.startsWith('inf')) return sign * Infinity;
  if (body.startsWith('nan')) return NaN;
  if (body.startsWith('0x')) {
    const m = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/.exec(body);
    if (!m) return NaN;
    const int = m[1] ? parseInt(m[1], 16) : 0;
    let frac = 0;
    for (let i = 0; i < m[2].length; i++) frac += parseInt(m[2][i], 16) / 16 ** (i + 1);
    return sign * (int + frac) * 2 ** Number(m[3] ?? 0);
  }
  return sign * Number(body);
}

function jsonDecode(L: LuaState, cfg: Config): number {
  if (lua.lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument');
  const data = lauxlib.luaL_checklstring(L, 1);
  if (data.length >= 2 && (data[0] === 0 || data[1] === 0)) raiseError(L, 'JSON parser does not support UTF-16 or UTF-32');
  const p = new JsonParser(L, data, cfg);
  p.value(p.next());
  const end = p.next();
  if (end.type !== 'T_END') p.fail('the end', end);
  return 1;
}

/** json_arg_init: at most `args` arguments, missing ones nil. */
function argInit(L: LuaState, args: number): void {
  if (lua.lua_gettop(L) > args) argError(L, args + 1, 'found too many arguments');
  lua.lua_settop(L, args);
}

/** json_integer_option: sets from the argument when given; pushes the (new) value. */
function integerOption(L: LuaState, idx: number, get: () => number, set: (n: number) => void, min: number, max: number): void {
  if (lua.lua_type(L, idx) !== lua.LUA_TNIL) {
    const v = lauxlib.luaL_checkinteger(L, idx);
    if (!(min <= v && v <= max)) argError(L, 1, `expected integer between ${min} and ${max}`);
    set(v);
  }
  lua.lua_pushnumber(L, get());
}

/** json_enum_option: booleans or one of `options` ("off", "on", ...); pushes a boolean for off/on. */
function enumOption(L: LuaState, idx: number, get: () => number, set: (n: number) => void, options = ['off', 'on']): void {
  if (lua.lua_type(L, idx) !== lua.LUA_TNIL) {
    if (lua.lua_type(L, idx) === lua.LUA_TBOOLEAN) {
      set(lua.lua_toboolean(L, idx) ? 1 : 0);
    } else {
      const name = bytesToBinary(lauxlib.luaL_checklstring(L, idx));
      const i = options.indexOf(name);
      if (i < 0) argError(L, idx, `invalid option '${name}'`);
      set(i);
    }
  }
  const v = get();
  if (v <= 1) lua.lua_pushboolean(L, v === 1);
  else lua.lua_pushstring(L, options[v]);
}

/** Pushes a cjson table with its own settings (luaopen_cjson; cjson.new() makes another). */
export function pushCjson(L: LuaState): void {
  const cfg = defaultConfig();
  const fns: Record<string, (l: LuaState) => number> = {
    encode: (l) => jsonEncode(l, cfg),
    decode: (l) => jsonDecode(l, cfg),
    encode_sparse_array: (l) => {
      argInit(l, 3);
      enumOption(l, 1, () => (cfg.sparseConvert ? 1 : 0), (v) => (cfg.sparseConvert = v === 1));
      integerOption(l, 2, () => cfg.sparseRatio, (v) => (cfg.sparseRatio = v), 0, 2147483647);
      integerOption(l, 3, () => cfg.sparseSafe, (v) => (cfg.sparseSafe = v), 0, 2147483647);
      return 3;
    },
    encode_max_depth: (l) => {
      argInit(l, 1);
      integerOption(l, 1, () => cfg.encodeMaxDepth, (v) => (cfg.encodeMaxDepth = v), 1, 2147483647);
      return 1;
    },
    decode_max_depth: (l) => {
      argInit(l, 1);
      integerOption(l, 1, () => cfg.decodeMaxDepth, (v) => (cfg.decodeMaxDepth = v), 1, 2147483647);
      return 1;
    },
    encode_number_precision: (l) => {
      argInit(l, 1);
      integerOption(l, 1, () => cfg.precision, (v) => (cfg.precision = v), 1, 14);
      return 1;
    },
    encode_keep_buffer: (l) => {
      argInit(l, 1);
      enumOption(l, 1, () => (cfg.keepBuffer ? 1 : 0), (v) => (cfg.keepBuffer = v === 1));
      return 1;
    },
    encode_invalid_numbers: (l) => {
      argInit(l, 1);
      enumOption(l, 1, () => cfg.encodeInvalidNumbers, (v) => (cfg.encodeInvalidNumbers = v), ['off', 'on', 'null']);
      return 1;
    },
    decode_invalid_numbers: (l) => {
      argInit(l, 1);
      enumOption(l, 1, () => (cfg.decodeInvalidNumbers ? 1 : 0), (v) => (cfg.decodeInvalidNumbers = v === 1));
      return 1;
    },
    new: (l) => {
      pushCjson(l);
      return 1;
    },
  };
  lua.lua_newtable(L);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pushlightuserdata(L, CJSON_NULL);
  lua.lua_setfield(L, -2, 'null');
  lua.lua_pushstring(L, 'cjson');
  lua.lua_setfield(L, -2, '_NAME');
  lua.lua_pushstring(L, '2.1.0');
  lua.lua_setfield(L, -2, '_VERSION');
}

import { bytesToBinary } from '../bytes.js';
import { lauxlib, lua, type LuaState } from './fengari.js';
import { argError, raiseError } from './lua-errors.js';
import { pushBinary } from './lua-conversions.js';
import { formatG, roundDigits } from './number-format.js';

/**
 * Lua 5.1's string.format (lstrlib.c str_format) with C's printf conversions as glibc prints them: fengari's
 * own format goes through a JS sprintf that lacks %E, %G, the ' ' and '#' flags, and prints inf, nan and %e
 * exponents differently.
 */

interface Spec {
  flags: string;
  width: number;
  precision: number | null;
}

const FLAGS = '-+ #0';

/** Pads a converted value to the spec's width; `zeroAfter` is where zeros go (after a sign or 0x prefix). */
function pad(spec: Spec, body: string, numeric: boolean, zeroAfter = 0): string {
  if (body.length >= spec.width) return body;
  const fill = spec.width - body.length;
  if (spec.flags.includes('-')) return body + ' '.repeat(fill);
  if (numeric && spec.flags.includes('0')) return body.slice(0, zeroAfter) + '0'.repeat(fill) + body.slice(zeroAfter);
  return ' '.repeat(fill) + body;
}

function signOf(spec: Spec, negative: boolean): string {
  if (negative) return '-';
  if (spec.flags.includes('+')) return '+';
  if (spec.flags.includes(' ')) return ' ';
  return '';
}

/** C's (long) cast of a double (x86: LLONG_MIN when out of range). */
function toLong(d: number): bigint {
  if (!Number.isFinite(d) || d >= 9223372036854775808 || d < -9223372036854775808) return -9223372036854775808n;
  return BigInt(Math.trunc(d));
}

function formatInteger(spec: Spec, conv: string, d: number): string {
  const signed = conv === 'd' || conv === 'i';
  let n = toLong(d);
  if (!signed) n = BigInt.asUintN(64, n);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let digits = conv === 'o' ? abs.toString(8) : conv === 'x' ? abs.toString(16) : conv === 'X' ? abs.toString(16).toUpperCase() : abs.toString();
  if (spec.precision !== null) {
    digits = spec.precision === 0 && abs === 0n ? '' : digits.padStart(spec.precision, '0');
  }
  let prefix = signed ? signOf(spec, negative) : '';
  if (spec.flags.includes('#')) {
    if (conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
    if ((conv === 'x' || conv === 'X') && abs !== 0n) prefix = conv === 'x' ? '0x' : '0X';
  }
  const zeroOk = spec.precision === null;
  return pad(zeroOk ? spec : { ...spec, flags: spec.flags.replace('0', '') }, prefix + digits, true, prefix.length);
}

/** The digits of x >= 0 with `decimals` after the point, rounded as glibc (exact ties to even). */
function fixed(x: number, decimals: number): string {
  if (x >= 1e21) {
    // toFixed switches to exponent form there; the value is an integer anyway.
    return BigInt(x).toString() + (decimals > 0 ? '.' + '0'.repeat(decimals) : '');
  }
  const s = x.toFixed(decimals);
  if (decimals >= 70) return s;
  const long = x.toFixed(decimals + 30);
  const cut = long.length - 30;
  if (long[cut] === '5' && /^0*$/.test(long.slice(cut + 1))) {
    const last = long[cut - 1] === '.' ? long[cut - 2] : long[cut - 1];
    if (Number(last) % 2 === 0) return long.slice(0, decimals > 0 ? cut : cut - 1);
  }
  return s;
}

/** x >= 0 in %e form with `decimals` digits after the point. */
function exponential(x: number, decimals: number, upper: boolean): string {
  const { digits, exp } = x === 0 ? { digits: '0'.repeat(decimals + 1), exp: 0 } : roundDigits(x, decimals + 1);
  const abs = Math.abs(exp);
  const m = digits[0] + (decimals > 0 ? '.' + digits.slice(1) : '');
  return `${m}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' + abs : abs}`;
}

function formatFloat(spec: Spec, conv: string, d: number): string {
  const upper = conv === 'E' || conv === 'G';
  const negative = d < 0 || Object.is(d, -0) || (Number.isNaN(d) && formatG(d, 1).startsWith('-'));
  const sign = signOf(spec, negative);
  if (!Number.isFinite(d)) {
    const text = Number.isNaN(d) ? 'nan' : 'inf';
    return pad({ ...spec, flags: spec.flags.replace('0', '') }, sign + (upper ? text.toUpperCase() : text), false);
  }
  const x = Math.abs(d);
  const precision = spec.precision ?? 6;
  let body: string;
  if (conv === 'f') {
    body = fixed(x, precision);
    if (precision === 0 && spec.flags.includes('#')) body += '.';
  } else if (conv === 'e' || conv === 'E') {
    body = exponential(x, precision, upper);
  } else {
    // %g: %e or %f by the exponent, trailing zeros removed unless '#'.
    const p = precision === 0 ? 1 : precision;
    const exp = x === 0 ? 0 : roundDigits(x, p).exp;
    body = exp < -4 || exp >= p ? exponential(x, p - 1, upper) : fixed(x, p - 1 - exp);
    if (!spec.flags.includes('#') && body.includes('.')) body = body.replace(/\.?0+(?=$|[eE])/, '');
  }
  return pad(spec, sign + body, true, sign.length);
}

/** addquoted: %q as Lua 5.1 writes it. */
function quoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === '\\' || ch === '\n') out += '\\' + ch;
    else if (ch === '\r') out += '\\r';
    else if (ch === '\0') out += '\\000';
    else out += ch;
  }
  return out + '"';
}

/** string.format(fmt, ...) */
export function luaStringFormat(L: LuaState): number {
  const top = lua.lua_gettop(L);
  const fmt = bytesToBinary(lauxlib.luaL_checklstring(L, 1));
  let arg = 1;
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i++];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (fmt[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (++arg > top) argError(L, arg, 'no value');
    // scanformat: flags, at most two width digits, '.', at most two precision digits.
    let p = i;
    while (p < fmt.length && FLAGS.includes(fmt[p])) p++;
    if (p - i > FLAGS.length) raiseError(L, 'invalid format (repeated flags)');
    const flags = fmt.slice(i, p);
    let w = p;
    while (w < fmt.length && /\d/.test(fmt[w]) && w - p < 2) w++;
    let precision: number | null = null;
    let q = w;
    if (fmt[q] === '.') {
      q++;
      const ps = q;
      while (q < fmt.length && /\d/.test(fmt[q]) && q - ps < 2) q++;
      precision = Number(fmt.slice(ps, q) || '0');
    }
    if (/\d/.test(fmt[q] ?? '')) raiseError(L, 'invalid format (width or precision too long)');
    const spec: Spec = { flags, width: Number(fmt.slice(p, w) || '0'), precision };
    const conv = fmt[q] ?? '';
    i = q + 1;
    switch (conv) {
      case 'c':
        out += pad(spec, String.fromCharCode(Number(toLong(lauxlib.luaL_checknumber(L, arg)) & 0xffn)), false);
        break;
      case 'd':
      case 'i':
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        out += formatInteger(spec, conv, lauxlib.luaL_checknumber(L, arg));
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'g':
      case 'G':
        out += formatFloat(spec, conv, lauxlib.luaL_checknumber(L, arg));
        break;
      case 'q':
        out += quoted(bytesToBinary(lauxlib.luaL_checklstring(L, arg)));
        break;
      case 's': {
        let s = bytesToBinary(lauxlib.luaL_checklstring(L, arg));
        if (precision !== null) s = s.slice(0, precision);
        out += pad(spec, s, false);
        break;
      }
      default:
        raiseError(L, `invalid option '%${conv}' to 'format'`);
    }
  }
  pushBinary(L, out);
  return 1;
}

import './fengari-setup.js';
import './fengari-setup-auxlib.js';
import lualib from 'fengari/src/lualib.js';
import lauxlibModule from 'fengari/src/lauxlib.js';
import lobject from 'fengari/src/lobject.js';
import ltable, { type Table } from 'fengari/src/ltable.js';
import luaModule from 'fengari/src/lua.js';

/*
 * lualib loads the library modules in the order fengari itself does (they require one another in a cycle);
 * only the ones below are ever opened.
 */
/**
 * The one entry point to fengari for the scripting engine: the API modules, after fengari-setup.ts adjusted
 * number formatting, and the standard libraries Redis scripts get (never io, os, package, debug, utf8).
 */
export const lua = luaModule;
export const lauxlib = lauxlibModule;
export const luaopen_base = lualib.luaopen_base;
export const luaopen_string = lualib.luaopen_string;
export const luaopen_table = lualib.luaopen_table;
export const luaopen_math = lualib.luaopen_math;
export const luaopen_coroutine = lualib.luaopen_coroutine;
export type { LuaState, LuaJsFunction } from 'fengari/src/lua.js';

// Lua 5.1 numbers are doubles: numeric literals and tonumber() give floats here too, so arithmetic on them is
// never fengari's 32-bit integer arithmetic (which wraps around at 2^31).
const str2num = lobject.luaO_str2num;
lobject.luaO_str2num = (s, o) => {
  const n = str2num(s, o);
  if (n !== 0 && o.ttisinteger()) o.setfltvalue(o.value as number);
  return n;
};

/*
 * Traversal order (next, pairs): fengari keeps entries in insertion order, and a table constructor inserts its
 * list items last to first, so pairs({'a', 'b', 'c'}) would give c, b, a. Lua 5.1 traverses its array part
 * first, in index order: here the keys 1..n present without a gap (n computed when a traversal starts) come
 * first in order, then the other keys in insertion order.
 */
const next53 = ltable.luaH_next;
const NIL = new lobject.TValue(0, null);
ltable.luaH_next = (L, t, keyI) => {
  const key = L.stack[keyI];
  if (key.ttisnil()) {
    let n = 0;
    while (t.strong.has(n + 1)) n++;
    t.border51 = n;
    if (n > 0) return setEntry(L, keyI, t, 1);
  } else if (t.border51 !== undefined && key.ttisnumber()) {
    const k = key.value as number;
    if (k >= 1 && k <= t.border51 && Number.isInteger(k)) {
      for (let i = k + 1; i <= t.border51; i++) if (t.strong.has(i)) return setEntry(L, keyI, t, i);
      // The array part is done: the rest, from the first inserted key.
      key.setfrom(NIL);
    }
  }
  for (;;) {
    if (!next53(L, t, keyI)) return false;
    const k = L.stack[keyI];
    const border = t.border51 ?? 0;
    if (!(k.ttisnumber() && Number.isInteger(k.value) && (k.value as number) >= 1 && (k.value as number) <= border)) return true;
  }
};

function setEntry(L: { stack: Array<{ setfrom(o: unknown): void }> }, keyI: number, t: Table, k: number): true {
  const e = t.strong.get(k)!;
  L.stack[keyI].setfrom(e.key);
  L.stack[keyI + 1].setfrom(e.value);
  return true;
}

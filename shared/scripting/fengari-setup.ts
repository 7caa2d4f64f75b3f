// defs requires luaconf half-way through its own loading: loading luaconf first would break that cycle.
import 'fengari/src/defs.js';
import luaconf from 'fengari/src/luaconf.js';
import { luaNumberToString } from './number-format.js';

/*
 * Lua 5.1 (what Redis embeds) has one number type and prints it with "%.14g": tostring(10/2) is "5", not 5.3's
 * "5.0". fengari's object module copies these two settings when it loads, so they are patched here, in a module
 * that must be evaluated before any other fengari module: import it first (fengari.ts does).
 */
luaconf.LUA_COMPAT_FLOATSTRING = true;
luaconf.lua_number2str = luaNumberToString;

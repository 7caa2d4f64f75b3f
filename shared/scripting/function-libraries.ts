import { binaryToBytes } from '../bytes.js';
import type { Client } from '../engine/client.js';
import type { FunctionLibraryLoad, FunctionLibraryStore } from '../engine/function-library-store.js';
import type { ServerCore } from '../engine/server-core.js';
import { lauxlib, lua, type LuaJsFunction, type LuaState } from './fengari.js';
import { pushErrorTable, toBinary } from './lua-conversions.js';
import { Lrand48 } from './lua-random.js';
import { LuaVm, PROXY_TARGETS, REAL_GLOBALS, REDIS_VERSION, lua51ErrorText } from './lua-vm.js';
import { ScriptFlag, scriptingState, splitArgs } from './script-cache.js';

/**
 * Redis 7.0's function libraries (src/functions.c, src/function_lua.c): the libraries FUNCTION LOAD creates,
 * the functions they register, and the Lua engine that compiles and runs them. The engine has its own Lua
 * interpreter (as Redis's, separate from EVAL's), where a library's code runs once at load time with only
 * `redis.register_function`, `redis.log` and the version fields visible, and its callbacks later run with the
 * full scripting API and their keys and arguments as parameters.
 */

/** A function a library registered. */
export interface FunctionInfo {
  name: string;
  description: string | null;
  /** ScriptFlag bits. */
  flags: number;
  /** Where the engine keeps the Lua callback. */
  ref: number;
  library: Library;
}

/** A loaded library: its name, its code as FUNCTION LOAD received it, its functions in registration order. */
export interface Library {
  name: string;
  code: string;
  /** Function name (case-sensitive within a library) -> function. */
  functions: Map<string, FunctionInfo>;
}

/** Function flags by name, in the order FUNCTION LIST reports them (scripts_flags_def). */
export const FUNCTION_FLAGS: ReadonlyArray<[string, number]> = [
  ['no-writes', ScriptFlag.NO_WRITES],
  ['allow-oom', ScriptFlag.ALLOW_OOM],
  ['allow-stale', ScriptFlag.ALLOW_STALE],
  ['no-cluster', ScriptFlag.NO_CLUSTER],
  ['allow-cross-slot-keys', ScriptFlag.ALLOW_CROSS_SLOT],
];

const ENGINE_NAME = 'LUA';
/** FUNCTION LOAD's time limit for running a library's code (LOAD_TIMEOUT_MS); none for our master's and the AOF's. */
export const LOAD_TIMEOUT_MS = 500;
const NAME_ERROR = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
const CALLBACKS = '__redis_function_callbacks';
const LIBRARY_API = '__redis_library_api';

/** functionsVerifyName: [a-zA-Z0-9_]+. */
function validName(name: string): boolean {
  return /^[a-zA-Z0-9_]+$/.test(name);
}

/**
 * A set of libraries and the functions they provide (Redis's functionsLibCtx). Library names are
 * case-sensitive; function names are unique across libraries regardless of case, as Redis's functions dict.
 */
export class LibraryContext {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();
  /** The engine's functions_count (counts every function of every library, as Redis's stats). */
  functionCount = 0;

  link(lib: Library): void {
    for (const f of lib.functions.values()) {
      const key = f.name.toLowerCase();
      if (!this.functions.has(key)) this.functions.set(key, f);
    }
    this.libraries.set(lib.name, lib);
    this.functionCount += lib.functions.size;
  }

  unlink(lib: Library): void {
    for (const f of lib.functions.values()) {
      if (this.functions.get(f.name.toLowerCase()) === f) this.functions.delete(f.name.toLowerCase());
    }
    this.libraries.delete(lib.name);
    this.functionCount -= lib.functions.size;
  }

  /** The function called `name` (any case), if any. */
  lookup(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }
}

/** What a library's code declares in its shebang (functionExtractLibMetaData). */
interface LibraryMetadata {
  engine: string;
  name: string;
  /** The code after the shebang line, starting with its line feed so line numbers stay right. */
  body: string;
}

function extractMetadata(code: string): LibraryMetadata | { error: string } {
  if (!code.startsWith('#!')) return { error: 'Missing library metadata' };
  // The C code looks for the line feed with strchr: a NUL byte ends the search.
  const nul = code.indexOf('\0');
  const nl = code.indexOf('\n');
  if (nl < 0 || (nul >= 0 && nul < nl)) return { error: 'Invalid library metadata' };
  const parts = splitArgs(code.slice(0, nl));
  if (parts === null || parts.length === 0) return { error: 'Invalid library metadata' };
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return { error: 'Invalid metadata value, name argument was given multiple times' };
      name = part.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${part}` };
  }
  if (name === null) return { error: 'Library name was not given' };
  return { engine: parts[0].slice(2), name, body: code.slice(nl) };
}

/** The library being loaded while its code runs (luaRegisterFunction's load context). */
interface LoadContext {
  library: Library;
  started: number;
  timeoutMs: number;
}

/**
 * The Lua engine of function libraries (luaEngineInitEngine): its interpreter, the callbacks of every loaded
 * function (in a registry table, by reference number), and the load-time environment.
 */
export class FunctionEngine {
  private vmInstance: LuaVm | null = null;
  private loading: LoadContext | null = null;
  private nextRef = 1;

  /**
   * `random`: the math.random generator, asked for when the interpreter is created (Redis has one for the
   * whole process, shared with EVAL).
   */
  constructor(
    private readonly log: (level: number, message: string) => void,
    private readonly micros: () => number,
    private readonly random: () => Lrand48 = () => new Lrand48(),
  ) {}

  /** The interpreter, created with the first library (it costs a few milliseconds). */
  get vm(): LuaVm {
    if (this.vmInstance === null) {
      this.vmInstance = new LuaVm({ random: this.random(), log: this.log });
      this.setUpLibraryApi(this.vmInstance);
    }
    return this.vmInstance;
  }

  /**
   * The load-time globals: only `redis`, holding register_function, log, the log levels and the version
   * fields; reading anything else raises Redis's nonexistent-global error, writing raises the read-only one.
   */
  private setUpLibraryApi(vm: LuaVm): void {
    const L = vm.L;
    // The functions engine's `redis` has no debugger entry points and no replicate_commands (EVAL's only).
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, REAL_GLOBALS);
    lua.lua_getfield(L, -1, 'redis');
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, PROXY_TARGETS);
    lua.lua_pushvalue(L, -2);
    lua.lua_rawget(L, -2);
    for (const name of ['breakpoint', 'debug', 'replicate_commands']) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, name);
    }
    lua.lua_settop(L, 0);
    lua.lua_newtable(L);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, CALLBACKS);
    lua.lua_newtable(L); // library globals
    const globals = lua.lua_gettop(L);
    lua.lua_newtable(L); // library `redis`
    const redis = lua.lua_gettop(L);
    const set = (name: string, fn: LuaJsFunction) => {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, redis, name);
    };
    set('register_function', (l) => this.registerFunction(l));
    set('log', (l) => vm.redisLog(l));
    for (const [name, level] of [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REDIS_VERSION_NUM', 0x07000f],
    ] as Array<[string, number]>) {
      lua.lua_pushnumber(L, level);
      lua.lua_setfield(L, redis, name);
    }
    lua.lua_pushstring(L, REDIS_VERSION);
    lua.lua_setfield(L, redis, 'REDIS_VERSION');
    setErrorMetatable(L, redis);
    vm.pushReadonlyProxy(redis);
    lua.lua_setfield(L, globals, 'redis');
    lua.lua_pop(L, 1); // redis
    setErrorMetatable(L, globals);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, LIBRARY_API);
  }

  /** Points the globals scripts see at `field` of the registry (the library API while loading, else the real globals). */
  private switchGlobals(field: string): void {
    const L = this.vm.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_getmetatable(L, -1);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, field);
    lua.lua_setfield(L, -2, '__index');
    lua.lua_pop(L, 2);
  }

  /**
   * luaEngineCreate: compiles a library's code and runs it so it registers its functions into `library`.
   * Returns null or the error text (without the ERR code FUNCTION LOAD's reply adds).
   */
  private create(library: Library, body: string, timeoutMs: number): string | null {
    const vm = this.vm;
    const L = vm.L;
    lua.lua_settop(L, 0);
    this.switchGlobals(LIBRARY_API);
    try {
      const bytes = binaryToBytes(body);
      if (lauxlib.luaL_loadbuffer(L, bytes, bytes.length, '@user_function') !== lua.LUA_OK) {
        return `Error compiling function: ${lua51ErrorText(toBinary(L, -1) ?? '')}`;
      }
      this.loading = { library, started: this.micros(), timeoutMs };
      const hook = (l: LuaState) => {
        const ctx = this.loading;
        if (!ctx || ctx.timeoutMs <= 0 || (this.micros() - ctx.started) / 1000 <= ctx.timeoutMs) return;
        lua.lua_sethook(l, hook, lua.LUA_MASKLINE, 0);
        pushErrorTable(l, 'FUNCTION LOAD timeout');
        lua.lua_error(l);
      };
      lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, 100000);
      if (lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) return `Error registering functions: ${errorMessage(L)}`;
      return null;
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      this.loading = null;
      this.switchGlobals(REAL_GLOBALS);
      lua.lua_settop(L, 0);
    }
  }

  /** Raises Redis's error table {err = 'ERR <text>'} from a library function. */
  private raise(L: LuaState, text: string): never {
    pushErrorTable(L, text);
    return lua.lua_error(L);
  }

  /** Keeps the Lua value at idx as callback number `ref` (nil frees it). */
  private storeCallback(L: LuaState, ref: number, idx: number | null): void {
    const at = idx === null ? 0 : lua.lua_absindex(L, idx);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, CALLBACKS);
    if (at === 0) lua.lua_pushnil(L);
    else lua.lua_pushvalue(L, at);
    lua.lua_rawseti(L, -2, ref);
    lua.lua_pop(L, 1);
  }

  /** luaRegisterFunction: redis.register_function(name, callback) or redis.register_function{...}. */
  private registerFunction(L: LuaState): number {
    const ctx = this.loading;
    if (!ctx) return this.raise(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) return this.raise(L, 'wrong number of arguments to redis.register_function');
    let name: string | null = null;
    let description: string | null = null;
    let flags = 0;
    // The callback is kept from the moment it is seen, and let go again when the registration fails.
    let ref: number | null = null;
    const fail = (text: string): never => {
      if (ref !== null) this.storeCallback(L, ref, null);
      return this.raise(L, text);
    };
    if (argc === 1) {
      if (!lua.lua_istable(L, 1)) {
        return fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (!lua.lua_isstring(L, -2)) return fail('named argument key given to redis.register_function is not a string');
        // A copy of the key: converting a number key in place would break the traversal.
        lua.lua_pushvalue(L, -2);
        const key = (toBinary(L, -1) ?? '').toLowerCase();
        lua.lua_pop(L, 1);
        if (key === 'function_name') {
          if (!lua.lua_isstring(L, -1)) return fail('function_name argument given to redis.register_function must be a string');
          name = toBinary(L, -1);
        } else if (key === 'description') {
          if (!lua.lua_isstring(L, -1)) return fail('description argument given to redis.register_function must be a string');
          description = toBinary(L, -1);
        } else if (key === 'callback') {
          if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) return fail('callback argument given to redis.register_function must be a function');
          if (ref === null) ref = this.nextRef++;
          this.storeCallback(L, ref, -1);
        } else if (key === 'flags') {
          if (!lua.lua_istable(L, -1)) {
            return fail('flags argument to redis.register_function must be a table representing function flags');
          }
          const read = readFlags(L);
          if (read === null) return fail('unknown flag given');
          flags = read;
        } else {
          return fail('unknown argument given to redis.register_function');
        }
        lua.lua_pop(L, 1);
      }
      if (name === null) return fail('redis.register_function must get a function name argument');
      if (ref === null) return fail('redis.register_function must get a callback argument');
    } else {
      if (!lua.lua_isstring(L, 1)) return fail('first argument to redis.register_function must be a string');
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) return fail('second argument to redis.register_function must be a function');
      name = toBinary(L, 1) as string;
      ref = this.nextRef++;
      this.storeCallback(L, ref, 2);
    }
    // functionLibCreateFunction
    if (!validName(name)) return fail(NAME_ERROR);
    if (ctx.library.functions.has(name)) return fail('Function already exists in the library');
    ctx.library.functions.set(name, { name, description, flags, ref, library: ctx.library });
    return 0;
  }

  /** Pushes the callback of a function (for LuaVm.runCallback). */
  pushCallback(L: LuaState, f: FunctionInfo): void {
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, CALLBACKS);
    lua.lua_rawgeti(L, -1, f.ref);
    lua.lua_remove(L, -2);
  }

  /** Frees the callbacks of a library that is dropped (engineLibraryFree). */
  free(library: Library): void {
    if (this.vmInstance === null || library.functions.size === 0) return;
    const L = this.vmInstance.L;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, CALLBACKS);
    for (const f of library.functions.values()) {
      lua.lua_pushnil(L);
      lua.lua_rawseti(L, -2, f.ref);
    }
    lua.lua_pop(L, 1);
  }

  /** Frees every library of a context. */
  freeAll(ctx: LibraryContext): void {
    for (const lib of ctx.libraries.values()) this.free(lib);
  }

  /**
   * functionsCreateWithLibraryCtx: creates the library a code declares into `ctx` (replacing one of the same
   * name when `replace`). Returns its name, or the error text (without the ERR code).
   */
  createLibrary(code: string, replace: boolean, ctx: LibraryContext, timeoutMs: number): { name: string } | { error: string } {
    const md = extractMetadata(code);
    if ('error' in md) return md;
    if (!validName(md.name)) return { error: NAME_ERROR };
    if (md.engine.toUpperCase() !== ENGINE_NAME) return { error: `Engine '${md.engine}' not found` };
    const old = ctx.libraries.get(md.name);
    if (old && !replace) return { error: `Library '${md.name}' already exists` };
    if (old) ctx.unlink(old);
    const library: Library = { name: md.name, code, functions: new Map() };
    const fail = (error: string) => {
      this.free(library);
      if (old) ctx.link(old);
      return { error };
    };
    const err = this.create(library, md.body, timeoutMs);
    if (err !== null) return fail(err);
    if (library.functions.size === 0) return fail('No functions registered');
    for (const f of library.functions.values()) {
      if (ctx.lookup(f.name)) return fail(`Function ${f.name} already exists`);
    }
    ctx.link(library);
    if (old) this.free(old);
    return { name: md.name };
  }

  /**
   * libraryJoin: moves every library of `src` into `dst`. On a name collision, fails unless `replace` (then the
   * old library goes); on a function collision, fails. On failure `dst` is as it was and `src` untouched.
   */
  join(dst: LibraryContext, src: LibraryContext, replace: boolean): string | null {
    const replaced: Library[] = [];
    const revert = (error: string) => {
      for (const lib of replaced) dst.link(lib);
      return error;
    };
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (!old) continue;
      if (!replace) return revert(`Library ${lib.name} already exists`);
      dst.unlink(old);
      replaced.push(old);
    }
    for (const f of src.functions.values()) {
      if (dst.lookup(f.name)) return revert(`Function ${f.name} already exists`);
    }
    for (const lib of [...src.libraries.values()]) {
      src.unlink(lib);
      dst.link(lib);
    }
    for (const lib of replaced) this.free(lib);
    return null;
  }
}

/** Puts Redis's nonexistent-global error metatable on the table at idx (luaSetErrorMetatable). */
function setErrorMetatable(L: LuaState, idx: number): void {
  const t = lua.lua_absindex(L, idx);
  lua.lua_newtable(L);
  lua.lua_pushjsfunction(L, (l) => {
    lauxlib.luaL_where(l, 1);
    lua.lua_pushstring(l, binaryToBytes(`Script attempted to access nonexistent global variable '${toBinary(l, 2) ?? ''}'`));
    lua.lua_concat(l, 2);
    return lua.lua_error(l);
  });
  lua.lua_setfield(L, -2, '__index');
  lua.lua_setmetatable(L, t);
}

/** luaRegisterFunctionReadFlags: the flags of the table on top, or null for an unknown (or non-string) one. */
function readFlags(L: LuaState): number | null {
  let flags = 0;
  for (let j = 1; ; j++) {
    lua.lua_pushnumber(L, j);
    lua.lua_gettable(L, -2);
    const t = lua.lua_type(L, -1);
    if (t === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return flags;
    }
    const name = lua.lua_isstring(L, -1) ? (toBinary(L, -1) ?? '').toLowerCase() : null;
    lua.lua_pop(L, 1);
    const found = name === null ? undefined : FUNCTION_FLAGS.find(([n]) => n === name);
    if (!found) return null;
    flags |= found[1];
  }
}

/** luaExtractErrorInformation's message for an error raised while a library loads (no error handler runs). */
function errorMessage(L: LuaState): string {
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING || lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
    return `ERR ${lua51ErrorText(toBinary(L, -1) ?? '')}`;
  }
  if (lua.lua_istable(L, -1)) {
    lua.lua_getfield(L, -1, 'err');
    const err = lua.lua_isstring(L, -1) ? toBinary(L, -1) : null;
    lua.lua_pop(L, 1);
    if (err !== null) return err;
  }
  return 'ERR unknown error';
}

/**
 * A server's functions: the engine and the current libraries. It is the core's FunctionLibraryStore, so RDB
 * files and full syncs carry the libraries' code.
 */
export class FunctionsState implements FunctionLibraryStore {
  readonly engine: FunctionEngine;
  current = new LibraryContext();
  /** The script clients FCALL runs commands through, one per caller. */
  readonly clients = new WeakMap<Client, Client>();

  constructor(core: ServerCore) {
    const levels = ['debug', 'verbose', 'notice', 'warning'] as const;
    this.engine = new FunctionEngine(
      (level, message) => {
        const configured = levels.indexOf(core.config.str('loglevel') as (typeof levels)[number]);
        if (configured < 0 || level < configured) return;
        core.host.log(levels[level], message);
      },
      () => core.micros(),
      () => scriptingState(core).random,
    );
  }

  /** FUNCTION FLUSH and a full sync's emptyData: no libraries. */
  clear(): void {
    this.engine.freeAll(this.current);
    this.current = new LibraryContext();
  }

  codes(): string[] {
    return [...this.current.libraries.values()].map((l) => l.code);
  }

  counts(): { libraries: number; functions: number } {
    return { libraries: this.current.libraries.size, functions: this.current.functions.size };
  }

  beginLoad(): FunctionLibraryLoad {
    const staging = new LibraryContext();
    return {
      // rdbFunctionLoad: no time limit, and a library of the same name in the file is an error.
      add: (code) => {
        const r = this.engine.createLibrary(code, false, staging, 0);
        return 'error' in r ? r.error : null;
      },
      commit: () => {
        this.engine.freeAll(this.current);
        this.current = staging;
      },
    };
  }
}

const states = new WeakMap<ServerCore, FunctionsState>();

/** The functions of a server (created on first use; createServerCore's `functionLibraries` creates it early). */
export function functionsState(core: ServerCore): FunctionsState {
  let s = states.get(core);
  if (!s) states.set(core, (s = new FunctionsState(core)));
  return s;
}

/** The store createServerCore installs as core.functionLibraries (Node server, test harness). */
export function functionLibraryStore(core: ServerCore): FunctionLibraryStore {
  return functionsState(core);
}

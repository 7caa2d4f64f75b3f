import { globMatch } from '../glob.js';
import { ACL_CATEGORIES, COMMAND_ACL, type AclKeySpec, type KeyPerm } from './acl-categories.js';
import type { CommandSpec } from './command-spec.js';
import type { ServerCore } from './server-core.js';

/** Key pattern permission bits (Redis's ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const ACL_READ = 1;
export const ACL_WRITE = 2;
const ACL_ALL = ACL_READ | ACL_WRITE;

/** The outcome of a permission check, ordered as Redis's ACL_DENIED_* values (a higher one is more specific). */
export enum AclResult {
  OK = 0,
  DENIED_CMD = 1,
  DENIED_KEY = 2,
  DENIED_AUTH = 3,
  DENIED_CHANNEL = 4,
}

/** A rule that could not be applied: `reason` is ACLSetUserStringError's text. */
export class AclRuleError extends Error {
  constructor(
    readonly reason: string,
    /** The rule names a command or category that does not exist (ACL LOAD reports those differently). */
    readonly unknownName = false,
  ) {
    super(reason);
  }
}

const ERR_SYNTAX = 'Syntax error';
const ERR_UNKNOWN = 'Unknown command or category name in ACL';
const ERR_KEYS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const ERR_CHANNELS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
const ERR_NO_SUCH_PASSWORD = 'The password you are trying to remove from the user does not exist';
const ERR_BAD_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
const ERR_FIRSTARG_OF_SUB = 'Allowing first-arg of a subcommand is not supported';

/** One command of the ACL view of the table: its full name, categories and subcommands. */
export interface AclCommand {
  fullName: string;
  /** Our implementation, or null for a command of Redis's table this server does not have. */
  spec: CommandSpec | null;
  categories: Set<string>;
  parent: AclCommand | null;
  subs: AclCommand[];
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The command table as ACL rules see it (Redis's server.orig_commands with acl_categories): Redis 7.0's whole
 * table plus any command of ours it lacks. Rules may name a Redis command this server does not implement, as
 * on a stock server, and category rules count the same commands, so users are described exactly as Redis does.
 */
export class AclCommandTable {
  /** Top-level commands, in name order (the order single-command rules are described in). */
  readonly commands: AclCommand[] = [];
  /** Every command and subcommand by full name. */
  readonly byName = new Map<string, AclCommand>();

  constructor(specs: Iterable<CommandSpec>) {
    const ours = new Map<string, CommandSpec>();
    for (const spec of specs) {
      ours.set(spec.name, spec);
      for (const sub of spec.subcommands ?? []) ours.set(`${spec.name}|${sub.name}`, sub);
    }
    const names = new Set([...Object.keys(COMMAND_ACL), ...ours.keys()]);
    const tops = [...names].filter((n) => !n.includes('|')).map((name) => ({ name }));
    tops.sort(byName);
    for (const { name } of tops) {
      const cmd = this.entry(name, ours.get(name) ?? null, null);
      this.commands.push(cmd);
      const subs = [...names].filter((n) => n.startsWith(`${name}|`)).map((n) => ({ name: n }));
      subs.sort(byName);
      for (const sub of subs) cmd.subs.push(this.entry(sub.name, ours.get(sub.name) ?? null, cmd));
    }
  }

  private entry(fullName: string, spec: CommandSpec | null, parent: AclCommand | null): AclCommand {
    const data = COMMAND_ACL[fullName];
    const categories = new Set(data ? data.categories.split(' ').filter((c) => c !== '') : spec ? implicitCategories(spec) : []);
    const cmd: AclCommand = { fullName, spec, categories, parent, subs: [] };
    this.byName.set(fullName, cmd);
    return cmd;
  }

  /** Redis's ACLLookupCommand: "name" or "container|sub", case-insensitive; null when unknown. */
  lookup(name: string): AclCommand | null {
    const parts = name.toLowerCase().split('|');
    if (parts.length > 2) return null;
    const base = this.byName.get(parts[0]);
    if (!base || base.parent) return null;
    if (parts.length === 1) return base;
    if (base.subs.length === 0) return null;
    return this.byName.get(`${parts[0]}|${parts[1]}`) ?? null;
  }
}

/** Redis's setImplicitACLCategories, for commands the stock table does not have. */
function implicitCategories(spec: CommandSpec): string[] {
  const out: string[] = [];
  if (spec.flags.includes('write')) out.push('write');
  if (spec.flags.includes('readonly')) out.push('read');
  if (spec.flags.includes('admin')) out.push('admin', 'dangerous');
  if (spec.flags.includes('pubsub')) out.push('pubsub');
  if (spec.flags.includes('fast')) out.push('fast');
  if (spec.flags.includes('blocking')) out.push('blocking');
  if (!out.includes('fast')) out.push('slow');
  return out;
}

interface KeyPattern {
  pattern: string;
  flags: number;
}

/** A set of permissions (Redis's aclSelector): the user's root one, or one added with `(...)`. */
export class Selector {
  allKeys = false;
  allChannels = false;
  allCommands = false;
  /** Redis's reserved command bit: set by +@all only, it makes the description start with +@all. */
  future = false;
  readonly allowed = new Set<string>();
  /** Full name -> first arguments allowed although the command is not (+select|0). */
  readonly firstArgs = new Map<string, string[]>();
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(readonly root: boolean) {}

  clone(): Selector {
    const s = new Selector(this.root);
    s.allKeys = this.allKeys;
    s.allChannels = this.allChannels;
    s.allCommands = this.allCommands;
    s.future = this.future;
    for (const n of this.allowed) s.allowed.add(n);
    for (const [k, v] of this.firstArgs) s.firstArgs.set(k, [...v]);
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  private setBit(name: string, allow: boolean): void {
    if (allow) this.allowed.add(name);
    else {
      this.allowed.delete(name);
      this.allCommands = false;
    }
  }

  /** Redis's ACLChangeSelectorPerm: a container's rule applies to its subcommands too. */
  changePerm(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.fullName, allow);
    this.firstArgs.delete(cmd.fullName);
    for (const sub of cmd.subs) this.setBit(sub.fullName, allow);
  }

  /** +@category / -@category over the whole table (Redis's ACLSetSelectorCommandBitsForCategoryLogic). */
  changeCategory(table: AclCommandTable, category: string, allow: boolean): void {
    for (const cmd of table.commands) {
      if (cmd.categories.has(category)) this.changePerm(cmd, allow);
      for (const sub of cmd.subs) if (sub.categories.has(category)) this.changePerm(sub, allow);
    }
  }

  setAll(table: AclCommandTable, allow: boolean): void {
    this.allowed.clear();
    if (allow) for (const name of table.byName.keys()) this.allowed.add(name);
    this.allCommands = allow;
    this.future = allow;
    this.firstArgs.clear();
  }

  /** Applies one selector rule (Redis's ACLSetSelector). Throws AclRuleError. */
  apply(table: AclCommandTable, op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(table, true);
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(table, false);
    } else if (op[0] === '~' || op[0] === '%') {
      if (this.allKeys) throw new AclRuleError(ERR_KEYS_AFTER_ALL);
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === 'R' && !(flags & ACL_READ)) flags |= ACL_READ;
          else if (ch === 'W' && !(flags & ACL_WRITE)) flags |= ACL_WRITE;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else throw new AclRuleError(ERR_SYNTAX);
        }
      } else {
        flags = ACL_ALL;
      }
      const pattern = op.slice(offset);
      if (hasSpaces(pattern)) throw new AclRuleError(ERR_SYNTAX);
      const existing = this.patterns.find((p) => p.pattern === pattern);
      if (existing) existing.flags |= flags;
      else this.patterns.push({ pattern, flags });
      this.allKeys = false;
    } else if (op[0] === '&') {
      if (this.allChannels) throw new AclRuleError(ERR_CHANNELS_AFTER_ALL);
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new AclRuleError(ERR_SYNTAX);
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      const bar = op.lastIndexOf('|');
      if (bar < 0) {
        const cmd = table.lookup(op.slice(1));
        if (!cmd) throw new AclRuleError(ERR_UNKNOWN, true);
        this.changePerm(cmd, true);
        return;
      }
      const cmd = table.lookup(op.slice(1, bar));
      const sub = op.slice(bar + 1);
      if (!cmd) throw new AclRuleError(ERR_UNKNOWN, true);
      if (cmd.parent) throw new AclRuleError(ERR_FIRSTARG_OF_SUB);
      if (sub === '') throw new AclRuleError(ERR_SYNTAX);
      if (cmd.subs.length > 0) {
        const subCmd = table.lookup(op.slice(1));
        if (!subCmd) throw new AclRuleError(ERR_UNKNOWN, true);
        this.changePerm(subCmd, true);
      } else {
        // Redis's deprecated first-arg form (+select|0): the command stays denied except with that argument.
        const list = this.firstArgs.get(cmd.fullName) ?? [];
        if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
        this.firstArgs.set(cmd.fullName, list);
      }
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = table.lookup(op.slice(1));
      if (!cmd) throw new AclRuleError(ERR_UNKNOWN, true);
      this.changePerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const category = op.slice(2).toLowerCase();
      if (!ACL_CATEGORIES.includes(category)) throw new AclRuleError(ERR_UNKNOWN, true);
      this.changeCategory(table, category, op[0] === '+');
    } else {
      throw new AclRuleError(ERR_SYNTAX);
    }
  }

  /** Whether the bits for commands are the same as another selector's. */
  private sameBits(other: Selector): boolean {
    if (this.allowed.size !== other.allowed.size || this.future !== other.future) return false;
    for (const n of this.allowed) if (!other.allowed.has(n)) return false;
    return true;
  }

  /**
   * Redis 7.0's ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that best fit the bitmap
   * (in category order, each time the one with the fewest differences), then single commands.
   */
  describeCommands(table: AclCommandTable): string {
    const additive = !this.future;
    const rules: string[] = [additive ? '-@all' : '+@all'];
    const fake = new Selector(false);
    fake.setAll(table, !additive);
    const temp = this.clone();
    const applied = new Set<string>();
    for (;;) {
      let best: string | null = null;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (const category of ACL_CATEGORIES) {
        if (applied.has(category)) continue;
        let on = 0;
        let off = 0;
        for (const cmd of table.byName.values()) {
          if (!cmd.categories.has(category)) continue;
          if (temp.allowed.has(cmd.fullName)) on++;
          else off++;
        }
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = category;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === null) break;
      fake.changeCategory(table, best, additive);
      temp.changeCategory(table, best, !additive);
      rules.push(`${additive ? '+' : '-'}@${best}`);
      applied.add(best);
    }
    const single = (cmd: AclCommand) => {
      const userBit = this.allowed.has(cmd.fullName);
      if (userBit !== fake.allowed.has(cmd.fullName)) {
        rules.push(`${userBit ? '+' : '-'}${cmd.fullName}`);
        fake.changePerm(cmd, userBit);
      }
      for (const sub of cmd.subs) single(sub);
      const args = this.firstArgs.get(cmd.fullName);
      if (!userBit && args) for (const a of args) rules.push(`+${cmd.fullName}|${a}`);
    };
    for (const cmd of table.commands) single(cmd);
    // As Redis, a description that would not recreate the same permissions is a bug, never a silent grant.
    if (!fake.sameBits(this)) {
      throw new Error(`ACL description does not match the command bits: ${rules.join(' ')}`);
    }
    return rules.join(' ');
  }

  /** The key patterns as ACL GETUSER's "keys" field and ACL LIST show them. */
  describeKeys(): string[] {
    if (this.allKeys) return ['~*'];
    return this.patterns.map(
      (p) => (p.flags === ACL_ALL ? '~' : p.flags === ACL_READ ? '%R~' : '%W~') + p.pattern,
    );
  }

  /** Redis's ACLDescribeSelector: keys, channels, then command rules. */
  describe(table: AclCommandTable): string {
    let out = '';
    for (const k of this.describeKeys()) out += `${k} `;
    if (this.allChannels) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const ch of this.channels) out += `&${ch} `;
    }
    return out + this.describeCommands(table);
  }

  /** Redis's ACLSelectorCheckKey. */
  checkKey(key: string, perm: KeyPerm): boolean {
    if (this.allKeys) return true;
    for (const p of this.patterns) {
      if ((p.flags & perm) !== perm) continue;
      if (globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  /** Redis's ACLCheckChannelAgainstList: patterns (PSUBSCRIBE) must equal an ACL pattern literally. */
  checkChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channels) {
      if (isPattern ? p === channel : globMatch(p, channel)) return true;
    }
    return false;
  }

  /** Redis's ACLSelectorCheckCmd: the result and the argv index of the denied key or channel. */
  checkCommand(cmd: AclCommand, argv: string[], refs: CommandRefs): [AclResult, number] {
    if (!this.allCommands && !cmd.spec?.flags.includes('no_auth') && !this.allowed.has(cmd.fullName)) {
      const args = this.firstArgs.get(cmd.fullName);
      const idx = cmd.parent ? 2 : 1;
      if (argv.length < 2 || !args || !args.some((a) => a.toLowerCase() === (argv[idx] ?? '').toLowerCase())) {
        return [AclResult.DENIED_CMD, 0];
      }
    }
    if (!this.allKeys) {
      for (const [pos, perm] of refs.keys()) {
        if (!this.checkKey(argv[pos], perm)) return [AclResult.DENIED_KEY, pos];
      }
    }
    if (!this.allChannels) {
      for (const [pos, isPattern] of refs.channels()) {
        if (!this.checkChannel(argv[pos], isPattern)) return [AclResult.DENIED_CHANNEL, pos];
      }
    }
    return [AclResult.OK, 0];
  }
}

/** The keys and channels of one invocation, computed once for all of a user's selectors. */
class CommandRefs {
  private keyRefs: Array<[number, KeyPerm]> | null = null;
  private channelRefs: Array<[number, boolean]> | null = null;

  constructor(
    private readonly cmd: AclCommand,
    private readonly argv: string[],
  ) {}

  keys(): Array<[number, KeyPerm]> {
    return (this.keyRefs ??= commandKeyRefs(this.cmd, this.argv));
  }

  channels(): Array<[number, boolean]> {
    return (this.channelRefs ??= commandChannelRefs(this.cmd.fullName, this.argv));
  }
}

/** Redis's getChannelsFromCommand for the checks ACL makes (publish and subscribe, not unsubscribe). */
function commandChannelRefs(fullName: string, argv: string[]): Array<[number, boolean]> {
  const out: Array<[number, boolean]> = [];
  switch (fullName) {
    case 'publish':
    case 'spublish':
      if (argv.length > 1) out.push([1, false]);
      break;
    case 'subscribe':
    case 'ssubscribe':
      for (let i = 1; i < argv.length; i++) out.push([i, false]);
      break;
    case 'psubscribe':
      for (let i = 1; i < argv.length; i++) out.push([i, true]);
      break;
  }
  return out;
}

/**
 * The argv positions of an invocation's keys with the permission each needs: Redis's key specs
 * (getKeysUsingKeySpecs), or the command's own key finder where Redis uses one (SET and BITFIELD, whose
 * access depends on the arguments; SORT's STORE; MIGRATE's KEYS).
 */
function commandKeyRefs(cmd: AclCommand, argv: string[]): Array<[number, KeyPerm]> {
  const name = cmd.fullName;
  if (name === 'set') {
    // setGetKeys: with GET the key is also read.
    for (let i = 3; i < argv.length; i++) if (argv[i].toLowerCase() === 'get') return [[1, 3]];
    return [[1, 2]];
  }
  if (name === 'bitfield') return [[1, bitfieldReadOnly(argv) ? 1 : 3]];
  if (name === 'sort' || name === 'sort_ro') {
    const out: Array<[number, KeyPerm]> = [[1, 1]];
    let store = 0;
    for (let i = 2; i < argv.length; i++) {
      const a = argv[i].toLowerCase();
      if (a === 'limit') i += 2;
      else if (a === 'get' || a === 'by') i += 1;
      else if (a === 'store' && i + 1 < argv.length) store = i + 1;
    }
    if (store > 0) out.push([store, 2]);
    return out;
  }
  const data = COMMAND_ACL[name];
  if (!data) {
    if (!cmd.spec) return [];
    const perm: KeyPerm = cmd.spec.flags.includes('write') ? 3 : 1;
    return keyPositions(cmd.spec, argv).map((p) => [p, perm]);
  }
  const found = keysFromSpecs(data.keys, argv, cmd.spec?.arity ?? -1);
  if (found !== null || !cmd.spec) return found ?? [];
  // An incomplete or unusable spec: the command's own key finder, as Redis falls back to its getkeys proc.
  const perm: KeyPerm = data.keys.reduce((p, k) => (p | k[0]) as KeyPerm, 0 as KeyPerm);
  return keyPositions(cmd.spec, argv).map((p) => [p, perm]);
}

function keyPositions(spec: CommandSpec, argv: string[]): number[] {
  if (spec.getKeys) {
    try {
      return spec.getKeys(argv);
    } catch {
      return [];
    }
  }
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step || 1) out.push(i);
  return out;
}

function bitfieldReadOnly(argv: string[]): boolean {
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const a = argv[i].toLowerCase();
    if (a === 'get' && rem >= 2) i += 2;
    else if ((a === 'set' || a === 'incrby') && rem >= 3) return false;
    else if (a === 'overflow' && rem >= 1) i += 1;
    else return false;
  }
  return true;
}

/** Redis's getKeysUsingKeySpecs; null when a spec is unknown or the arguments do not fit it. */
function keysFromSpecs(specs: AclKeySpec[], argv: string[], arity: number): Array<[number, KeyPerm]> | null {
  const argc = argv.length;
  const out: Array<[number, KeyPerm]> = [];
  for (const [perm, begin, find] of specs) {
    let first = 0;
    if (typeof begin === 'number') {
      first = begin;
    } else if (begin !== null) {
      const [keyword, startfrom] = begin;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv[i].toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }
    let last: number;
    let step: number;
    if (find === null) return null;
    if (Array.isArray(find)) {
      const [lastkey, keystep, limit] = find;
      step = keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else {
      const [keynumidx, firstkey, keystep] = find.keynum;
      step = keystep;
      if (keynumidx >= argc) return null;
      const text = argv[first + keynumidx];
      if (text === undefined || !/^(0|-?[1-9]\d*)$/.test(text)) return null;
      const numkeys = Number(text);
      if (numkeys < 0) return null;
      first += firstkey;
      last = first + numkeys - 1;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (arity < 0) continue;
        break;
      }
      out.push([i, perm]);
    }
  }
  return out;
}

function hasSpaces(s: string): boolean {
  return /[\s\0]/.test(s);
}

/** An ACL user (Redis's `user`): flags, password hashes and selectors (the first is the root one). */
export class AclUser {
  enabled = false;
  nopass = false;
  /** skip-sanitize-payload / sanitize-payload: '' until either is set. */
  sanitize: '' | 'skip-sanitize-payload' | 'sanitize-payload' = '';
  passwords: string[] = [];
  selectors: Selector[] = [new Selector(true)];

  constructor(readonly name: string) {}

  get root(): Selector {
    return this.selectors[0];
  }

  clone(name = this.name): AclUser {
    const u = new AclUser(name);
    u.copyFrom(this);
    return u;
  }

  copyFrom(src: AclUser): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
  }

  /** Applies one rule (Redis's ACLSetUser). Throws AclRuleError. */
  apply(table: AclCommandTable, op: string): void {
    if (op === '') return;
    const lower = op.toLowerCase();
    if (lower === 'on') this.enabled = true;
    else if (lower === 'off') this.enabled = false;
    else if (lower === 'skip-sanitize-payload' || lower === 'sanitize-payload') this.sanitize = lower;
    else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let hash: string;
      if (op[0] === '>') hash = sha256Hex(op.slice(1));
      else {
        hash = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(ERR_BAD_HASH);
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let hash: string;
      if (op[0] === '<') hash = sha256Hex(op.slice(1));
      else {
        hash = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(ERR_BAD_HASH);
      }
      const i = this.passwords.indexOf(hash);
      if (i < 0) throw new AclRuleError(ERR_NO_SUCH_PASSWORD);
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(false);
      for (const rule of splitArgs(op.slice(1, -1))) s.apply(table, rule);
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors = [this.root];
    } else if (lower === 'reset') {
      this.nopass = false;
      this.passwords = [];
      this.root.apply(table, 'resetkeys');
      this.root.apply(table, 'resetchannels');
      this.enabled = false;
      this.sanitize = 'sanitize-payload';
      this.selectors = [this.root];
      this.root.apply(table, '-@all');
    } else {
      this.root.apply(table, op);
    }
  }

  /** The flags as ACL GETUSER lists them, in Redis's order. */
  flags(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    if (this.sanitize !== '') out.push(this.sanitize);
    return out;
  }

  /** Redis's ACLDescribeUser (ACL LIST and the ACL file, after "user <name> "). */
  describe(table: AclCommandTable): string {
    let out = '';
    for (const f of this.flags()) out += `${f} `;
    for (const p of this.passwords) out += `#${p} `;
    for (const s of this.selectors) out += s.root ? s.describe(table) : ` (${s.describe(table)})`;
    return out;
  }

  /** Whether every command, key and channel is allowed (the default user's usual rules): nothing to check. */
  unrestricted(): boolean {
    const root = this.selectors[0];
    return root.allCommands && root.allKeys && root.allChannels;
  }

  /** Redis's ACLCheckAllUserCommandPerm: OK, or the most relevant denial and its argv index. */
  check(cmd: AclCommand, argv: string[]): [AclResult, number] {
    if (this.unrestricted()) return [AclResult.OK, 0];
    const refs = new CommandRefs(cmd, argv);
    let relevant: AclResult = AclResult.DENIED_CMD;
    let lastIdx = 0;
    for (const s of this.selectors) {
      const [r, idx] = s.checkCommand(cmd, argv, refs);
      if (r === AclResult.OK) return [r, 0];
      if (r > relevant || (r === relevant && idx > lastIdx)) {
        relevant = r;
        lastIdx = idx;
      }
    }
    return [relevant, lastIdx];
  }

  /** Redis's ACLUserCheckChannelPerm. */
  checkChannel(channel: string, isPattern: boolean): boolean {
    return this.selectors.some((s) => s.checkChannel(channel, isPattern));
  }

  /** Whether a password logs in as this user (disabled users never do). */
  accepts(password: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    return this.passwords.includes(sha256Hex(password));
  }
}

/** Redis's sdssplitargs, as used for a selector's rules: spaces separate, quotes group. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let cur = '';
    if (line[i] === '"' || line[i] === "'") {
      const q = line[i++];
      while (i < line.length && line[i] !== q) {
        if (q === '"' && line[i] === '\\' && i + 1 < line.length) i++;
        cur += line[i++];
      }
      i++;
    } else {
      while (i < line.length && !/\s/.test(line[i])) cur += line[i++];
    }
    out.push(cur);
  }
  return out;
}

/** Redis's ACLMergeSelectorArguments: rules split across arguments "(~a" "+get)" become one. */
export function mergeSelectorArgs(args: string[]): { merged: string[] } | { unmatched: number } {
  const merged: string[] = [];
  let open = -1;
  let current = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      current = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      current += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        merged.push(current);
      }
      continue;
    }
    merged.push(op);
  }
  if (open !== -1) return { unmatched: open };
  return { merged };
}

/** One ACL LOG entry. */
export interface AclLogEntry {
  count: number;
  reason: AclResult;
  context: 'toplevel' | 'multi' | 'lua' | 'module';
  object: string;
  username: string;
  ctime: number;
  clientInfo: string;
}

/** Entries closer than this in time are merged into one (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const LOG_GROUPING_MS = 60000;

/** The users, the ACL LOG and the command table of one server. */
export class Acl {
  users = new Map<string, AclUser>();
  readonly log: AclLogEntry[] = [];
  private tableCache: AclCommandTable | null = null;
  private tableSize = 0;

  constructor(private readonly commands: Map<string, CommandSpec>) {
    this.users.set('default', this.createDefaultUser());
  }

  /** The ACL view of the command table (rebuilt if commands were added since). */
  get table(): AclCommandTable {
    if (this.tableCache === null || this.tableSize !== this.commands.size) {
      this.tableCache = new AclCommandTable(this.commands.values());
      this.tableSize = this.commands.size;
    }
    return this.tableCache;
  }

  /** Redis's ACLCreateDefaultUser. */
  createDefaultUser(): AclUser {
    const u = new AclUser('default');
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(this.table, op);
    return u;
  }

  get defaultUser(): AclUser {
    return this.users.get('default')!;
  }

  /** Whether new connections must authenticate (Redis's authRequired before AUTH). */
  authRequired(): boolean {
    const d = this.defaultUser;
    return !d.nopass || !d.enabled;
  }

  /** requirepass: the default user's password ("" = nopass), as Redis's ACLUpdateDefaultUserPassword. */
  setDefaultPassword(password: string): void {
    const d = this.defaultUser;
    d.apply(this.table, 'resetpass');
    d.apply(this.table, password === '' ? 'nopass' : `>${password}`);
  }

  /** Users by name in Redis's (byte) order. */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Redis's ACLStringSetUser: applies every rule to a copy, and only if all apply replaces (or creates) the user.
   * Returns the error text (without "ERR ") or null.
   */
  setUser(name: string, args: string[]): string | null {
    const m = mergeSelectorArgs(args);
    if ('unmatched' in m) return `Unmatched parenthesis in acl selector starting at '${args[m.unmatched]}'.`;
    const existing = this.users.get(name);
    const temp = existing ? existing.clone() : new AclUser(name);
    for (const op of m.merged) {
      try {
        temp.apply(this.table, op);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        return `Error in ACL SETUSER modifier '${op}': ${e.reason}`;
      }
    }
    if (existing) existing.copyFrom(temp);
    else this.users.set(name, temp);
    return null;
  }

  /** Redis's ACLCheckUserCredentials: the user, or null (unknown, disabled or wrong password). */
  credentials(name: string, password: string): AclUser | null {
    const u = this.users.get(name);
    if (!u || !u.accepts(password)) return null;
    return u;
  }

  /** Looks a command up by full name for permission checks. */
  command(fullName: string): AclCommand | undefined {
    return this.table.byName.get(fullName);
  }

  /** Redis's addACLLogEntry: a similar recent entry is bumped instead of adding one. */
  addLog(entry: Omit<AclLogEntry, 'count'>, maxLen: number): void {
    const scan = Math.min(10, this.log.length);
    for (let i = 0; i < scan; i++) {
      const e = this.log[i];
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.ctime - entry.ctime) <= LOG_GROUPING_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        this.log.splice(i, 1);
        e.clientInfo = entry.clientInfo;
        e.ctime = entry.ctime;
        e.count++;
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ ...entry, count: 1 });
    while (this.log.length > maxLen) this.log.pop();
  }

  /**
   * Parses an ACL file (Redis's ACLLoadFromFile) into a new set of users. Returns the users or the error line
   * Redis replies with; nothing is changed here.
   */
  parseFile(text: string, filename: string): Map<string, AclUser> | string {
    const users = new Map<string, AclUser>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const linenum = i + 1;
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '') continue;
      const argv = line.split(' ').filter((a) => a !== '');
      if (argv.length === 0) continue;
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      if (hasSpaces(argv[1])) {
        errors += `'${filename}:${linenum}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (users.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = new AclUser(argv[1]);
      users.set(argv[1], u);
      const m = mergeSelectorArgs(argv.slice(2));
      if ('unmatched' in m) {
        errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of m.merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          u.apply(this.table, op);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          if (e.unknownName) {
            errors += `${filename}:${linenum}: Error in applying operation '${op}': ${e.reason}. `;
          } else if (!syntaxError) {
            errors += `${filename}:${linenum}: ${e.reason}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    if (!users.has('default')) users.set('default', this.createDefaultUser());
    return users;
  }

  /** Installs users parsed from a file: the default user object is kept, with the file's rules. */
  replaceUsers(users: Map<string, AclUser>): void {
    const current = this.defaultUser;
    current.copyFrom(users.get('default')!);
    users.set('default', current);
    this.users = users;
  }

  /** The ACL file text ACL SAVE writes: one "user <name> <rules>" line per user, in name order. */
  fileText(): string {
    let out = '';
    for (const u of this.sortedUsers()) out += `user ${u.name} ${u.describe(this.table)}\n`;
    return out;
  }
}

const registries = new WeakMap<ServerCore, Acl>();

/**
 * The ACL state of a server, created on first use: the default user takes requirepass (and follows CONFIG SET
 * requirepass, as Redis's updateRequirePass does).
 */
export function aclOf(core: ServerCore): Acl {
  let acl = registries.get(core);
  if (acl) return acl;
  acl = new Acl(core.commands);
  registries.set(core, acl);
  const created = acl;
  created.setDefaultPassword(core.config.str('requirepass'));
  core.config.onChange((name) => {
    if (name === 'requirepass') created.setDefaultPassword(core.config.str('requirepass'));
  });
  return acl;
}

// -------------------------------------------------------------------------------------------------------------
// SHA-256 (ACL password hashes), over the bytes of a binary string.
// -------------------------------------------------------------------------------------------------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** The SHA-256 of a binary string, as 64 lowercase hex digits (Redis's ACLHashPassword). */
export function sha256Hex(data: string): string {
  const len = data.length;
  const total = Math.ceil((len + 9) / 64) * 64;
  const bytes = new Uint8Array(total);
  for (let i = 0; i < len; i++) bytes[i] = data.charCodeAt(i) & 0xff;
  bytes[len] = 0x80;
  const bits = len * 8;
  const view = new DataView(bytes.buffer);
  view.setUint32(total - 8, Math.floor(bits / 0x100000000));
  view.setUint32(total - 4, bits >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  let out = '';
  for (const x of h) out += x.toString(16).padStart(8, '0');
  return out;
}

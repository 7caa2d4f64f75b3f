import { binaryToBytes } from '../bytes.js';
import { CommandError, SYNTAX } from '../errors.js';
import { isWord, parseInteger } from '../commands/parse.js';
import { writeReply } from '../resp/encoder.js';
import { ErrorReply, MapReply, OK, PushReply, RawReply, SetReply, type Reply } from '../resp/reply.js';
import type { Client } from './client.js';
import { command, commandKeys, type CommandSpec } from './command-spec.js';
import { replyError } from './dispatch.js';
import type { ServerCore } from './server-core.js';

/** A client's CLIENT TRACKING state (Redis's CLIENT_TRACKING_* flags); null on the client when tracking is off. */
export interface ClientTracking {
  /** The client id invalidations go to (0: this connection). */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next command. */
  caching: boolean;
  /** The redirect target disconnected (CLIENT LIST flag R, TRACKINGINFO broken_redirect). */
  brokenRedirect: boolean;
  /** BCAST prefixes ('' = every key). */
  prefixes: Set<string>;
}

/** BCAST state of one prefix: keys modified since the last broadcast (with who modified them last), and subscribers. */
interface PrefixState {
  keys: Map<string, Client | null>;
  clients: Set<Client>;
}

const CHANNEL = '__redis__:invalidate';
/** The null that means "every key" after a flush, as the tracking client's protocol writes it (Redis's shared.null). */
const FLUSH_NULL: Record<2 | 3, RawReply> = {
  2: new RawReply(binaryToBytes('$-1\r\n')),
  3: new RawReply(binaryToBytes('_\r\n')),
};

/**
 * Client-side caching (Redis 7.0's tracking.c). Default mode remembers, per key name (across databases, as Redis),
 * the ids of the clients that read it; a change sends those clients one invalidation and forgets them. BCAST mode
 * collects changed keys per prefix and sends them once per event (Redis's beforeSleep; here before the core flushes
 * its output at the end of an event). Ids of clients that stop tracking stay in the table until their keys change,
 * as in Redis, so `totalItems` may count them.
 */
export class Tracking {
  /** Clients with tracking on (INFO tracking_clients): everything else is skipped while it is 0. */
  clients = 0;
  /** Key -> ids of the clients that may cache it (Redis's TrackingTable). */
  readonly table = new Map<string, Set<number>>();
  /** Ids stored across the table (INFO tracking_total_items). */
  totalItems = 0;
  /** Prefix -> BCAST state (Redis's PrefixTable). */
  readonly prefixes = new Map<string, PrefixState>();
  /** The client whose command is executing (set by dispatch while it runs), for NOLOOP and deferred messages. */
  current: Client | null = null;
  /** The command being executed (set by dispatch's call() while tracking is in use): a script's caller. */
  executing: { client: Client; spec: CommandSpec; argv: string[] } | null = null;
  /** The change being signalled is the server's own (an expired key's deletion), not the current client's. */
  serverChange = false;
  /** Invalidations for `current`, sent after its reply (null: a flush). */
  private pending: Array<string | null> = [];
  /** Consecutive rounds the table stayed over tracking-table-max-keys: each does more work. */
  private overLimitRounds = 0;

  constructor(private readonly core: ServerCore) {}

  /** Redis's enableTracking: options already validated. */
  enable(c: Client, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: string[]): void {
    let t = c.tracking;
    if (t === null) {
      this.clients++;
      t = c.tracking = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
    }
    t.redirect = redirect;
    t.brokenRedirect = false;
    t.bcast = opts.bcast;
    t.optin = opts.optin;
    t.optout = opts.optout;
    t.noloop = opts.noloop;
    if (opts.bcast) {
      if (prefixes.length === 0) this.addPrefix(c, t, '');
      for (const p of prefixes) this.addPrefix(c, t, p);
    }
  }

  private addPrefix(c: Client, t: ClientTracking, prefix: string): void {
    let state = this.prefixes.get(prefix);
    if (!state) this.prefixes.set(prefix, (state = { keys: new Map(), clients: new Set() }));
    state.clients.add(c);
    t.prefixes.add(prefix);
  }

  /** Redis's disableTracking (CLIENT TRACKING OFF, RESET, disconnect). Table entries are dropped lazily. */
  disable(c: Client): void {
    const t = c.tracking;
    if (t === null) return;
    for (const p of t.prefixes) {
      const state = this.prefixes.get(p);
      if (!state) continue;
      state.clients.delete(c);
      if (state.clients.size === 0) this.prefixes.delete(p);
    }
    c.tracking = null;
    this.clients--;
  }

  /**
   * After a read-only command of a tracking client (default mode): remembers its keys, unless OPTIN without
   * CACHING YES or OPTOUT with CACHING NO (Redis's trackingRememberKeys). Errors count as reads too, as in Redis.
   */
  rememberKeys(c: Client, spec: CommandSpec, argv: string[]): void {
    const t = c.tracking;
    if (t === null || t.bcast || spec.flags.includes('pubsub')) return;
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    for (const i of commandKeys(spec, argv)) {
      const key = argv[i];
      let ids = this.table.get(key);
      if (!ids) this.table.set(key, (ids = new Set()));
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.totalItems++;
      }
    }
  }

  /**
   * Redis's trackingInvalidateKey, from signalModifiedKey: queues the key for BCAST prefixes that match it and
   * sends one invalidation to each client remembered for it, then forgets the key. `bcast` is false for keys
   * dropped to honour tracking-table-max-keys (they did not change).
   */
  invalidateKey(key: string, bcast = true): void {
    // Wake-up keys of WAIT and MIGRATE (outside the byte range) are not data: no client can cache them.
    if (key.length > 0 && key.charCodeAt(0) > 0xff) return;
    // Who changed the key, for NOLOOP: nobody when the server deleted it (an expiry), as Redis passes NULL.
    const by = this.serverChange ? null : this.current;
    if (bcast && this.prefixes.size > 0) {
      for (const [prefix, state] of this.prefixes) {
        if (key.startsWith(prefix)) state.keys.set(key, by);
      }
    }
    const ids = this.table.get(key);
    if (!ids) return;
    for (const id of ids) {
      const target = this.core.clients.get(id);
      const t = target?.tracking;
      if (!target || !t || t.bcast) continue;
      if (t.noloop && target === by) continue;
      // The executing client's own invalidations must follow its reply, not be interleaved with it.
      if (target === this.current) this.pending.push(key);
      else this.send(target, [key]);
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  /** Redis's trackingInvalidateKeysOnFlush (FLUSHDB, FLUSHALL, a full resync): a null "everything" to each tracking client. */
  invalidateOnFlush(): void {
    if (this.clients > 0) {
      for (const c of this.core.clients.values()) {
        if (c.tracking === null) continue;
        if (c === this.current) this.pending.push(null);
        else this.send(c, null);
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /** After the executing client's reply: sends its deferred invalidations (Redis's trackingHandlePendingKeyInvalidations). */
  afterCommand(): void {
    const c = this.current;
    this.current = null;
    if (this.pending.length === 0 || c === null) return;
    const keys = this.pending;
    this.pending = [];
    if (c.closed) return;
    for (const key of keys) this.send(c, key === null ? null : [key]);
  }

  /**
   * Redis's sendTrackingMessage: an invalidation of `keys` (null: a flush) for tracking client `c`, to it (RESP3
   * push) or to its redirect target (a push, or for a RESP2 subscriber a message on __redis__:invalidate).
   * Pushes ignore CLIENT REPLY OFF, as Redis's CLIENT_PUSHING does.
   */
  private send(c: Client, keys: string[] | null): void {
    const t = c.tracking;
    const value: Reply = keys === null ? FLUSH_NULL[c.protocol] : keys;
    let target = c;
    if (t !== null && t.redirect !== 0) {
      const redir = this.core.clients.get(t.redirect);
      if (!redir || redir.closed) {
        t.brokenRedirect = true;
        if (c.protocol === 3) this.push(c, new PushReply(['tracking-redir-broken', t.redirect]));
        return;
      }
      target = redir;
    }
    if (target.protocol === 3) this.push(target, new PushReply(['invalidate', value]));
    else if (target !== c && target.subscribed) this.push(target, new PushReply(['message', CHANNEL, value]));
  }

  private push(target: Client, message: PushReply): void {
    if (target.closed) return;
    writeReply(target.out, message, target.protocol);
    this.core.queueWrite(target);
  }

  /** Redis's trackingBroadcastInvalidationMessages: the keys each prefix collected, in key order, once per event. */
  broadcast(): void {
    if (this.clients === 0) return;
    // Prefixes in byte order, as Redis walks its radix tree.
    const byPrefix = [...this.prefixes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, state] of byPrefix) {
      if (state.keys.size === 0) continue;
      const modified = [...state.keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      state.keys = new Map();
      const all = modified.map(([k]) => k);
      for (const c of state.clients) {
        if (c.tracking?.noloop) {
          // NOLOOP: leave out the keys this client changed last; nothing at all when that is every key.
          const others = modified.filter(([, by]) => by !== c).map(([k]) => k);
          if (others.length > 0) this.send(c, others);
        } else {
          this.send(c, all);
        }
      }
    }
  }

  /**
   * Redis's trackingLimitUsedSlots: while the table holds more keys than tracking-table-max-keys (0: no limit),
   * drops keys, invalidating them for their clients; each round still over the limit allows more work in the
   * next. Redis picks random keys; the oldest remembered go first here (a Map has no random access).
   */
  limitUsedSlots(): void {
    const max = this.core.config.int('tracking-table-max-keys');
    if (max === 0 || this.table.size <= max) {
      this.overLimitRounds = 0;
      return;
    }
    let effort = 100 * (this.overLimitRounds + 1);
    const saved = this.current;
    // Like Redis (the check runs before the command is executing), these go out at once, NOLOOP or not.
    this.current = null;
    try {
      while (effort-- > 0) {
        const first = this.table.keys().next();
        if (first.done) break;
        this.invalidateKey(first.value, false);
        if (this.table.size <= max) {
          this.overLimitRounds = 0;
          return;
        }
      }
      this.overLimitRounds++;
    } finally {
      this.current = saved;
    }
  }
}

/** The read-only script commands, which Redis's call() leaves to the commands they run. */
const SCRIPTS_RO = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Redis's prefix overlap test: one is a prefix of the other. */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

const BCAST_SWITCH =
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
const OPT_SWITCH =
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], checks in Redis's order. */
function clientTracking(core: ServerCore, c: Client, argv: string[]): Reply {
  let redirect = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j > 0;
    const opt = argv[j];
    if (isWord(opt, 'redirect') && more) {
      j++;
      if (redirect !== 0) throw new CommandError('ERR A client can only redirect to a single other client');
      redirect = parseInteger(argv[j]);
      if (!core.clients.has(redirect)) throw new CommandError('ERR The client ID you want redirect to does not exist');
    } else if (isWord(opt, 'bcast')) opts.bcast = true;
    else if (isWord(opt, 'optin')) opts.optin = true;
    else if (isWord(opt, 'optout')) opts.optout = true;
    else if (isWord(opt, 'noloop')) opts.noloop = true;
    else if (isWord(opt, 'prefix') && more) prefixes.push(argv[++j]);
    else throw new CommandError(SYNTAX);
  }
  if (isWord(argv[2], 'off')) {
    core.tracking.disable(c);
    return OK;
  }
  if (!isWord(argv[2], 'on')) throw new CommandError(SYNTAX);
  if (!opts.bcast && prefixes.length > 0) throw new CommandError('ERR PREFIX option requires BCAST mode to be enabled');
  const t = c.tracking;
  if (t !== null && t.bcast !== opts.bcast) throw new CommandError(BCAST_SWITCH);
  if (opts.bcast && (opts.optin || opts.optout)) throw new CommandError('ERR OPTIN and OPTOUT are not compatible with BCAST');
  if (opts.optin && opts.optout) throw new CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if (t !== null && ((opts.optin && t.optout) || (opts.optout && t.optin))) throw new CommandError(OPT_SWITCH);
  if (opts.bcast) {
    for (let i = 0; i < prefixes.length; i++) {
      for (const existing of t?.prefixes ?? []) {
        if (overlaps(existing, prefixes[i])) {
          throw new CommandError(
            `ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`,
          );
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (!overlaps(prefixes[i], prefixes[j])) continue;
        const message = `ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`;
        if (i === 0) throw new CommandError(message);
        // Redis 7.0's checkPrefixCollisionsOrReply returns the index here, which callers take as success:
        // the error is sent and tracking is enabled anyway, followed by +OK.
        replyError(core, c, message);
        core.tracking.enable(c, redirect, opts, prefixes);
        return OK;
      }
    }
  }
  core.tracking.enable(c, redirect, opts, prefixes);
  return OK;
}

/** CLIENT CACHING YES|NO: caching on (OPTIN) or off (OPTOUT) for the next command. */
function clientCaching(c: Client, arg: string): Reply {
  const t = c.tracking;
  if (t === null) {
    throw new CommandError(
      'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    );
  }
  if (isWord(arg, 'yes')) {
    if (!t.optin) throw new CommandError('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isWord(arg, 'no')) {
    if (!t.optout) throw new CommandError('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    throw new CommandError(SYNTAX);
  }
  t.caching = true;
  return OK;
}

/** CLIENT TRACKINGINFO (7.0): flags, redirect, prefixes. */
function trackingInfo(c: Client): Reply {
  const t = c.tracking;
  const flags: string[] = [t ? 'on' : 'off'];
  if (t) {
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optin && t.caching) flags.push('caching-yes');
    if (t.optout) flags.push('optout');
    if (t.optout && t.caching) flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
  }
  const prefixes = t ? [...t.prefixes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  return new MapReply([
    ['flags', new SetReply(flags)],
    ['redirect', t ? t.redirect : -1],
    ['prefixes', prefixes],
  ]);
}

/**
 * Clears CLIENT CACHING after each command, except inside MULTI and for CLIENT commands themselves (Redis's
 * resetClient), so it applies to exactly the next command or transaction.
 */
export function resetCaching(c: Client, argv: string[]): void {
  const t = c.tracking;
  if (t !== null && t.caching && c.multi === null && argv[0].toLowerCase() !== 'client') t.caching = false;
}

/** CLIENT LIST flags for tracking (Redis's t, R, B, in catClientInfoString's order) and the redir field. */
export function trackingListFlags(c: Client): string {
  const t = c.tracking;
  if (t === null) return '';
  return `t${t.brokenRedirect ? 'R' : ''}${t.bcast ? 'B' : ''}`;
}

const CLIENT_SUB = { group: 'connection', flags: ['noscript', 'loading', 'stale'] } as const;

/** The CLIENT subcommands of client-side caching, for the CLIENT container. */
export const trackingSubcommands: CommandSpec[] = [
  command({
    ...CLIENT_SUB,
    flags: [...CLIENT_SUB.flags],
    name: 'tracking',
    arity: -3,
    summary: 'Enable or disable server assisted client side caching support',
    since: '6.0.0',
    handler: (ctx, argv) => clientTracking(ctx.core, ctx.client, argv),
  }),
  command({
    ...CLIENT_SUB,
    flags: [...CLIENT_SUB.flags],
    name: 'caching',
    arity: 3,
    summary: 'Instruct the server about tracking or not keys in the next request',
    since: '6.0.0',
    handler: (ctx, argv) => clientCaching(ctx.client, argv[2]),
  }),
  command({
    ...CLIENT_SUB,
    flags: [...CLIENT_SUB.flags],
    name: 'getredir',
    arity: 2,
    summary: 'Get tracking notifications redirection client ID if any',
    since: '6.0.0',
    handler: (ctx) => (ctx.client.tracking ? ctx.client.tracking.redirect : -1),
  }),
  command({
    ...CLIENT_SUB,
    flags: [...CLIENT_SUB.flags],
    name: 'trackinginfo',
    arity: 2,
    summary: 'Return information about server assisted client side caching for the current connection',
    since: '6.2.0',
    handler: (ctx) => trackingInfo(ctx.client),
  }),
];

/**
 * What call() does after each command while tracking is in use: remembers a read-only command's keys, and
 * turns a successful FLUSHDB/FLUSHALL into a flush invalidation and RESET into tracking off.
 */
export function trackingAfterCall(core: ServerCore, c: Client, spec: CommandSpec, argv: string[], result: unknown): void {
  if (spec.flags.includes('readonly')) {
    // A read-only script is not tracked itself: the commands it runs are.
    if (SCRIPTS_RO.has(spec.name)) return;
    // A read from a script (whose client stands for its caller) remembers the keys the script declared, for the
    // caller, as Redis's call() does with server.script_caller.
    const outer = core.tracking.executing;
    if (core.clients.get(c.id) !== c && outer !== null && outer.client.id === c.id) {
      if (outer.client.tracking !== null) core.tracking.rememberKeys(outer.client, outer.spec, outer.argv);
      return;
    }
    core.tracking.rememberKeys(c, spec, argv);
    return;
  }
  if (result instanceof ErrorReply) return;
  if (spec.name === 'flushdb' || spec.name === 'flushall') core.tracking.invalidateOnFlush();
  else if (spec.name === 'reset') core.tracking.disable(c);
}

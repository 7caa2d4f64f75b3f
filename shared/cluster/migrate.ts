import { isWord, parseInteger } from '../commands/parse.js';
import type { Client } from '../engine/client.js';
import type { ServerCore } from '../engine/server-core.js';
import { BlockRequest, command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { CommandError, SYNTAX } from '../errors.js';
import { createDumpPayload } from '../rdb/dump-payload.js';
import type { MasterConnection, MasterTarget } from '../replication/replica-link.js';
import { replicationOf } from '../replication/replication.js';
import { encodeCommand } from '../resp/encoder.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import { ReplyParser } from '../resp/reply-parser.js';

/** A MIGRATE in flight for one client: what was sent and what the target answered so far. */
interface Migration {
  keys: string[];
  /**
   * Keys named but missing or already expired, in argument order: skipped, and looked up (as Redis's MIGRATE
   * looks every key up first) when MIGRATE completes, which deletes the expired ones and sends the "expired" and
   * "keymiss" events in Redis's order, before the moved keys' "del".
   */
  skipped: string[];
  copy: boolean;
  /** Replies expected before the RESTOREs' (AUTH, SELECT). */
  preamble: number;
  replies: Reply[];
  /** Set when the connection failed: the IOERR text. */
  ioError: string | null;
  done: boolean;
  conn: MasterConnection | null;
  /** The pseudo-key the client is blocked on; touching it re-runs MIGRATE to finish. */
  wakeKey: string;
  /** The CLIENT PAUSE this migration set (ended when it finishes, unless someone paused since). */
  pause: object | null;
}

const migrations = new WeakMap<Client, Migration>();
const IOERR_CONNECT = 'IOERR error or timeout connecting to the client';
const IOERR_READ = 'IOERR error or timeout reading to target instance';
const IOERR_WRITE = 'IOERR error or timeout writing to target instance';

function finish(core: ServerCore, client: Client, m: Migration): void {
  if (m.done) return;
  m.done = true;
  m.conn?.close();
  m.conn = null;
  // Re-run the blocked MIGRATE first: it deletes the moved keys (see the handler's first branch) before any
  // held client runs, as nothing can run in between in Redis. Our pause is lifted for that run (so expired keys
  // are really deleted) but the held commands run only after it.
  const ours = m.pause !== null && core.clientPause === m.pause;
  if (ours) core.clientPause = null;
  core.signalModifiedKey(client.db, m.wakeKey);
  core.handleReadyKeys();
  if (ours) core.unpause();
  m.pause = null;
  core.flushWrites();
}

/** A MIGRATE connection's target: it shares the replication connector, which must tell the two apart. */
const migrateTargets = new WeakSet<MasterTarget>();

/**
 * Whether a connection target is MIGRATE's: Redis 7.0 opens it over TLS when tls-cluster is on (tls-replication
 * governs replication links only).
 */
export function isMigrateTarget(target: MasterTarget): boolean {
  return migrateTargets.has(target);
}

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS key...]
 * (Redis's migrateCommand): each key is sent as DUMP payload in a RESTORE (RESTORE-ASKING in cluster mode) over
 * a connection to the target; keys the target acknowledged are deleted here unless COPY, and the command
 * propagates as DEL of those keys. Redis blocks the whole server while it waits for the target; this server
 * holds every other client's commands (a CLIENT PAUSE ALL) for the same effect, without blocking its event loop.
 */
export const migrateCommand: CommandSpec = command({
  name: 'migrate',
  arity: -6,
  flags: ['write'],
  firstKey: 3,
  lastKey: 3,
  step: 1,
  group: 'generic',
  summary: 'Atomically transfer a key from a Redis instance to another one.',
  since: '2.6.0',
  getKeys: (argv) => {
    // KEYS k1 k2 ...: the keys are after KEYS (argv[3] is then ""); otherwise argv[3].
    for (let i = 6; i < argv.length; i++) {
      if (isWord(argv[i], 'keys')) return Array.from({ length: argv.length - i - 1 }, (_, j) => i + 1 + j);
    }
    return [3];
  },
  handler: (ctx, argv) => {
    const client = ctx.client;
    const pending = migrations.get(client);
    if (pending) {
      if (!pending.done) return new BlockRequest([pending.wakeKey], client.blocked?.deadline ?? 0, new ErrorReply(IOERR_READ));
      migrations.delete(client);
      // Keys that were expired when MIGRATE started are deleted now, so their DELs go out with the migration's.
      for (const key of pending.skipped) ctx.lookupRead(key);
      if (pending.ioError && pending.replies.length <= pending.preamble) return new ErrorReply(pending.ioError);
      let error: string | null = null;
      const moved: string[] = [];
      const preamble = pending.replies.slice(0, pending.preamble);
      for (let j = 0; j < pending.keys.length; j++) {
        const r = pending.replies[pending.preamble + j];
        if (r === undefined) break;
        const failed = [...preamble, r].find((x) => x instanceof ErrorReply) as ErrorReply | undefined;
        if (failed) {
          error ??= `ERR Target instance replied with error: ${failed.message}`;
        } else if (!pending.copy) {
          ctx.deleteKey(pending.keys[j]);
          ctx.notify(Notify.GENERIC, 'del', pending.keys[j]);
          moved.push(pending.keys[j]);
        }
      }
      // Propagated as the DEL of the keys the target took (nothing when none or COPY).
      ctx.rewrite(...(moved.length > 0 ? [['DEL', ...moved]] : []));
      if (moved.length === 0) ctx.dirty = 0;
      if (error) return new ErrorReply(error);
      if (pending.ioError) return new ErrorReply(pending.ioError);
      return OK;
    }

    let copy = false;
    let replace = false;
    let user: string | null = null;
    let password: string | null = null;
    let keyArgs = [argv[3]];
    for (let j = 6; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      if (isWord(argv[j], 'copy')) copy = true;
      else if (isWord(argv[j], 'replace')) replace = true;
      else if (isWord(argv[j], 'auth')) {
        if (more < 1) throw new CommandError(SYNTAX);
        password = argv[++j];
      } else if (isWord(argv[j], 'auth2')) {
        if (more < 2) throw new CommandError(SYNTAX);
        user = argv[++j];
        password = argv[++j];
      } else if (isWord(argv[j], 'keys')) {
        if (argv[3].length !== 0) throw new CommandError('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
        keyArgs = argv.slice(j + 1);
        break;
      } else {
        throw new CommandError(SYNTAX);
      }
    }
    let timeout = parseInteger(argv[5]);
    const dbid = parseInteger(argv[4]);
    if (timeout <= 0) timeout = 1000;

    // The keys present (expired ones are skipped, as Redis's MIGRATE skips them).
    const keys: string[] = [];
    const commands: string[][] = [];
    if (password !== null) commands.push(user !== null ? ['AUTH', user, password] : ['AUTH', password]);
    commands.push(['SELECT', String(dbid)]);
    const preamble = commands.length;
    const restore = ctx.core.cluster ? 'RESTORE-ASKING' : 'RESTORE';
    const skipped: string[] = [];
    const db = ctx.db;
    for (const key of keyArgs) {
      // Looked up without expiring: an expired key is skipped now and deleted when MIGRATE completes.
      const value = db.dict.get(key);
      const expireAt = db.expires.get(key) ?? -1;
      if (value === undefined || (expireAt !== -1 && expireAt < ctx.now)) {
        skipped.push(key);
        continue;
      }
      const ttl = expireAt === -1 ? 0 : Math.max(1, expireAt - ctx.now);
      keys.push(key);
      commands.push([restore, key, String(ttl), createDumpPayload(value), ...(replace ? ['REPLACE'] : [])]);
    }
    if (keys.length === 0) {
      for (const key of skipped) ctx.lookupRead(key);
      return new SimpleString('NOKEY');
    }
    if (client.inExec) throw new CommandError('ERR MIGRATE is not supported inside MULTI/EXEC on this server');

    const connector = replicationOf(ctx.core).connector;
    if (!connector) throw new CommandError(IOERR_CONNECT);
    // As Redis 7.0.15 words it: a port its connect refuses at once fails "connecting"; one it tries and cannot
    // reach (like a refused connection) fails when the commands are written.
    const port = Number(argv[2]);
    if (/^-\d+$/.test(argv[2])) throw new CommandError(IOERR_CONNECT);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new CommandError(IOERR_WRITE);

    const core = ctx.core;
    const deadline = ctx.now + timeout;
    const m: Migration = {
      keys,
      skipped,
      copy,
      preamble,
      replies: [],
      ioError: null,
      done: false,
      conn: null,
      wakeKey: `\u0100migrate:${client.id}`,
      pause: null,
    };
    migrations.set(client, m);
    let retried = false;
    const open = (): void => {
      const parser = new ReplyParser();
      let opened = false;
      m.replies = [];
      const target: MasterTarget = { kind: 'tcp', host: argv[1], port };
      migrateTargets.add(target);
      m.conn = connector(
        target,
        {
          onOpen: () => {
            opened = true;
            const parts = commands.map((c) => encodeCommand(c));
            let n = 0;
            for (const p of parts) n += p.length;
            const out = new Uint8Array(n);
            let o = 0;
            for (const p of parts) {
              out.set(p, o);
              o += p.length;
            }
            m.conn?.write(out);
          },
          onData: (bytes) => {
            if (m.done) return;
            parser.push(bytes);
            try {
              for (let r = parser.next(); r !== undefined; r = parser.next()) {
                m.replies.push(r);
                if (m.replies.length === commands.length) break;
              }
            } catch {
              m.ioError = IOERR_READ;
              finish(core, client, m);
              return;
            }
            if (m.replies.length === commands.length) finish(core, client, m);
          },
          onClose: () => {
            if (m.done) return;
            // As Redis: a connection lost before any RESTORE was answered is tried once more, on a new one.
            if (!retried && m.replies.length <= m.preamble) {
              retried = true;
              open();
              return;
            }
            m.ioError = opened ? IOERR_READ : IOERR_WRITE;
            finish(core, client, m);
          },
        },
      );
    };
    open();
    // Hold every other client until the keys are moved, as Redis's blocking MIGRATE does.
    if (core.clientPause === null) {
      core.pause(deadline, true);
      m.pause = core.clientPause;
    }
    return new BlockRequest([m.wakeKey], deadline, () => {
      // Timed out: give up on the connection; keys stay here.
      migrations.delete(client);
      m.done = true;
      m.conn?.close();
      if (m.pause && core.clientPause === m.pause) core.unpause();
      // The lookups Redis made before it connected: their "expired"/"keymiss" events and lazy-expiry DELs.
      for (const key of skipped) ctx.lookupRead(key);
      core.propagator.flush();
      return new ErrorReply(IOERR_READ);
    });
  },
});

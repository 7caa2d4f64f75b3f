import { binaryToUtf8, utf8ToBinary } from '../shared/bytes.js';
import { globMatch } from '../shared/glob.js';
import { ErrorReply, type Reply } from '../shared/resp/reply.js';
import { CommandConnection } from './command-connection.js';
import { Persister } from './persister.js';
import { ReplicaEngine, validHistory, type ChangeSet, type LinkStatus, type LogLevel } from './replica-engine.js';
import { ReplicaStore, StoreCorruptError, type StoredMeta } from './replica-store.js';
import { ReplyError, toArgs, toJs, type JsReply } from './reply-convert.js';
import { TabGroup, tabsSupported, type GroupMessage, type LeaderReport } from './tab-group.js';

/** Options of openReplica. */
export interface ReplicaOptions {
  /** The master's RESP-over-WebSocket endpoint, e.g. `ws://127.0.0.1:7379/`. */
  url: string;
  /** Names the stored replica and the group of tabs sharing it (default 'default'). */
  name?: string;
  /** The master's password (`requirepass`), or an ACL user and password. */
  auth?: string | { username?: string; password: string };
  /** The database the typed reads and subscriptions use (default 0). */
  db?: number;
  /** Keep the replica in IndexedDB (default true; false keeps it in memory only). */
  persist?: boolean;
  /** Share one link among the tabs of this origin (default true where Web Locks exist). */
  multiTab?: boolean;
  /** A follower tab takes the link over when the leader is silent this long (default 5000 ms). */
  leaderTimeoutMs?: number;
  /** How often the leader asks the master for its offset to report the lag (default 1000 ms; 0: never). */
  lagPollMs?: number;
  /** How long command() waits for the master's reply and for the write to be replicated here (default 10 s). */
  writeTimeoutMs?: number;
  /** Compact the stored log into a new snapshot once it exceeds this and the snapshot (default 8 MB). */
  compactLogBytes?: number;
  /** Log lines of the replica core (Redis's messages: connecting, full resync, partial resync...). */
  log?: (level: LogLevel, message: string) => void;
}

/** The replica's state, as `status()` reports it. */
export interface ReplicaStatus {
  /** The link to the master (held by this tab or by the leading tab). */
  link: LinkStatus;
  /** Whether this tab holds the link ('leader') or follows the tab that does. */
  role: 'leader' | 'follower';
  /** The replication id of the local dataset; null before the first sync. */
  replid: string | null;
  /** The applied offset of the local dataset. */
  offset: number;
  /** The offset stored in IndexedDB (null without persistence). */
  persistedOffset: number | null;
  /** The master's offset as last observed (ROLE), or null. */
  masterOffset: number | null;
  /** masterOffset - offset while linked, else null. */
  lagBytes: number | null;
  /** Seconds since anything arrived from the master. */
  lastIoSeconds: number | null;
  /** Full-sync progress while syncing (totalBytes null for an EOF-marked transfer). */
  sync: { receivedBytes: number; totalBytes: number | null } | null;
  /** 'indexeddb', or 'memory' when persistence is off or unavailable. */
  storage: 'indexeddb' | 'memory';
  /** Whether the browser granted persistent storage (navigator.storage.persist()). */
  storagePersistent: boolean | null;
  /** The last storage failure (e.g. QuotaExceededError), null when writes work. */
  storageError: string | null;
  /** Why the link last failed. */
  lastError: string | null;
  /** Bytes this tab received on replication links since it opened. */
  bytesReceived: number;
}

/** Options of zrange / zrangeWithScores, as ZRANGE's (Redis 6.2+). */
export interface ZRangeOptions {
  by?: 'rank' | 'score' | 'lex';
  rev?: boolean;
  limit?: { offset: number; count: number };
}

type Arg = string | number;
type ChangeCallback = (key: string | null) => void;

interface Subscription {
  pattern: string;
  exact: boolean;
  db: number;
  cb: ChangeCallback;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Commands `call` may run on the local dataset besides the ones flagged readonly. */
const SAFE_COMMANDS = new Set(['ping', 'echo', 'select', 'info', 'role', 'time', 'lastsave', 'command']);
const GLOB_CHARS = /[*?[\\]/;
const TICK_MS = 100;
const HEARTBEAT_MS = 1000;
const HELLO_RETRY_MS = 2000;
/** How often a leader without a usable store tries to claim it again. */
const STORE_RETRY_MS = 5000;
/** Most stream bytes a follower keeps for a takeover beyond what the leader stored. */
const MAX_TAIL = 16 * 1024 * 1024;

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function parseScore(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/**
 * A Redis replica in the page. Reads run on the local dataset with Redis's semantics and work offline; the
 * dataset is kept in IndexedDB and resumes with a partial resync after a reload. Strings are returned as text
 * decoded from UTF-8 and arguments are encoded to UTF-8; `call(..., { binary: true })` gives raw binary
 * strings (one char per byte). Create one with `openReplica`.
 */
export class Replica {
  private readonly engine: ReplicaEngine;
  private store: ReplicaStore | null = null;
  private persister: Persister | null = null;
  private group: TabGroup | null = null;
  private cmd: CommandConnection | null = null;
  private role: 'leader' | 'follower' = 'follower';
  private closed = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly subs = new Set<Subscription>();
  private readonly statusListeners = new Set<(s: ReplicaStatus) => void>();
  private waiters: Waiter[] = [];
  private lastStatus: ReplicaStatus | null = null;
  private lastStatusJson = '';
  private storagePersistent: boolean | null = null;
  private storageError: string | null = null;
  private persistedOffset: number | null = null;
  private masterOffset: number | null = null;
  private lagPolling = false;
  private lastLagPoll = 0;
  private readonly auth: { username?: string; password: string } | null;
  /** The link delivered an impossible position and is being reset (see quarantine). */
  private quarantined = false;
  /** Why the SDK itself dropped the link (the link's own reason otherwise). */
  private linkError: string | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private claimTimer: ReturnType<typeof setTimeout> | null = null;

  // Leader side.
  private epoch = 0;
  private takingOver = false;
  private pendingHellos: Array<Extract<GroupMessage, { t: 'hello' }>> = [];
  private followers = new Set<string>();
  private outgoing: Uint8Array[] = [];
  private outgoingStart = 0;
  private lastHeartbeat = 0;
  private lastReportJson = '';

  // Follower side.
  private seenEpoch = 0;
  private leaderId: string | null = null;
  private leaderSeenAt = 0;
  private leaderReport: LeaderReport | null = null;
  private waitingSync = false;
  private helloAt = 0;
  private buffered: Array<Extract<GroupMessage, { t: 'stream' }>> = [];
  private stealAfter: number;
  /** Stream bytes applied since the leader's stored offset (to hand to the store on a takeover). */
  private tail: { replid: string; start: number; parts: Uint8Array[]; bytes: number } | null = null;

  /** @internal use openReplica */
  constructor(private readonly opts: ReplicaOptions) {
    this.auth = typeof opts.auth === 'string' ? { password: opts.auth } : (opts.auth ?? null);
    this.engine = new ReplicaEngine({
      auth: this.auth,
      log: (level, message) => this.opts.log?.(level, message),
      afterData: () => this.afterData(),
      onChanges: (c) => this.deliver(c),
    });
    const leaderTimeout = opts.leaderTimeoutMs ?? 5000;
    // A little jitter so that two followers rarely steal at the same moment.
    this.stealAfter = leaderTimeout + Math.random() * leaderTimeout * 0.5;
    const repl = this.engine.replication;
    repl.streamObservers.push((bytes, offset) => {
      if (this.role !== 'leader' || this.quarantined) return;
      if (!validHistory(this.engine.replid, offset)) {
        this.quarantine(`Bad replication position from master: ${this.engine.replid}:${offset}`);
        return;
      }
      this.persister?.onStream(bytes, offset);
      if (this.followers.size > 0) {
        if (this.outgoing.length === 0) this.outgoingStart = offset - bytes.length;
        this.outgoing.push(bytes);
      }
    });
    repl.snapshotObservers.push((replid, offset) => {
      if (this.role !== 'leader' || this.quarantined) return;
      if (!validHistory(replid, offset)) {
        this.quarantine(`Bad FULLRESYNC from master: replid '${replid}', offset ${offset}`);
        return;
      }
      this.persister?.onSnapshot();
      // The followers see the new replid on the next stream message and ask for the new dataset.
      this.outgoing = [];
    });
    if (opts.db) this.engine.read(['SELECT', String(opts.db)]);
  }

  /** @internal Loads the stored dataset, then joins the tab group (or leads alone) and connects. */
  async start(): Promise<void> {
    if (this.opts.persist !== false && typeof indexedDB !== 'undefined') {
      try {
        this.store = await ReplicaStore.open(this.name, (why) => this.onStoreLost(why));
        await this.loadFromStore();
      } catch (e) {
        this.store = null;
        this.storageError = `${(e as Error).name}: ${(e as Error).message}`;
      }
      void navigator.storage
        ?.persist?.()
        .then((granted) => (this.storagePersistent = granted))
        .catch(() => {});
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    if (this.opts.multiTab !== false && tabsSupported()) {
      this.group = new TabGroup(this.name, {
        onLead: () => this.lead(),
        onDemoted: () => this.demoted(),
        onMessage: (m) => this.onMessage(m),
      });
      this.leaderSeenAt = Date.now();
      this.sendHello();
      this.group.join();
    } else {
      await this.lead();
    }
  }

  private get name(): string {
    return this.opts.name ?? 'default';
  }

  /** Loads the stored dataset (if any) into the engine; a corrupt store is ignored (a full sync follows). */
  private async loadFromStore(): Promise<StoredMeta | null> {
    if (!this.store) return null;
    let state;
    try {
      state = await this.store.load();
    } catch (e) {
      if (!(e instanceof StoreCorruptError)) throw e;
      this.opts.log?.('warning', `Stored replica is unusable (${e.message}); a full sync will replace it.`);
      return null;
    }
    if (!state) return null;
    const m = state.meta;
    try {
      this.engine.load({
        replid: m.replid!,
        offset: m.offset,
        snapshot: state.snapshot,
        snapshotStreamDb: m.snapshotStreamDb,
        log: state.log,
      });
    } catch (e) {
      this.opts.log?.('warning', `Stored replica could not be loaded (${(e as Error).message}); a full sync will replace it.`);
      return null;
    }
    this.persistedOffset = m.offset;
    return m;
  }

  // -----------------------------------------------------------------------------------------------------------
  // Leading: the link, persistence, and serving the other tabs
  // -----------------------------------------------------------------------------------------------------------

  private async lead(): Promise<void> {
    if (this.closed) return;
    this.role = 'leader';
    // Until the store is claimed this tab neither answers nor obeys other tabs (see onMessage).
    this.takingOver = true;
    this.waitingSync = false;
    this.buffered = [];
    const claimed = await this.claimStore();
    if (claimed) {
      try {
        await this.reconcileStore(claimed.meta);
      } catch (e) {
        this.storageError = `${(e as Error).name}: ${(e as Error).message}`;
      }
      if (this.role !== 'leader' || this.closed) {
        this.takingOver = false;
        return;
      }
    } else {
      this.epoch = Math.max(this.seenEpoch, this.epoch) + 1;
      // Lead without persistence rather than not at all, and try the store again later.
      if (this.store) this.scheduleClaimRetry();
    }
    this.seenEpoch = this.epoch;
    this.tail = null;
    this.leaderId = this.group?.id ?? null;
    this.group?.post({ t: 'leader', from: this.group.id, epoch: this.epoch });
    this.takingOver = false;
    this.engine.startLink(this.opts.url);
    for (const h of this.pendingHellos.splice(0)) this.answerHello(h);
    this.emitStatus();
  }

  /** Takes the store as its writer and sets the persister up; null when the store refuses (quota...). */
  private async claimStore(): Promise<{ epoch: number; meta: StoredMeta } | null> {
    if (!this.store) return null;
    let claimed: { epoch: number; meta: StoredMeta };
    try {
      claimed = await this.store.claim();
    } catch (e) {
      this.storageError = `${(e as Error).name}: ${(e as Error).message}`;
      return null;
    }
    this.epoch = claimed.epoch;
    this.persister = new Persister(
      this.store,
      this.engine,
      claimed.epoch,
      claimed.meta,
      {
        onPersisted: (m) => {
          this.persistedOffset = m.offset;
        },
        onError: (message) => {
          this.storageError = message;
        },
        onFenced: () => this.demoted(),
      },
      this.opts.compactLogBytes ?? 8 * 1024 * 1024,
    );
    return claimed;
  }

  /** A leader that could not claim the store keeps trying (the store may have room again later). */
  private scheduleClaimRetry(): void {
    if (this.claimTimer) return;
    this.claimTimer = setTimeout(async () => {
      this.claimTimer = null;
      if (this.role !== 'leader' || this.closed || this.persister || !this.store) return;
      const claimed = await this.claimStore();
      if (!claimed) return this.scheduleClaimRetry();
      this.seenEpoch = this.epoch;
      this.storageError = null;
      // The link is running: memory is the truth, the store gets all of it unless it already matches.
      const m = claimed.meta;
      this.persistedOffset = m.replid ? m.offset : null;
      if (m.replid !== this.engine.replid || m.offset !== this.engine.offset) this.persister!.snapshotNow();
    }, STORE_RETRY_MS);
  }

  /**
   * Brings the store and the in-memory dataset in line when this tab starts leading: the store may lag
   * behind what this tab applied from the previous leader (append what it misses), be ahead of it (load it),
   * or hold another history (replace it).
   */
  private async reconcileStore(meta: StoredMeta): Promise<void> {
    const e = this.engine;
    this.persistedOffset = meta.replid ? meta.offset : null;
    if (!e.hasHistory) {
      if (meta.replid !== null) await this.loadFromStore();
      return;
    }
    if (meta.replid === e.replid && meta.offset === e.offset) return;
    if (meta.replid === e.replid && meta.offset > e.offset) {
      await this.loadFromStore();
      return;
    }
    const tail = this.tail;
    if (meta.replid === e.replid && tail && tail.replid === e.replid && tail.start <= meta.offset) {
      const bytes = concat(tail.parts).subarray(meta.offset - tail.start);
      if (meta.offset + bytes.length === e.offset) {
        this.persister!.onStream(bytes, e.offset);
        this.persister!.kick();
        return;
      }
    }
    this.persister!.snapshotNow();
  }

  /**
   * The master sent a position that cannot be real (a malformed replication id or offset): whatever the link
   * applied under it is not trusted. Nothing of it is stored; the link is dropped, the dataset goes back to
   * what the store holds, and the link starts again from there.
   */
  private quarantine(reason: string): void {
    if (this.quarantined) return;
    this.quarantined = true;
    this.linkError = reason;
    this.opts.log?.('warning', `${reason}; dropping the link and going back to the stored replica.`);
    this.persister?.discardPending();
    this.outgoing = [];
    setTimeout(() => void this.recover(), 0);
  }

  private async recover(): Promise<void> {
    this.engine.stopLink();
    this.engine.clear();
    try {
      await this.loadFromStore();
    } catch (e) {
      this.storageError = `${(e as Error).name}: ${(e as Error).message}`;
    }
    this.quarantined = false;
    if (this.role === 'leader' && !this.closed) this.engine.startLink(this.opts.url);
    this.emitStatus();
  }

  /**
   * After a failed full sync the link would offer the new master history for a dataset that is still the old
   * one: drop that link, and start a new one (after a pause, like the link's own backoff) from the dataset's
   * real position.
   */
  private checkPosition(): void {
    if (this.restartTimer || !this.engine.positionDiverged()) return;
    this.linkError = this.engine.replication.link?.lastError || this.linkError;
    this.engine.stopLink();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.role === 'leader' && !this.closed && !this.quarantined) this.engine.startLink(this.opts.url);
    }, 500 + Math.random() * 1000);
  }

  /** Another tab took the lock (this one was frozen or too slow): stop the link and writes, and follow. */
  private demoted(): void {
    if (this.role !== 'leader') return;
    this.role = 'follower';
    this.takingOver = false;
    this.pendingHellos = [];
    this.persister?.stop();
    this.persister = null;
    this.engine.stopLink();
    this.outgoing = [];
    this.followers.clear();
    this.leaderId = null;
    this.leaderSeenAt = Date.now();
    this.sendHello();
    this.emitStatus();
  }

  /** After each network event of the link: store, forward to the other tabs, wake writers. */
  private afterData(): void {
    if (this.role !== 'leader') return;
    const e = this.engine;
    this.checkPosition();
    // +CONTINUE with a malformed id changes the replid without any snapshot: catch it here.
    if (e.hasHistory && !this.quarantined && !validHistory(e.replid, e.offset)) {
      this.quarantine(`Bad replication id from master: '${e.replid}'`);
    }
    this.persister?.kick();
    this.flushOutgoing();
    this.checkWaiters();
    this.emitStatus();
  }

  private flushOutgoing(): void {
    if (this.quarantined) this.outgoing = [];
    if (this.outgoing.length === 0 || !this.group) return;
    const bytes = concat(this.outgoing);
    this.outgoing = [];
    this.group.post({ t: 'stream', from: this.group.id, epoch: this.epoch, replid: this.engine.replid, start: this.outgoingStart, bytes });
  }

  /** Answers a tab's hello with what it misses: backlog bytes when we have them, else the whole dataset. */
  private answerHello(msg: Extract<GroupMessage, { t: 'hello' }>): void {
    const group = this.group!;
    this.followers.add(msg.from);
    this.flushOutgoing();
    const e = this.engine;
    const base = { t: 'sync' as const, from: group.id, epoch: this.epoch, to: msg.from };
    if (!e.hasHistory) {
      group.post({ ...base, kind: 'wait' });
      return;
    }
    const backlog = e.replication.backlog;
    if (msg.replid === e.replid && msg.offset <= e.offset) {
      if (msg.offset === e.offset) {
        group.post({ ...base, kind: 'stream', replid: e.replid, start: e.offset, bytes: new Uint8Array(0) });
        return;
      }
      if (backlog && backlog.offset === e.offset && backlog.covers(msg.offset + 1)) {
        const bytes = concat(backlog.readFrom(msg.offset + 1));
        group.post({ ...base, kind: 'stream', replid: e.replid, start: msg.offset, bytes });
        return;
      }
    }
    const image = e.image();
    group.post({ ...base, kind: 'snapshot', replid: image.replid, offset: image.offset, streamDb: image.streamDb, chunks: [...image.chunks()] });
  }

  private report(): LeaderReport {
    const link = this.engine.replication.link;
    return {
      link: this.engine.linkStatus(),
      replid: this.engine.hasHistory ? this.engine.replid : null,
      offset: this.engine.offset,
      persistedOffset: this.persistedOffset,
      masterOffset: this.masterOffset,
      lastIoAt: link ? link.lastIoAt : null,
      sync:
        link && link.state === 'transfer'
          ? { receivedBytes: link.syncReadBytes, totalBytes: link.syncTotalBytes >= 0 ? link.syncTotalBytes : null }
          : null,
      storageError: this.storageError,
      lastError: link?.lastError || this.linkError,
    };
  }

  // -----------------------------------------------------------------------------------------------------------
  // Following another tab
  // -----------------------------------------------------------------------------------------------------------

  private sendHello(): void {
    if (!this.group || this.role === 'leader') return;
    this.waitingSync = true;
    this.buffered = [];
    this.helloAt = Date.now();
    this.group.post({
      t: 'hello',
      from: this.group.id,
      replid: this.engine.hasHistory ? this.engine.replid : null,
      offset: this.engine.offset,
    });
  }

  private onMessage(msg: GroupMessage): void {
    if (this.closed) return;
    if (msg.t === 'hello') {
      if (this.role !== 'leader') return;
      if (this.takingOver) this.pendingHellos.push(msg);
      else this.answerHello(msg);
      return;
    }
    if (msg.t === 'bye') {
      this.followers.delete(msg.from);
      return;
    }
    // Everything else comes from a leader: ignore leaders older than the newest one seen.
    if (msg.epoch < this.seenEpoch) return;
    if (this.role === 'leader') {
      if (this.takingOver) return;
      // A newer leader exists: this tab lost its lock without noticing yet.
      if (msg.epoch > this.epoch) this.demoted();
      else return;
    }
    const newLeader = msg.epoch > this.seenEpoch || msg.from !== this.leaderId;
    this.seenEpoch = msg.epoch;
    this.leaderId = msg.from;
    this.leaderSeenAt = Date.now();
    // A leader we have not synced with yet: ask it for what we miss (its answer brings us in line).
    if (newLeader && msg.t !== 'sync') this.sendHello();
    switch (msg.t) {
      case 'leader':
        break;
      case 'status':
        this.leaderReport = msg.report;
        this.trimTail(msg.report);
        break;
      case 'stream':
        if (this.waitingSync) this.buffered.push(msg);
        else this.follow(msg.replid, msg.start, msg.bytes);
        break;
      case 'sync':
        if (msg.to === this.group?.id) this.onSync(msg);
        break;
    }
    this.checkWaiters();
    this.emitStatus();
  }

  /** Applies stream bytes from the leader; a gap or another history means asking for a sync. */
  private follow(replid: string, start: number, bytes: Uint8Array): void {
    const e = this.engine;
    if (e.hasHistory && replid === e.replid && start + bytes.length <= e.offset) return;
    const before = e.offset;
    let ok: boolean;
    try {
      ok = e.applyStream(replid, start, bytes);
    } catch (err) {
      // Never expected from a leader's applied bytes; reload what the store holds rather than keep a dataset
      // that may be partly applied.
      this.opts.log?.('warning', `Bad stream from the leading tab: ${(err as Error).message}`);
      void this.loadFromStore().then(() => this.sendHello());
      return;
    }
    if (!ok) {
      this.sendHello();
      return;
    }
    if (e.offset > before) this.addTail(e.replid, before, bytes.subarray(before - start));
  }

  private onSync(msg: Extract<GroupMessage, { t: 'sync' }>): void {
    if (msg.kind === 'snapshot') {
      try {
        this.engine.load({ replid: msg.replid, offset: msg.offset, snapshot: msg.chunks, snapshotStreamDb: msg.streamDb, log: [] });
      } catch (err) {
        this.opts.log?.('warning', `Bad dataset from the leading tab: ${(err as Error).message}`);
        return;
      }
      this.tail = null;
    } else if (msg.kind === 'stream') {
      const e = this.engine;
      if (!(e.hasHistory && msg.replid === e.replid && msg.start === e.offset)) {
        // Our position changed since the hello: ask again.
        this.sendHello();
        return;
      }
      const before = e.offset;
      if (!e.applyStream(msg.replid, msg.start, msg.bytes)) {
        this.sendHello();
        return;
      }
      if (e.offset > before) this.addTail(e.replid, before, msg.bytes);
    }
    this.waitingSync = false;
    const buffered = this.buffered;
    this.buffered = [];
    for (const m of buffered) {
      if (this.waitingSync) break;
      this.follow(m.replid, m.start, m.bytes);
    }
  }

  private addTail(replid: string, start: number, bytes: Uint8Array): void {
    if (!this.tail || this.tail.replid !== replid || this.tail.start + this.tail.bytes !== start) {
      this.tail = { replid, start, parts: [], bytes: 0 };
    }
    this.tail.parts.push(bytes);
    this.tail.bytes += bytes.length;
    if (this.tail.bytes > MAX_TAIL) this.tail = null;
  }

  /** Drops the tail the leader has stored. */
  private trimTail(report: LeaderReport): void {
    const t = this.tail;
    if (!t || report.persistedOffset === null || report.replid !== t.replid) return;
    while (t.parts.length > 0 && t.start + t.parts[0].length <= report.persistedOffset) {
      t.start += t.parts[0].length;
      t.bytes -= t.parts[0].length;
      t.parts.shift();
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Timers
  // -----------------------------------------------------------------------------------------------------------

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.role === 'leader') {
      this.engine.cron();
      this.checkPosition();
      this.persister?.kick();
      this.flushOutgoing();
      const report = this.report();
      const json = JSON.stringify(report);
      if (this.group && (json !== this.lastReportJson || now - this.lastHeartbeat >= HEARTBEAT_MS)) {
        this.lastReportJson = json;
        this.lastHeartbeat = now;
        this.group.post({ t: 'status', from: this.group.id, epoch: this.epoch, report });
      }
      this.pollLag(now);
    } else if (this.group) {
      if (now - this.leaderSeenAt > this.stealAfter) {
        this.opts.log?.('warning', 'The leading tab is silent: taking the link over.');
        this.leaderSeenAt = now;
        this.group.steal();
      } else if (this.waitingSync && now - this.helloAt > HELLO_RETRY_MS) {
        this.sendHello();
      }
    }
    this.checkWaiters();
    this.emitStatus();
  }

  private pollLag(now: number): void {
    const every = this.opts.lagPollMs ?? 1000;
    if (every <= 0 || this.lagPolling || now - this.lastLagPoll < every || this.engine.linkStatus() !== 'up') return;
    this.lastLagPoll = now;
    this.lagPolling = true;
    this.commands()
      .send([['ROLE']])
      .then(([r]) => {
        const off = roleOffset(r);
        if (off !== null) this.masterOffset = off;
      })
      .catch(() => {})
      .finally(() => (this.lagPolling = false));
  }

  // -----------------------------------------------------------------------------------------------------------
  // Status
  // -----------------------------------------------------------------------------------------------------------

  /**
   * The replica's status. The same object is returned until something changes (so it can be a React
   * useSyncExternalStore snapshot); `onStatus` hears every change.
   */
  status(): ReplicaStatus {
    const s = this.computeStatus();
    const json = JSON.stringify(s);
    if (json !== this.lastStatusJson || !this.lastStatus) {
      this.lastStatus = s;
      this.lastStatusJson = json;
    }
    return this.lastStatus;
  }

  private computeStatus(): ReplicaStatus {
    const e = this.engine;
    const leader = this.role === 'leader';
    const r = leader ? this.report() : this.leaderReport;
    const link: LinkStatus = r ? r.link : 'connecting';
    const masterOffset = r ? r.masterOffset : null;
    const sameHistory = r?.replid === (e.hasHistory ? e.replid : null);
    return {
      link,
      role: this.role,
      replid: e.hasHistory ? e.replid : null,
      offset: e.offset,
      persistedOffset: leader || !r ? this.persistedOffset : r.persistedOffset,
      masterOffset,
      lagBytes: link === 'up' && masterOffset !== null && sameHistory ? Math.max(0, masterOffset - e.offset) : null,
      lastIoSeconds: r && r.lastIoAt ? Math.max(0, Math.floor((Date.now() - r.lastIoAt) / 1000)) : null,
      sync: r ? r.sync : null,
      storage: this.store ? 'indexeddb' : 'memory',
      storagePersistent: this.storagePersistent,
      storageError: this.storageError ?? r?.storageError ?? null,
      lastError: r ? r.lastError : null,
      bytesReceived: e.traffic.bytesIn,
    };
  }

  /** Calls `cb` on every status change; returns the function that stops it. */
  onStatus(cb: (s: ReplicaStatus) => void): () => void {
    this.statusListeners.add(cb);
    return () => this.statusListeners.delete(cb);
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const before = this.lastStatus;
    const s = this.status();
    if (s === before) return;
    for (const cb of this.statusListeners) safely(() => cb(s));
  }

  // -----------------------------------------------------------------------------------------------------------
  // Storage trouble
  // -----------------------------------------------------------------------------------------------------------

  private onStoreLost(why: string): void {
    this.opts.log?.('warning', `Replica store lost: ${why}; reopening.`);
    this.storageError = `store lost: ${why}`;
    const store = this.store;
    if (!store || this.closed) return;
    const attempt = () => {
      if (this.closed) return;
      store
        .reopen()
        .then(async () => {
          this.storageError = null;
          if (this.role === 'leader' && this.persister) {
            const { epoch, meta } = await store.claim();
            this.epoch = epoch;
            this.seenEpoch = epoch;
            this.persister.afterReopen(epoch, meta);
          }
        })
        .catch((e: Error) => {
          this.storageError = `${e.name}: ${e.message}`;
          setTimeout(attempt, 2000);
        });
    };
    setTimeout(attempt, 0);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Writes
  // -----------------------------------------------------------------------------------------------------------

  private commands(): CommandConnection {
    if (!this.cmd) this.cmd = new CommandConnection(this.opts.url, this.auth, this.opts.writeTimeoutMs ?? 10_000);
    return this.cmd;
  }

  /**
   * Sends a command to the master and resolves with its reply (as `call` converts it; error replies reject
   * with ReplyError). It resolves only once this replica has applied the master's stream up to the write, so
   * reads right after it see it (read-your-writes): the command is pipelined with ROLE, whose reply carries
   * the master's offset after it.
   */
  async command(args: Arg[], opts: { binary?: boolean } = {}): Promise<JsReply> {
    if (this.closed) throw new Error('the replica is closed');
    const [reply, role] = await this.commands().send([toArgs(args), ['ROLE']]);
    if (reply instanceof ErrorReply) throw new ReplyError(reply.message);
    const target = roleOffset(role);
    if (target !== null) {
      if (this.masterOffset === null || target > this.masterOffset) this.masterOffset = target;
      await this.waitApplied(target);
    }
    return toJs(reply, opts.binary);
  }

  private linkUp(): boolean {
    if (this.role === 'leader') return this.engine.linkStatus() === 'up';
    const r = this.leaderReport;
    return !!r && r.link === 'up' && !this.waitingSync && r.replid === this.engine.replid;
  }

  private waitApplied(target: number): Promise<void> {
    if (this.linkUp() && this.engine.offset >= target) return Promise.resolve();
    const ms = this.opts.writeTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        target,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`the write was accepted by the master but not replicated here within ${ms} ms`));
        }, ms),
      };
      this.waiters.push(w);
    });
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0 || !this.linkUp()) return;
    const offset = this.engine.offset;
    const ready = this.waiters.filter((w) => w.target <= offset);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.target > offset);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Subscriptions
  // -----------------------------------------------------------------------------------------------------------

  /**
   * Calls `cb` when a key matching `keyOrPattern` (a key, or a glob pattern as KEYS takes) changes in the
   * replica's db, with the key, or with null when any key may have changed (a full resync, FLUSHALL, a reload).
   * Changes are delivered once per applied network event. Returns the function that unsubscribes, so it fits
   * React's useSyncExternalStore: `useSyncExternalStore(cb => r.subscribe('user:1', cb), () => r.get('user:1'))`.
   * Keys that expire by time are reported when the master's DEL arrives.
   */
  subscribe(keyOrPattern: string, cb: ChangeCallback): () => void {
    const sub: Subscription = {
      pattern: utf8ToBinary(keyOrPattern),
      exact: !GLOB_CHARS.test(keyOrPattern),
      db: this.opts.db ?? 0,
      cb,
    };
    this.subs.add(sub);
    return () => this.subs.delete(sub);
  }

  private deliver(c: ChangeSet): void {
    for (const sub of [...this.subs]) {
      if (c.all) {
        safely(() => sub.cb(null));
        continue;
      }
      const keys = c.keys.get(sub.db);
      if (!keys) continue;
      if (sub.exact) {
        if (keys.has(sub.pattern)) safely(() => sub.cb(binaryToUtf8(sub.pattern)));
        continue;
      }
      for (const k of keys) if (globMatch(sub.pattern, k)) safely(() => sub.cb(binaryToUtf8(k)));
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Reads
  // -----------------------------------------------------------------------------------------------------------

  private run(name: string, args: Arg[]): Reply {
    if (this.closed) throw new Error('the replica is closed');
    const r = this.engine.read([name, ...toArgs(args)]);
    if (r instanceof ErrorReply) throw new ReplyError(r.message);
    return r;
  }

  /**
   * Runs a read-only command on the local dataset (any command flagged readonly, plus PING, ECHO, SELECT,
   * INFO, ROLE, TIME...). Writes belong to `command`. Error replies throw ReplyError.
   */
  call(args: Arg[], opts: { binary?: boolean } = {}): JsReply {
    const name = String(args[0] ?? '').toLowerCase();
    const spec = this.engine.core.commands.get(name);
    const sub = spec?.subcommands?.find((s) => s.name === String(args[1] ?? '').toLowerCase());
    const readonly = (sub ?? spec)?.flags.includes('readonly');
    if (spec && !readonly && !SAFE_COMMANDS.has(name)) {
      throw new ReplyError(`ERR '${name}' is not a read-only command: send writes to the master with command()`);
    }
    return toJs(this.run(String(args[0]), args.slice(1)), opts.binary);
  }

  private str(name: string, args: Arg[]): string | null {
    return toJs(this.run(name, args)) as string | null;
  }

  private num(name: string, args: Arg[]): number {
    return this.run(name, args) as number;
  }

  private list(name: string, args: Arg[]): string[] {
    return toJs(this.run(name, args)) as string[];
  }

  get(key: string): string | null {
    return this.str('GET', [key]);
  }
  mget(...keys: string[]): Array<string | null> {
    return toJs(this.run('MGET', keys)) as Array<string | null>;
  }
  /** How many of the keys exist (a key named twice counts twice, as in Redis). */
  exists(...keys: string[]): number {
    return this.num('EXISTS', keys);
  }
  type(key: string): string {
    return toJs(this.run('TYPE', [key])) as string;
  }
  ttl(key: string): number {
    return this.num('TTL', [key]);
  }
  pttl(key: string): number {
    return this.num('PTTL', [key]);
  }
  strlen(key: string): number {
    return this.num('STRLEN', [key]);
  }
  getrange(key: string, start: number, end: number): string {
    return this.str('GETRANGE', [key, start, end]) ?? '';
  }
  hget(key: string, field: string): string | null {
    return this.str('HGET', [key, field]);
  }
  hmget(key: string, ...fields: string[]): Array<string | null> {
    return toJs(this.run('HMGET', [key, ...fields])) as Array<string | null>;
  }
  hgetall(key: string): Record<string, string> {
    const flat = this.list('HGETALL', [key]);
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  }
  hlen(key: string): number {
    return this.num('HLEN', [key]);
  }
  hexists(key: string, field: string): boolean {
    return this.num('HEXISTS', [key, field]) === 1;
  }
  hkeys(key: string): string[] {
    return this.list('HKEYS', [key]);
  }
  hvals(key: string): string[] {
    return this.list('HVALS', [key]);
  }
  lrange(key: string, start: number, stop: number): string[] {
    return this.list('LRANGE', [key, start, stop]);
  }
  llen(key: string): number {
    return this.num('LLEN', [key]);
  }
  lindex(key: string, index: number): string | null {
    return this.str('LINDEX', [key, index]);
  }
  smembers(key: string): string[] {
    return this.list('SMEMBERS', [key]);
  }
  sismember(key: string, member: string): boolean {
    return this.num('SISMEMBER', [key, member]) === 1;
  }
  scard(key: string): number {
    return this.num('SCARD', [key]);
  }

  private zrangeArgs(key: string, start: Arg, stop: Arg, o: ZRangeOptions): Arg[] {
    const args: Arg[] = [key, start, stop];
    if (o.by === 'score') args.push('BYSCORE');
    if (o.by === 'lex') args.push('BYLEX');
    if (o.rev) args.push('REV');
    if (o.limit) args.push('LIMIT', o.limit.offset, o.limit.count);
    return args;
  }

  /**
   * ZRANGE: by rank (default), by score (`by: 'score'`, bounds like `'(1'`, `'-inf'`) or lexicographically
   * (`by: 'lex'`, bounds like `'[a'`, `'-'`), optionally reversed and limited.
   */
  zrange(key: string, start: Arg, stop: Arg, opts: ZRangeOptions = {}): string[] {
    return this.list('ZRANGE', this.zrangeArgs(key, start, stop, opts));
  }
  /** ZRANGE ... WITHSCORES as [member, score] pairs. */
  zrangeWithScores(key: string, start: Arg, stop: Arg, opts: ZRangeOptions = {}): Array<[string, number]> {
    const flat = this.list('ZRANGE', [...this.zrangeArgs(key, start, stop, opts), 'WITHSCORES']);
    const out: Array<[string, number]> = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i], parseScore(flat[i + 1])]);
    return out;
  }
  zscore(key: string, member: string): number | null {
    const s = this.str('ZSCORE', [key, member]);
    return s === null ? null : parseScore(s);
  }
  zrank(key: string, member: string): number | null {
    return this.run('ZRANK', [key, member]) as number | null;
  }
  zcard(key: string): number {
    return this.num('ZCARD', [key]);
  }
  /** One SCAN step: pass the returned cursor back until it is '0'. */
  scan(cursor: string | number, opts: { match?: string; count?: number; type?: string } = {}): { cursor: string; keys: string[] } {
    const args: Arg[] = [cursor];
    if (opts.match !== undefined) args.push('MATCH', opts.match);
    if (opts.count !== undefined) args.push('COUNT', opts.count);
    if (opts.type !== undefined) args.push('TYPE', opts.type);
    const [next, keys] = toJs(this.run('SCAN', args)) as [string, string[]];
    return { cursor: next, keys };
  }
  /** Every key matching `pattern` (KEYS: fine for a replica's size, it is all local). */
  keys(pattern = '*'): string[] {
    return this.list('KEYS', [pattern]);
  }
  dbsize(): number {
    return this.num('DBSIZE', []);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Closing
  // -----------------------------------------------------------------------------------------------------------

  /**
   * Closes the replica: stops the link, lets pending writes to IndexedDB finish (bounded), and hands the
   * link to another tab if one is open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.claimTimer) clearTimeout(this.claimTimer);
    this.engine.stopLink();
    const persister = this.persister;
    if (persister) {
      const deadline = Date.now() + 2000;
      while (!persister.idle && Date.now() < deadline) {
        persister.kick();
        await new Promise((r) => setTimeout(r, 10));
      }
      persister.stop();
    }
    this.group?.leave();
    this.cmd?.close();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('the replica is closed'));
    }
    this.waiters = [];
    this.subs.clear();
    this.statusListeners.clear();
    this.store?.close();
    this.engine.close();
  }

  /** @internal Test and benchmark hooks: persistence counters. */
  get debug() {
    return {
      persister: this.persister?.stats ?? null,
      stored: this.persister ? { snapshotBytes: this.persister.meta.snapshotBytes, logBytes: this.persister.meta.logBytes } : null,
      linkConnections: this.engine.traffic.connections,
      epoch: this.epoch,
    };
  }
}

/** The offset in a ROLE reply (a master's replication offset), or null. */
function roleOffset(r: Reply): number | null {
  if (!Array.isArray(r)) return null;
  if (r[0] === 'master' && typeof r[1] === 'number') return r[1];
  return null;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

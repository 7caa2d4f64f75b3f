import type { LinkStatus } from './replica-engine.js';

/** What the leading tab reports to the others about the link it holds. */
export interface LeaderReport {
  link: LinkStatus;
  replid: string | null;
  offset: number;
  persistedOffset: number | null;
  masterOffset: number | null;
  lastIoAt: number | null;
  sync: { receivedBytes: number; totalBytes: number | null } | null;
  storageError: string | null;
  lastError: string | null;
}

/** Messages between the tabs of one replica (one BroadcastChannel per replica name). */
export type GroupMessage =
  /** A tab (re)joins or lost track: "I hold `replid` at `offset`, bring me up to date". */
  | { t: 'hello'; from: string; replid: string | null; offset: number }
  /** The leader applied these stream bytes, starting at `start` of history `replid`. */
  | { t: 'stream'; from: string; epoch: number; replid: string; start: number; bytes: Uint8Array }
  /** The leader's answer to one tab's hello: the bytes it misses, a whole dataset, or "nothing to give yet". */
  | { t: 'sync'; from: string; epoch: number; to: string; kind: 'stream'; replid: string; start: number; bytes: Uint8Array }
  | {
      t: 'sync';
      from: string;
      epoch: number;
      to: string;
      kind: 'snapshot';
      replid: string;
      offset: number;
      streamDb: number;
      chunks: Uint8Array[];
    }
  | { t: 'sync'; from: string; epoch: number; to: string; kind: 'wait' }
  /** The leader's heartbeat and link status. */
  | { t: 'status'; from: string; epoch: number; report: LeaderReport }
  /** A tab became the leader. */
  | { t: 'leader'; from: string; epoch: number }
  /** A tab closes. */
  | { t: 'bye'; from: string };

/** What the group asks of its owner. */
export interface TabGroupHandlers {
  /** This tab got the lock: take the link over. Leadership lasts until demote() or leave(). */
  onLead(): Promise<void>;
  /** Another tab stole the lock (this one was frozen or too slow): stop writing and follow. */
  onDemoted(): void;
  onMessage(msg: GroupMessage): void;
}

/** Whether this browser can coordinate tabs (Web Locks and BroadcastChannel). */
export function tabsSupported(): boolean {
  return typeof navigator !== 'undefined' && !!navigator.locks && typeof BroadcastChannel !== 'undefined';
}

/**
 * The tabs of one origin that open the same replica: exactly one holds the Web Lock and with it the link to
 * the master; the others hear its stream over a BroadcastChannel. When the leader closes (or its page dies)
 * the browser grants the lock to the next tab in line; a leader that stops answering can be replaced with a
 * lock steal.
 */
export class TabGroup {
  readonly id: string;
  private readonly channel: BroadcastChannel;
  private queued: AbortController | null = null;
  private release: (() => void) | null = null;
  leading = false;
  private left = false;

  constructor(
    private readonly name: string,
    private readonly handlers: TabGroupHandlers,
  ) {
    const r = new Uint8Array(8);
    crypto.getRandomValues(r);
    this.id = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
    this.channel = new BroadcastChannel(`redis-replica:${name}`);
    this.channel.onmessage = (e: MessageEvent) => {
      if (!this.left) this.handlers.onMessage(e.data as GroupMessage);
    };
  }

  private get lockName(): string {
    return `redis-replica:${this.name}`;
  }

  /** Queues for the lock (the tab leads as soon as it is granted). */
  join(): void {
    if (this.left || this.leading || this.queued) return;
    const ctl = new AbortController();
    this.queued = ctl;
    this.request({ signal: ctl.signal });
  }

  /** Takes the lock from a leader that stopped answering. */
  steal(): void {
    if (this.left || this.leading) return;
    this.queued?.abort();
    this.queued = null;
    this.request({ steal: true });
  }

  private request(opts: LockOptions): void {
    navigator.locks
      .request(this.lockName, opts, async () => {
        this.queued = null;
        if (this.left) return;
        this.leading = true;
        const held = new Promise<void>((resolve) => (this.release = resolve));
        try {
          await this.handlers.onLead();
        } catch {
          this.leading = false;
          this.release = null;
          return;
        }
        await held;
      })
      .catch((e: unknown) => {
        // Our own queued request aborted by steal(), or our lock stolen by another tab.
        if ((e as Error)?.name !== 'AbortError') return;
        if (this.leading) {
          this.leading = false;
          this.release = null;
          this.handlers.onDemoted();
          this.join();
        }
      });
  }

  post(msg: GroupMessage): void {
    if (!this.left) this.channel.postMessage(msg);
  }

  /** Gives the lock up (the next tab in line leads) and leaves the group. */
  leave(): void {
    if (this.left) return;
    this.post({ t: 'bye', from: this.id });
    this.left = true;
    this.queued?.abort();
    this.queued = null;
    this.leading = false;
    this.release?.();
    this.release = null;
    this.channel.close();
  }
}

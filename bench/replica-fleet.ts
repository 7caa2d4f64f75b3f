import type { ChildProcess } from 'node:child_process';
import { forkBenchScript } from './processes.js';

interface Synced {
  type: 'synced';
  ok: number;
  failed: number;
  error?: string;
}
interface Ended {
  type: 'end';
  id: number;
  at: number | null;
  missing: number;
  closed: number;
}
interface Samples {
  type: 'samples';
  samples: Float64Array;
  bytes: number;
  closed: number;
}

/** When the end marker reached the last replica (null if some never got it), and how many never did. */
export interface Delivery {
  at: number | null;
  missing: number;
  closed: number;
}

/**
 * N WebSocket replicas spread over a few bench/fanout-replica.ts processes, so that receiving does not share one
 * event loop (or the writer's) and the master sees real, separate peers.
 */
export class ReplicaFleet {
  private constructor(
    private readonly procs: ChildProcess[],
    /** Replicas that completed the handshake. */
    readonly connected: number,
    /** Replicas that failed or were closed during it, and the first reason. */
    readonly failed: number,
    readonly error: string | undefined,
  ) {}

  /** Forks the processes, connects `total` replicas to `url` and waits until each has its snapshot. */
  static async start(url: string, total: number, processes: number, timeoutMs: number): Promise<ReplicaFleet> {
    const n = Math.max(1, Math.min(processes, total));
    const procs: ChildProcess[] = [];
    for (let i = 0; i < n; i++) procs.push(forkBenchScript('fanout-replica.ts'));
    const fleet = new ReplicaFleet(procs, 0, 0, undefined);
    try {
      // A message sent before the child listens would be lost: wait for it to say it is listening.
      await Promise.all(procs.map((p) => ask(p, null, 'ready', 30_000)));
      const replies = await Promise.all(
        procs.map((p, i) => {
          const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
          return ask<Synced>(p, { cmd: 'connect', url, count }, 'synced', timeoutMs);
        }),
      );
      return new ReplicaFleet(
        procs,
        replies.reduce((a, r) => a + r.ok, 0),
        replies.reduce((a, r) => a + r.failed, 0),
        replies.find((r) => r.error)?.error,
      );
    } catch (e) {
      fleet.stop();
      throw e;
    }
  }

  /** Waits until every replica has seen end marker `id` (or the time limit). */
  async waitEnd(id: number, timeoutMs: number): Promise<Delivery> {
    const replies = await Promise.all(this.procs.map((p) => ask<Ended>(p, { cmd: 'wait-end', id, timeoutMs }, 'end', timeoutMs + 10_000)));
    const missing = replies.reduce((a, r) => a + r.missing, 0);
    const closed = replies.reduce((a, r) => a + r.closed, 0);
    const at = replies.some((r) => r.at === null) ? null : Math.max(...replies.map((r) => r.at!));
    return { at, missing, closed };
  }

  /** The lag samples (ms) recorded since the last collect, and stream bytes received in total. */
  async collect(): Promise<{ samples: Float64Array; bytes: number; closed: number }> {
    const replies = await Promise.all(this.procs.map((p) => ask<Samples>(p, { cmd: 'collect' }, 'samples', 30_000)));
    const total = replies.reduce((a, r) => a + r.samples.length, 0);
    const samples = new Float64Array(total);
    let off = 0;
    for (const r of replies) {
      samples.set(r.samples, off);
      off += r.samples.length;
    }
    return { samples, bytes: replies.reduce((a, r) => a + r.bytes, 0), closed: replies.reduce((a, r) => a + r.closed, 0) };
  }

  /** Ends the processes (their sockets close with them). */
  stop(): void {
    for (const p of this.procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      if (p.connected) p.send({ cmd: 'exit' });
      setTimeout(() => p.kill('SIGKILL'), 2000).unref();
    }
  }
}

/**
 * Sends `msg` (unless null) and resolves with the first message of type `type` back, or rejects on exit or
 * time limit.
 */
function ask<T extends { type: string }>(p: ChildProcess, msg: unknown, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      p.off('message', onMessage);
      p.off('exit', onExit);
    };
    const onMessage = (m: T) => {
      if (m?.type !== type) return;
      done();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`replica process exited (${code}) while waiting for '${type}'`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`replica process gave no '${type}' within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    p.on('message', onMessage);
    p.on('exit', onExit);
    if (msg !== null) p.send(msg as object);
  });
}

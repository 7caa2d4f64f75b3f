import { CommandError, SYNTAX } from '../errors.js';
import { parseInteger } from '../commands/parse.js';
import type { ReplicaPeer, Replication } from './replication.js';

/** INFO replication's master_failover_state values. */
export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

/** A replica's address as FAILOVER TO names it: the announced ip (else the peer's) and its listening port. */
function peerHost(peer: ReplicaPeer): string {
  return peer.ipAddress || peer.client.info.addr.replace(/:\d+$/, '');
}

/**
 * Redis's coordinated failover (the FAILOVER command, 6.2+), master side: pause writes, wait until a replica
 * (or the one named) has acknowledged our whole stream, then become its replica with `PSYNC <replid> <offset>
 * FAILOVER`, which tells it to take over as master. The pause ends when the target accepts the PSYNC; a target
 * that refuses it, a timeout without FORCE, or FAILOVER ABORT restore the master.
 */
export class Failover {
  state: FailoverState = 'no-failover';
  private target: { host: string; port: number } | null = null;
  /** When waiting for a replica gives up (ms; 0 = never). */
  private endAt = 0;
  private force = false;
  /** The target answered our PSYNC FAILOVER with an error. */
  private rejected = false;

  constructor(private readonly repl: Replication) {}

  /** FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT: Redis's checks, texts and order. */
  command(argv: string[]): void {
    const core = this.repl.core;
    if (argv.length === 2 && argv[1].toLowerCase() === 'abort') {
      if (this.state === 'no-failover') throw new CommandError('ERR No failover in progress.');
      this.abort('Failover manually aborted');
      return;
    }
    let timeout = 0;
    let force = false;
    let host: string | null = null;
    let port = 0;
    for (let j = 1; j < argv.length; j++) {
      const word = argv[j].toLowerCase();
      if (word === 'timeout' && j + 1 < argv.length && timeout === 0) {
        timeout = parseInteger(argv[j + 1]);
        if (timeout <= 0) throw new CommandError('ERR FAILOVER timeout must be greater than 0');
        j++;
      } else if (word === 'to' && j + 2 < argv.length && host === null) {
        port = parseInteger(argv[j + 2]);
        host = argv[j + 1];
        j += 2;
      } else if (word === 'force' && !force) {
        force = true;
      } else {
        throw new CommandError(SYNTAX);
      }
    }
    if (this.state !== 'no-failover') throw new CommandError('ERR FAILOVER already in progress.');
    if (core.isReplica()) throw new CommandError('ERR FAILOVER is not valid when server is a replica.');
    if (this.repl.peers.size === 0) throw new CommandError('ERR FAILOVER requires connected replicas.');
    // The old master becomes the new one's replica: a runtime that cannot open a link (the edge) cannot hand over.
    if (!this.repl.canFollow) throw new CommandError('ERR FAILOVER is not supported here: this server cannot replicate from another');
    if (force && (!timeout || host === null)) {
      throw new CommandError('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
    }
    if (host !== null) {
      const peer = this.findPeer(host, port);
      if (!peer) throw new CommandError('ERR FAILOVER target HOST and PORT is not a replica.');
      if (peer.state !== 'online') throw new CommandError('ERR FAILOVER target replica is not online.');
      this.target = { host, port };
      core.host.log('notice', `FAILOVER requested to ${host}:${port}.`);
    } else {
      core.host.log('notice', 'FAILOVER requested to any replica.');
    }
    this.endAt = timeout ? core.now() + timeout : 0;
    this.force = force;
    this.rejected = false;
    this.state = 'waiting-for-sync';
    // Writes wait (CLIENT PAUSE WRITE) so the stream stops growing and a replica can catch up with it.
    core.pause(Infinity, false);
  }

  /** Moves the failover on: called from the replication cron and whenever a replica ACKs. */
  update(): void {
    if (this.state === 'failover-in-progress' && this.rejected) {
      this.abort('Failover target rejected psync request');
      return;
    }
    if (this.state !== 'waiting-for-sync') return;
    const core = this.repl.core;
    if (this.endAt && this.endAt <= core.now()) {
      if (this.force && this.target) {
        core.host.log('notice', `FAILOVER to ${this.target.host}:${this.target.port} time out exceeded, failing over.`);
        this.handOver(this.target);
      } else {
        this.abort('Replica never caught up before timeout');
      }
      return;
    }
    let peer: ReplicaPeer | undefined;
    if (this.target) {
      peer = this.findPeer(this.target.host, this.target.port);
    } else {
      for (const p of this.repl.peers.values()) {
        if (p.state === 'online' && p.ackOffset === this.repl.offset) {
          peer = p;
          break;
        }
      }
    }
    if (!peer || peer.ackOffset !== this.repl.offset) return;
    const target = this.target ?? { host: peerHost(peer), port: peer.listeningPort };
    core.host.log('notice', `Failover target ${target.host}:${target.port} is synced, failing over.`);
    this.handOver(target);
  }

  /** The PSYNC FAILOVER we sent was answered +CONTINUE or +FULLRESYNC: the target is the master now. */
  accepted(): void {
    if (this.state !== 'failover-in-progress') return;
    this.clear();
    // This comes from the master link, not from a client's input: send the replies of the writes that were held.
    this.repl.core.flushWrites();
  }

  /** The target answered our PSYNC FAILOVER with an error (the next update restores us as master). */
  refused(): void {
    if (this.state === 'failover-in-progress') this.rejected = true;
  }

  /** Whether the link's next PSYNC must carry FAILOVER. */
  get inProgress(): boolean {
    return this.state === 'failover-in-progress';
  }

  /** Gives up: back to master (if we had already turned replica) and writes resume. */
  abort(reason: string): void {
    if (this.state === 'no-failover') return;
    const core = this.repl.core;
    const to = this.target ? `${this.target.host}:${this.target.port}` : 'any replica';
    core.host.log('notice', `FAILOVER to ${to} aborted: ${reason}`);
    if (this.state === 'failover-in-progress') this.repl.unsetMaster('failover aborted');
    this.clear();
  }

  private handOver(target: { host: string; port: number }): void {
    this.target = target;
    this.state = 'failover-in-progress';
    this.repl.setMaster({ kind: 'tcp', host: target.host, port: target.port });
  }

  private clear(): void {
    this.state = 'no-failover';
    this.target = null;
    this.endAt = 0;
    this.force = false;
    this.rejected = false;
    this.repl.core.unpause();
  }

  private findPeer(host: string, port: number): ReplicaPeer | undefined {
    for (const p of this.repl.peers.values()) {
      if (p.listeningPort === port && peerHost(p).toLowerCase() === host.toLowerCase()) return p;
    }
    return undefined;
  }
}

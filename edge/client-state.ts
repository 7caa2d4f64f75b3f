import { bytesToBinary, binaryToBytes } from '../shared/bytes.js';
import type { Client } from '../shared/engine/client.js';
import { lookupCommand, processCommand } from '../shared/engine/dispatch.js';
import type { ServerCore } from '../shared/engine/server-core.js';
import type { ReplicaPeer } from '../shared/replication/replication.js';

/** What the master knew about a replica on this connection. */
export interface ReplicaState {
  port: number;
  ip: string;
  eof: boolean;
  psync2: boolean;
  preSync: boolean;
  ack: number;
  ackTime: number;
  /**
   * Streaming with nothing held back: every stream byte up to the persisted offset was sent to it (or none
   * since its snapshot), so it can go on after the object wakes. A replica still receiving its snapshot
   * cannot: the snapshot and the stream held for it were in memory only.
   */
  online: boolean;
  /** Its snapshot was sent and the stream waits for its first ACK (see Replication's holdStream). */
  hold: boolean;
}

/**
 * Everything about one connection that must outlive the object hibernating: the object is rebuilt from
 * storage when it wakes, and the WebSocket (still open) gets this back through its attachment.
 */
export interface ClientState {
  /** Stable id of the connection (key of its state when stored in SQLite). */
  id: string;
  addr: string;
  laddr: string;
  created: number;
  auth: boolean;
  db: number;
  proto: 2 | 3;
  name: string;
  lib: string;
  ver: string;
  replyOff: boolean;
  channels: string[];
  patterns: string[];
  watched: Array<[number, string]>;
  dirtyCas: boolean;
  multi: { queue: string[][]; aborted: boolean } | null;
  /** A blocked command, run again on wake (nothing changed while the object slept) with its old deadline. */
  blocked: { argv: string[]; db: number; deadline: number } | null;
  /** Received bytes the parser has not consumed yet (half a command, or commands queued behind a block). */
  input: string;
  replica: ReplicaState | null;
}

/** Unconsumed input beyond this is not kept: such a client is closed on wake rather than resumed wrongly. */
export const MAX_SAVED_INPUT = 1024 * 1024;

/** The state of a newly accepted connection. */
export function newClientState(id: string, addr: string, laddr: string, now: number): ClientState {
  return {
    id,
    addr,
    laddr,
    created: now,
    auth: false,
    db: 0,
    proto: 2,
    name: '',
    lib: '',
    ver: '',
    replyOff: false,
    channels: [],
    patterns: [],
    watched: [],
    dirtyCas: false,
    multi: null,
    blocked: null,
    input: '',
    replica: null,
  };
}

/** Reads a client's restorable state (`input` is the tail of its input the parser still holds). */
export function captureClientState(
  base: Pick<ClientState, 'id' | 'addr' | 'laddr' | 'created'>,
  client: Client,
  peer: ReplicaPeer | undefined,
  input: Uint8Array,
): ClientState {
  return {
    ...base,
    auth: client.authenticated,
    db: client.db,
    proto: client.protocol,
    name: client.name,
    lib: client.libName,
    ver: client.libVer,
    replyOff: client.replyOff,
    channels: [...client.channels],
    patterns: [...client.patterns],
    watched: client.watched.map(([d, k]) => [d, k]),
    dirtyCas: client.dirtyCas,
    multi: client.multi ? { queue: client.multi.queue.map((q) => q.argv), aborted: client.multi.aborted } : null,
    blocked: client.blocked ? { argv: client.blocked.argv, db: client.blocked.db, deadline: client.blocked.deadline } : null,
    input: input.length <= MAX_SAVED_INPUT ? bytesToBinary(input) : '\u0100',
    replica: peer
      ? {
          port: peer.listeningPort,
          ip: peer.ipAddress,
          eof: peer.capaEof,
          psync2: peer.capaPsync2,
          preSync: peer.preSync,
          ack: peer.ackOffset,
          ackTime: peer.ackTime,
          online: peer.state === 'online' && peer.pendingBytes === 0 && !client.closed,
          hold: peer.holdStream,
        }
      : null,
  };
}

/** Whether a state can be restored at all (its unconsumed input was too large to keep). */
export function restorable(state: ClientState): boolean {
  return state.input !== '\u0100';
}

/**
 * Puts back what does not depend on the dataset: identity, auth, protocol, selected db, subscriptions and a
 * MULTI's queue. Replica peers are adopted separately (see replica-peers.ts).
 */
export function restoreSessionState(core: ServerCore, client: Client, state: ClientState): void {
  (client as { createdAt: number }).createdAt = state.created;
  client.authenticated = state.auth;
  client.parser.authenticated = state.auth;
  client.db = state.db;
  client.protocol = state.proto;
  client.name = state.name;
  client.libName = state.lib;
  client.libVer = state.ver;
  client.replyOff = state.replyOff;
  for (const ch of state.channels) {
    client.channels.add(ch);
    core.addSubscriber(core.channels, ch, client);
  }
  for (const p of state.patterns) {
    client.patterns.add(p);
    core.addSubscriber(core.patterns, p, client);
  }
  if (state.multi) {
    const queue: NonNullable<Client['multi']>['queue'] = [];
    let aborted = state.multi.aborted;
    for (const argv of state.multi.queue) {
      const found = lookupCommand(core, argv);
      if ('error' in found) aborted = true;
      else queue.push({ spec: found.spec, argv, fullName: found.fullName });
    }
    client.multi = { queue, aborted };
  }
}

/** Whether restoring needs the dataset loaded first (WATCHes, a blocked command, unprocessed input). */
export function needsDataset(state: ClientState): boolean {
  return state.watched.length > 0 || state.blocked !== null || state.input.length > 0;
}

/**
 * Puts back what depends on the dataset, once it is loaded: WATCHed keys (and whether one was touched), a
 * blocked command (run again: nothing changed while the object slept, so it blocks again; its deadline is
 * the original one), then the input that was waiting behind it or only half received.
 */
export function restoreDataState(core: ServerCore, client: Client, state: ClientState): void {
  const db = client.db;
  for (const [d, key] of state.watched) {
    client.db = d;
    core.watch(client, key);
  }
  client.db = db;
  client.dirtyCas = state.dirtyCas;
  if (state.blocked) {
    client.db = state.blocked.db;
    processCommand(core, client, state.blocked.argv);
    client.db = db;
    if (client.blocked) client.blocked.deadline = state.blocked.deadline;
  }
  if (state.input.length > 0) core.receive(client, binaryToBytes(state.input));
}

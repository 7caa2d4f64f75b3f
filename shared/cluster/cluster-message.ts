/**
 * Redis Cluster's bus message format (cluster.h `clusterMsg`, protocol version 1, as Redis 7.0 speaks it), as a
 * pure codec: `encodeClusterMessage` builds one message, `ClusterMessageReader` cuts a connection's byte stream
 * into messages and checks them the way clusterReadHandler and clusterProcessPacket do, so our nodes and stock
 * redis-server nodes accept exactly the same messages from each other.
 *
 * Layout (all integers big-endian, offsets fixed by cluster.h's static_asserts): a 2256-byte header
 *   0 sig "RCmb" | 4 totlen u32 | 8 ver u16 | 10 port u16 | 12 type u16 | 14 count u16 | 16 currentEpoch u64 |
 *   24 configEpoch u64 | 32 offset u64 | 40 sender[40] | 80 myslots[2048] | 2128 slaveof[40] | 2168 myip[46] |
 *   2214 extensions u16 | 2216 notused1[30] | 2246 pport u16 | 2248 cport u16 | 2250 flags u16 | 2252 state u8 |
 *   2253 mflags[3]
 * then the type's body. Redis sizes every message exactly (totlen is never sizeof(clusterMsg) padding), and
 * drops any message whose totlen differs from the length its type implies.
 */

import { bytesToBinary, writeBinary } from '../bytes.js';
import { CLUSTER_NAMELEN, CLUSTER_SLOTS } from './cluster-node.js';

/** Message types (CLUSTERMSG_TYPE_*). */
export const MessageType = {
  PING: 0,
  PONG: 1,
  MEET: 2,
  FAIL: 3,
  PUBLISH: 4,
  FAILOVER_AUTH_REQUEST: 5,
  FAILOVER_AUTH_ACK: 6,
  UPDATE: 7,
  MFSTART: 8,
  MODULE: 9,
  PUBLISHSHARD: 10,
} as const;

/** Bits of mflags[0] (CLUSTERMSG_FLAG0_*); Redis 7.0 defines no bits in mflags[1] and mflags[2]. */
export const MessageFlag0 = {
  /** The sending master has paused its clients for a manual failover. */
  PAUSED: 1,
  /** FAILOVER_AUTH_REQUEST: vote even though the master is still up (manual failover). */
  FORCEACK: 2,
  /**
   * PING/PONG/MEET: the message carries ping extensions. Redis counts the extensions into the expected length
   * only when this bit is set, so the encoder sets it whenever it writes extensions.
   */
  EXT_DATA: 4,
} as const;

/** Ping extension types (clusterMsgPingtypes); 7.0 defines only the hostname. */
export const PingExtensionType = {
  HOSTNAME: 0,
} as const;

/** sizeof(clusterMsg) - sizeof(union clusterMsgData): the fixed header every message starts with. */
export const CLUSTER_MESSAGE_HEADER_SIZE = 2256;
/** The only bus protocol version Redis 7.0 processes (CLUSTER_PROTO_VER). */
export const CLUSTER_PROTOCOL_VERSION = 1;
/** sizeof(clusterMsgDataGossip). */
export const GOSSIP_ENTRY_SIZE = 104;
/** The 8-byte header of a ping extension (length u32, type u16, unused u16). */
export const PING_EXTENSION_HEADER_SIZE = 8;
/** Default bound of ClusterMessageReader: larger totlen values are treated as a corrupt stream. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** NET_IP_STR_LEN: room for an IPv6 address text and its NUL. */
const IP_FIELD_LEN = 46;
const SLOTS_BYTES = CLUSTER_SLOTS / 8;

// Header field offsets (cluster.h static_asserts).
const OFF_TOTLEN = 4;
const OFF_VER = 8;
const OFF_PORT = 10;
const OFF_TYPE = 12;
const OFF_COUNT = 14;
const OFF_CURRENT_EPOCH = 16;
const OFF_CONFIG_EPOCH = 24;
const OFF_OFFSET = 32;
const OFF_SENDER = 40;
const OFF_MYSLOTS = 80;
const OFF_SLAVEOF = 2128;
const OFF_MYIP = 2168;
const OFF_EXTENSIONS = 2214;
const OFF_PPORT = 2246;
const OFF_CPORT = 2248;
const OFF_FLAGS = 2250;
const OFF_STATE = 2252;
const OFF_MFLAGS = 2253;
const OFF_DATA = CLUSTER_MESSAGE_HEADER_SIZE;

/** FAIL body: nodename[40]. */
const FAIL_BODY = CLUSTER_NAMELEN;
/** PUBLISH body before bulk_data: sizeof(clusterMsgDataPublish) - 8 placeholder bytes. */
const PUBLISH_BODY_FIXED = 8;
/** UPDATE body: configEpoch u64, nodename[40], slots[2048] (so an UPDATE is exactly sizeof(clusterMsg)). */
const UPDATE_BODY = 8 + CLUSTER_NAMELEN + SLOTS_BYTES;
/** MODULE body before bulk_data: sizeof(clusterMsgModule) - 3 placeholder bytes = module_id u64, len u32, type u8. */
const MODULE_BODY_FIXED = 13;

const SIG = [0x52, 0x43, 0x6d, 0x62]; // "RCmb"
const TWO_32 = 2 ** 32;

/** One gossip section entry: what the sender knows about another node. */
export interface GossipEntry {
  name: string;
  /** When the sender last pinged the node, in seconds (0 if no ping is pending). */
  pingSent: number;
  /** When the sender last received a PONG from the node, in seconds. */
  pongReceived: number;
  /** '' when unknown. */
  ip: string;
  port: number;
  cport: number;
  /** NodeFlag bits as the sender sees them. */
  flags: number;
  pport: number;
}

/**
 * A ping extension. Type 0 (hostname) carries `hostname` (without its NUL); any other type keeps its payload in
 * `raw`, padding included, so a message can be relayed unchanged.
 */
export interface PingExtension {
  type: number;
  hostname?: string;
  raw?: Uint8Array;
}

/** The fields every message carries. */
export interface ClusterMessageHeader {
  type: number;
  /** The sender's client port (TLS port when TLS is on). */
  port: number;
  currentEpoch: number;
  /** The sender's config epoch, or its master's when the sender is a replica. */
  configEpoch: number;
  /** The sender's replication offset. */
  offset: number;
  /** 40-character node name. */
  sender: string;
  /** The slots the sender (or its master) serves: 2048 bytes, bit (slot & 7) of byte (slot >> 3). */
  slots: Uint8Array;
  /** The sender's master, or null for a master (all-zero slaveof). */
  replicaOf: string | null;
  /** The address the sender announces; '' means "use the address the connection comes from". */
  myip: string;
  pport: number;
  /** The sender's bus port. */
  cport: number;
  /** The sender's NodeFlag bits. */
  flags: number;
  /** Whether the sender sees the cluster as ok (state byte 0). */
  clusterOk: boolean;
  /** mflags[0..2]: MessageFlag0 bits, then two bytes Redis 7.0 leaves zero. */
  mflags: [number, number, number];
}

/** PING, PONG, MEET. */
export interface PingMessage extends ClusterMessageHeader {
  type: typeof MessageType.PING | typeof MessageType.PONG | typeof MessageType.MEET;
  gossip: GossipEntry[];
  extensions: PingExtension[];
}

/** FAIL: `failing` is the name of the node the sender marked as failed. */
export interface FailMessage extends ClusterMessageHeader {
  type: typeof MessageType.FAIL;
  failing: string;
}

/** PUBLISH / PUBLISHSHARD: channel and message are binary strings (one char per byte). */
export interface PublishMessage extends ClusterMessageHeader {
  type: typeof MessageType.PUBLISH | typeof MessageType.PUBLISHSHARD;
  channel: string;
  message: string;
}

/** FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART: the header says it all. */
export interface HeaderOnlyMessage extends ClusterMessageHeader {
  type: typeof MessageType.FAILOVER_AUTH_REQUEST | typeof MessageType.FAILOVER_AUTH_ACK | typeof MessageType.MFSTART;
}

/** UPDATE: another node's slot configuration. */
export interface UpdateMessage extends ClusterMessageHeader {
  type: typeof MessageType.UPDATE;
  update: { configEpoch: number; name: string; slots: Uint8Array };
}

/**
 * MODULE: a module's cluster message. Redis copies module_id to the wire in host byte order (cluster.c
 * "Already endian adjusted"), i.e. little-endian on every platform stock Redis runs on, so `moduleId` is the
 * little-endian reading of those 8 bytes: the value moduleTypeEncodeId computes.
 */
export interface ModuleMessage extends ClusterMessageHeader {
  type: typeof MessageType.MODULE;
  moduleId: bigint;
  moduleType: number;
  payload: Uint8Array;
}

/** Any bus message. Narrow on `type`. */
export type ClusterMessage =
  | PingMessage
  | FailMessage
  | PublishMessage
  | HeaderOnlyMessage
  | UpdateMessage
  | ModuleMessage;

/**
 * A message Redis would not accept. `fatal` errors (bad signature, totlen below the header or above the bound)
 * are the ones on which Redis drops the link: the stream cannot be resynchronised, and the reader keeps
 * throwing. A non-fatal error (totlen does not match what the type implies) is one Redis logs and skips, keeping
 * the link: the reader has consumed the message and next() may be called again.
 */
export class ClusterBusError extends Error {
  readonly fatal: boolean;

  constructor(message: string, options: { fatal?: boolean } = {}) {
    super(message);
    this.name = 'ClusterBusError';
    this.fatal = options.fatal ?? true;
  }
}

/** The type's name as Redis prints it (clusterGetMessageTypeString; CLUSTER INFO's stats use it). */
export function messageTypeName(type: number): string {
  switch (type) {
    case MessageType.PING:
      return 'ping';
    case MessageType.PONG:
      return 'pong';
    case MessageType.MEET:
      return 'meet';
    case MessageType.FAIL:
      return 'fail';
    case MessageType.PUBLISH:
      return 'publish';
    case MessageType.PUBLISHSHARD:
      return 'publishshard';
    case MessageType.FAILOVER_AUTH_REQUEST:
      return 'auth-req';
    case MessageType.FAILOVER_AUTH_ACK:
      return 'auth-ack';
    case MessageType.UPDATE:
      return 'update';
    case MessageType.MFSTART:
      return 'mfstart';
    case MessageType.MODULE:
      return 'module';
    default:
      return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function checkUint(what: string, n: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new RangeError(`${what} must be a u${bits}, got ${n}`);
}

function checkBinary(what: string, s: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) throw new RangeError(`${what} must be a binary string (one char per byte)`);
  }
}

function writeName(bytes: Uint8Array, offset: number, name: string, what: string): void {
  if (name.length !== CLUSTER_NAMELEN) throw new RangeError(`${what} must be ${CLUSTER_NAMELEN} characters`);
  checkBinary(what, name);
  writeBinary(bytes, offset, name);
}

/** Writes a NUL-terminated string into a fixed field, leaving room for the NUL as strncpy(field, s, len-1) does. */
function writeCString(bytes: Uint8Array, offset: number, s: string, fieldLen: number, what: string): void {
  if (s.length > fieldLen - 1) throw new RangeError(`${what} is longer than ${fieldLen - 1} bytes`);
  checkBinary(what, s);
  if (s.includes('\0')) throw new RangeError(`${what} must not contain NUL`);
  writeBinary(bytes, offset, s);
}

function writeU64(view: DataView, offset: number, n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer`);
  view.setUint32(offset, Math.floor(n / TWO_32));
  view.setUint32(offset + 4, n % TWO_32);
}

function writeSlots(bytes: Uint8Array, offset: number, slots: Uint8Array, what: string): void {
  if (slots.length !== SLOTS_BYTES) throw new RangeError(`${what} must be ${SLOTS_BYTES} bytes`);
  bytes.set(slots, offset);
}

function encodeExtension(ext: PingExtension): Uint8Array {
  let payload: Uint8Array;
  if (ext.type === PingExtensionType.HOSTNAME && (ext.hostname !== undefined || ext.raw === undefined)) {
    const hostname = ext.hostname ?? '';
    checkBinary('hostname', hostname);
    if (hostname.includes('\0')) throw new RangeError('hostname must not contain NUL');
    // Redis writes the name, its NUL, and zero padding to the next multiple of 8 (EIGHT_BYTE_ALIGN(len + 1)).
    payload = new Uint8Array(align8(hostname.length + 1));
    writeBinary(payload, 0, hostname);
  } else {
    const raw = ext.raw ?? new Uint8Array(0);
    payload = new Uint8Array(align8(raw.length));
    payload.set(raw);
  }
  checkUint('extension type', ext.type, 16);
  const out = new Uint8Array(PING_EXTENSION_HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length);
  view.setUint16(4, ext.type);
  out.set(payload, PING_EXTENSION_HEADER_SIZE);
  return out;
}

/**
 * Encodes one message with the exact totlen Redis computes for its type. Throws RangeError when a field does
 * not fit its wire slot (a name not 40 chars, an IP over 45 bytes, a port over 65535, slots not 2048 bytes...).
 * For PING/PONG/MEET with extensions, MessageFlag0.EXT_DATA is set in mflags[0] (Redis ignores extensions
 * without it).
 */
export function encodeClusterMessage(msg: ClusterMessage): Uint8Array {
  let bodyLen: number;
  let extensions: Uint8Array[] = [];
  switch (msg.type) {
    case MessageType.PING:
    case MessageType.PONG:
    case MessageType.MEET:
      checkUint('gossip count', msg.gossip.length, 16);
      checkUint('extension count', msg.extensions.length, 16);
      extensions = msg.extensions.map(encodeExtension);
      bodyLen = GOSSIP_ENTRY_SIZE * msg.gossip.length + extensions.reduce((n, e) => n + e.length, 0);
      break;
    case MessageType.FAIL:
      bodyLen = FAIL_BODY;
      break;
    case MessageType.PUBLISH:
    case MessageType.PUBLISHSHARD:
      bodyLen = PUBLISH_BODY_FIXED + msg.channel.length + msg.message.length;
      break;
    case MessageType.FAILOVER_AUTH_REQUEST:
    case MessageType.FAILOVER_AUTH_ACK:
    case MessageType.MFSTART:
      bodyLen = 0;
      break;
    case MessageType.UPDATE:
      bodyLen = UPDATE_BODY;
      break;
    case MessageType.MODULE:
      bodyLen = MODULE_BODY_FIXED + msg.payload.length;
      break;
    default:
      throw new RangeError(`unknown message type ${(msg as ClusterMessageHeader).type}`);
  }
  const totlen = CLUSTER_MESSAGE_HEADER_SIZE + bodyLen;
  checkUint('totlen', totlen, 32);
  const out = new Uint8Array(totlen);
  const view = new DataView(out.buffer);

  out.set(SIG, 0);
  view.setUint32(OFF_TOTLEN, totlen);
  view.setUint16(OFF_VER, CLUSTER_PROTOCOL_VERSION);
  checkUint('port', msg.port, 16);
  view.setUint16(OFF_PORT, msg.port);
  view.setUint16(OFF_TYPE, msg.type);
  writeU64(view, OFF_CURRENT_EPOCH, msg.currentEpoch, 'currentEpoch');
  writeU64(view, OFF_CONFIG_EPOCH, msg.configEpoch, 'configEpoch');
  writeU64(view, OFF_OFFSET, msg.offset, 'offset');
  writeName(out, OFF_SENDER, msg.sender, 'sender');
  writeSlots(out, OFF_MYSLOTS, msg.slots, 'slots');
  if (msg.replicaOf !== null) writeName(out, OFF_SLAVEOF, msg.replicaOf, 'replicaOf');
  writeCString(out, OFF_MYIP, msg.myip, IP_FIELD_LEN, 'myip');
  checkUint('pport', msg.pport, 16);
  view.setUint16(OFF_PPORT, msg.pport);
  checkUint('cport', msg.cport, 16);
  view.setUint16(OFF_CPORT, msg.cport);
  checkUint('flags', msg.flags, 16);
  view.setUint16(OFF_FLAGS, msg.flags);
  out[OFF_STATE] = msg.clusterOk ? 0 : 1;
  for (let i = 0; i < 3; i++) {
    checkUint('mflags', msg.mflags[i], 8);
    out[OFF_MFLAGS + i] = msg.mflags[i];
  }

  let p = OFF_DATA;
  switch (msg.type) {
    case MessageType.PING:
    case MessageType.PONG:
    case MessageType.MEET:
      view.setUint16(OFF_COUNT, msg.gossip.length);
      view.setUint16(OFF_EXTENSIONS, extensions.length);
      if (extensions.length > 0) out[OFF_MFLAGS] |= MessageFlag0.EXT_DATA;
      for (const g of msg.gossip) {
        writeName(out, p, g.name, 'gossip name');
        checkUint('gossip pingSent', g.pingSent, 32);
        view.setUint32(p + 40, g.pingSent);
        checkUint('gossip pongReceived', g.pongReceived, 32);
        view.setUint32(p + 44, g.pongReceived);
        writeCString(out, p + 48, g.ip, IP_FIELD_LEN, 'gossip ip');
        checkUint('gossip port', g.port, 16);
        view.setUint16(p + 94, g.port);
        checkUint('gossip cport', g.cport, 16);
        view.setUint16(p + 96, g.cport);
        checkUint('gossip flags', g.flags, 16);
        view.setUint16(p + 98, g.flags);
        checkUint('gossip pport', g.pport, 16);
        view.setUint16(p + 100, g.pport);
        p += GOSSIP_ENTRY_SIZE;
      }
      for (const e of extensions) {
        out.set(e, p);
        p += e.length;
      }
      break;
    case MessageType.FAIL:
      writeName(out, p, msg.failing, 'failing');
      break;
    case MessageType.PUBLISH:
    case MessageType.PUBLISHSHARD:
      checkBinary('channel', msg.channel);
      checkBinary('message', msg.message);
      view.setUint32(p, msg.channel.length);
      view.setUint32(p + 4, msg.message.length);
      writeBinary(out, writeBinary(out, p + PUBLISH_BODY_FIXED, msg.channel), msg.message);
      break;
    case MessageType.UPDATE:
      writeU64(view, p, msg.update.configEpoch, 'update configEpoch');
      writeName(out, p + 8, msg.update.name, 'update name');
      writeSlots(out, p + 8 + CLUSTER_NAMELEN, msg.update.slots, 'update slots');
      break;
    case MessageType.MODULE:
      if (msg.moduleId < 0n || msg.moduleId >= 1n << 64n) throw new RangeError('moduleId must be a u64');
      view.setBigUint64(p, msg.moduleId, true);
      view.setUint32(p + 8, msg.payload.length);
      checkUint('moduleType', msg.moduleType, 8);
      out[p + 12] = msg.moduleType;
      out.set(msg.payload, p + MODULE_BODY_FIXED);
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_32 + view.getUint32(offset + 4);
}

/** A NUL-terminated string in a field of `len` bytes (the whole field if it has no NUL). */
function readCString(bytes: Uint8Array, offset: number, len: number): string {
  let end = offset;
  while (end < offset + len && bytes[end] !== 0) end++;
  return bytesToBinary(bytes, offset, end);
}

function isAllZero(bytes: Uint8Array, offset: number, len: number): boolean {
  for (let i = offset; i < offset + len; i++) if (bytes[i] !== 0) return false;
  return true;
}

function lengthError(type: number, totlen: number, expected: number | string): ClusterBusError {
  return new ClusterBusError(
    `Received invalid ${messageTypeName(type)} packet of length ${totlen} but expected length ${expected}`,
    { fatal: false },
  );
}

/**
 * Checks the first 8 bytes of a message (signature and totlen) as clusterReadHandler does before reading the
 * rest, and returns totlen. Throws a fatal ClusterBusError.
 */
function checkPrefix(bytes: Uint8Array, offset: number, maxMessageBytes: number): number {
  for (let i = 0; i < 4; i++) {
    if (bytes[offset + i] !== SIG[i]) throw new ClusterBusError('Bad message signature received from Cluster bus.');
  }
  const totlen =
    ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
  if (totlen < CLUSTER_MESSAGE_HEADER_SIZE) {
    throw new ClusterBusError(`Bad message length received from Cluster bus: ${totlen}.`);
  }
  if (totlen > maxMessageBytes) {
    throw new ClusterBusError(`Cluster bus message of ${totlen} bytes exceeds the ${maxMessageBytes} bytes bound.`);
  }
  return totlen;
}

function decodeExtensions(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  totlen: number,
  n: number,
  type: number,
): PingExtension[] {
  const out: PingExtension[] = [];
  let p = start;
  for (let i = 0; i < n; i++) {
    // Redis reads the extension header without checking it is inside the message; we refuse instead.
    if (totlen - p < PING_EXTENSION_HEADER_SIZE) throw lengthError(type, totlen, 'room for extension header');
    const len = view.getUint32(p);
    if (len % 8 !== 0) {
      throw new ClusterBusError(`Received a ${messageTypeName(type)} packet without proper padding (${len} bytes)`, {
        fatal: false,
      });
    }
    // Redis accepts a zero length (and then reads every later extension at the same place); a length below the
    // header cannot describe an extension, so it is refused here.
    if (len < PING_EXTENSION_HEADER_SIZE || len > totlen - p) {
      throw new ClusterBusError(
        `Received invalid ${messageTypeName(type)} packet with extension data that exceeds total packet length ` +
          `(${totlen})`,
        { fatal: false },
      );
    }
    const extType = view.getUint16(p + 4);
    const payloadStart = p + PING_EXTENSION_HEADER_SIZE;
    if (extType === PingExtensionType.HOSTNAME) {
      out.push({ type: extType, hostname: readCString(bytes, payloadStart, len - PING_EXTENSION_HEADER_SIZE) });
    } else {
      out.push({ type: extType, raw: bytes.slice(payloadStart, p + len) });
    }
    p += len;
  }
  if (p !== totlen) throw lengthError(type, totlen, p);
  return out;
}

/**
 * Decodes one whole message (`frame` is exactly one message: its totlen equals frame.length). Returns null for
 * a message Redis ignores without complaint: a protocol version other than 1, or a type it does not know
 * (Redis accepts those at any length and does nothing with them). Throws ClusterBusError as the reader does.
 */
export function decodeClusterMessage(
  frame: Uint8Array,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): ClusterMessage | null {
  if (frame.length < 8) throw new ClusterBusError(`Truncated cluster bus message (${frame.length} bytes).`);
  const totlen = checkPrefix(frame, 0, maxMessageBytes);
  if (totlen !== frame.length) {
    throw new ClusterBusError(`Cluster bus message totlen ${totlen} does not match its ${frame.length} bytes.`);
  }
  const bytes = frame;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(OFF_VER) !== CLUSTER_PROTOCOL_VERSION) return null;
  const type = view.getUint16(OFF_TYPE);
  if (type > MessageType.PUBLISHSHARD) return null;

  const header: ClusterMessageHeader = {
    type,
    port: view.getUint16(OFF_PORT),
    currentEpoch: readU64(view, OFF_CURRENT_EPOCH),
    configEpoch: readU64(view, OFF_CONFIG_EPOCH),
    offset: readU64(view, OFF_OFFSET),
    sender: bytesToBinary(bytes, OFF_SENDER, OFF_SENDER + CLUSTER_NAMELEN),
    slots: bytes.slice(OFF_MYSLOTS, OFF_MYSLOTS + SLOTS_BYTES),
    replicaOf: isAllZero(bytes, OFF_SLAVEOF, CLUSTER_NAMELEN)
      ? null
      : bytesToBinary(bytes, OFF_SLAVEOF, OFF_SLAVEOF + CLUSTER_NAMELEN),
    myip: readCString(bytes, OFF_MYIP, IP_FIELD_LEN),
    pport: view.getUint16(OFF_PPORT),
    cport: view.getUint16(OFF_CPORT),
    flags: view.getUint16(OFF_FLAGS),
    clusterOk: bytes[OFF_STATE] === 0,
    mflags: [bytes[OFF_MFLAGS], bytes[OFF_MFLAGS + 1], bytes[OFF_MFLAGS + 2]],
  };
  const d = OFF_DATA;

  switch (type) {
    case MessageType.PING:
    case MessageType.PONG:
    case MessageType.MEET: {
      const count = view.getUint16(OFF_COUNT);
      const gossipEnd = d + GOSSIP_ENTRY_SIZE * count;
      if (gossipEnd > totlen) throw lengthError(type, totlen, `at least ${gossipEnd}`);
      const gossip: GossipEntry[] = [];
      for (let p = d; p < gossipEnd; p += GOSSIP_ENTRY_SIZE) {
        gossip.push({
          name: bytesToBinary(bytes, p, p + CLUSTER_NAMELEN),
          pingSent: view.getUint32(p + 40),
          pongReceived: view.getUint32(p + 44),
          ip: readCString(bytes, p + 48, IP_FIELD_LEN),
          port: view.getUint16(p + 94),
          cport: view.getUint16(p + 96),
          flags: view.getUint16(p + 98),
          pport: view.getUint16(p + 100),
        });
      }
      // Like clusterProcessPacket, extensions count towards the expected length only under EXT_DATA.
      let extensions: PingExtension[] = [];
      if (header.mflags[0] & MessageFlag0.EXT_DATA) {
        extensions = decodeExtensions(bytes, view, gossipEnd, totlen, view.getUint16(OFF_EXTENSIONS), type);
      } else if (gossipEnd !== totlen) {
        throw lengthError(type, totlen, gossipEnd);
      }
      return { ...header, type, gossip, extensions };
    }
    case MessageType.FAIL:
      if (totlen !== d + FAIL_BODY) throw lengthError(type, totlen, d + FAIL_BODY);
      return { ...header, type, failing: bytesToBinary(bytes, d, d + CLUSTER_NAMELEN) };
    case MessageType.PUBLISH:
    case MessageType.PUBLISHSHARD: {
      // Needed before the lengths can be read; Redis reads them regardless (its buffer is at least 2256 bytes).
      if (totlen < d + PUBLISH_BODY_FIXED) throw lengthError(type, totlen, `at least ${d + PUBLISH_BODY_FIXED}`);
      const channelLen = view.getUint32(d);
      const messageLen = view.getUint32(d + 4);
      // Redis sums these in 32 bits, so an overflowing pair could pass its check; the exact sum refuses it.
      const expected = d + PUBLISH_BODY_FIXED + channelLen + messageLen;
      if (totlen !== expected) throw lengthError(type, totlen, expected);
      const c = d + PUBLISH_BODY_FIXED;
      return {
        ...header,
        type,
        channel: bytesToBinary(bytes, c, c + channelLen),
        message: bytesToBinary(bytes, c + channelLen, totlen),
      };
    }
    case MessageType.FAILOVER_AUTH_REQUEST:
    case MessageType.FAILOVER_AUTH_ACK:
    case MessageType.MFSTART:
      if (totlen !== d) throw lengthError(type, totlen, d);
      return { ...header, type };
    case MessageType.UPDATE:
      if (totlen !== d + UPDATE_BODY) throw lengthError(type, totlen, d + UPDATE_BODY);
      return {
        ...header,
        type,
        update: {
          configEpoch: readU64(view, d),
          name: bytesToBinary(bytes, d + 8, d + 8 + CLUSTER_NAMELEN),
          slots: bytes.slice(d + 8 + CLUSTER_NAMELEN, d + UPDATE_BODY),
        },
      };
    default: {
      // MODULE (types above PUBLISHSHARD returned null earlier).
      if (totlen < d + MODULE_BODY_FIXED) throw lengthError(type, totlen, `at least ${d + MODULE_BODY_FIXED}`);
      const len = view.getUint32(d + 8);
      const expected = d + MODULE_BODY_FIXED + len;
      if (totlen !== expected) throw lengthError(type, totlen, expected);
      return {
        ...header,
        type: MessageType.MODULE,
        moduleId: view.getBigUint64(d, true),
        moduleType: bytes[d + 12],
        payload: bytes.slice(d + MODULE_BODY_FIXED, totlen),
      };
    }
  }
}

/**
 * Incremental reader for one bus connection: push() bytes as they arrive, next() returns whole messages.
 *
 * As in Redis, the first 8 bytes of each message are checked on their own (signature "RCmb", totlen at least
 * the 2256-byte header, and here also at most `maxMessageBytes`, where Redis has no bound): a failure there is
 * fatal, since the stream can no longer be framed, and every later call throws the same error. A whole message
 * whose totlen does not match its type is consumed, then reported with a non-fatal ClusterBusError (Redis logs
 * and skips it). Messages Redis ignores silently (protocol version other than 1, unknown type) are skipped and
 * counted in `ignored`.
 */
export class ClusterMessageReader {
  /** Messages skipped because Redis would ignore them (unknown protocol version or type). */
  ignored = 0;
  private readonly maxMessageBytes: number;
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private failure: ClusterBusError | null = null;

  constructor(opts: { maxMessageBytes?: number } = {}) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes received but not yet returned as messages. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends bytes received from the connection. */
  push(bytes: Uint8Array): void {
    if (this.failure) throw this.failure;
    const n = bytes.length;
    if (n === 0) return;
    if (this.end + n > this.buf.length) {
      const used = this.end - this.start;
      if (used + n <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(used + n, this.buf.length * 2, 4096));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    this.buf.set(bytes, this.end);
    this.end += n;
  }

  /** The next whole message, or null until more bytes arrive. */
  next(): ClusterMessage | null {
    if (this.failure) throw this.failure;
    for (;;) {
      if (this.end - this.start < 8) return null;
      let totlen: number;
      try {
        totlen = checkPrefix(this.buf, this.start, this.maxMessageBytes);
      } catch (e) {
        this.failure = e as ClusterBusError;
        throw e;
      }
      if (this.end - this.start < totlen) return null;
      const frame = this.buf.subarray(this.start, this.start + totlen);
      this.start += totlen;
      if (this.start === this.end) this.start = this.end = 0;
      // decode copies what it keeps (slots, payloads), so later pushes may overwrite the frame's bytes.
      const msg = decodeClusterMessage(frame, this.maxMessageBytes);
      if (msg) return msg;
      this.ignored++;
    }
  }
}

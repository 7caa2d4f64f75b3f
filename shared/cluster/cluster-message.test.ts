import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToBinary } from '../bytes.js';
import { NodeFlag } from './cluster-node.js';
import {
  CLUSTER_MESSAGE_HEADER_SIZE,
  ClusterBusError,
  ClusterMessageReader,
  decodeClusterMessage,
  encodeClusterMessage,
  MessageFlag0,
  MessageType,
  messageTypeName,
  type ClusterMessage,
  type ClusterMessageHeader,
  type GossipEntry,
  type PingExtension,
} from './cluster-message.js';

const NAME_A = 'a'.repeat(40);
const NAME_B = '0123456789abcdef0123456789abcdef01234567';
const NAME_C = 'fedcba9876543210fedcba9876543210fedcba98';

function slotsWith(...slots: number[]): Uint8Array {
  const b = new Uint8Array(2048);
  for (const s of slots) b[s >> 3] |= 1 << (s & 7);
  return b;
}

function header(over: Partial<ClusterMessageHeader> = {}): Omit<ClusterMessageHeader, 'type'> {
  return {
    port: 7000,
    currentEpoch: 5,
    configEpoch: 3,
    offset: 12345,
    sender: NAME_A,
    slots: slotsWith(0, 1, 16383),
    replicaOf: null,
    myip: '10.0.0.1',
    pport: 0,
    cport: 17000,
    flags: NodeFlag.MASTER,
    clusterOk: true,
    mflags: [0, 0, 0],
    ...over,
  };
}

const gossipEntry: GossipEntry = {
  name: NAME_B,
  pingSent: 1_700_000_000,
  pongReceived: 1_700_000_001,
  ip: '2001:db8::1',
  port: 7001,
  cport: 17001,
  flags: NodeFlag.SLAVE | NodeFlag.PFAIL,
  pport: 6001,
};

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(o);
}
function u64(b: Uint8Array, o: number): bigint {
  return new DataView(b.buffer, b.byteOffset).getBigUint64(o);
}
function text(b: Uint8Array, o: number, n: number): string {
  return bytesToBinary(b, o, o + n);
}

/** One example of every message type. */
function everyType(): ClusterMessage[] {
  return [
    { ...header(), type: MessageType.PING, gossip: [gossipEntry], extensions: [] },
    { ...header(), type: MessageType.PONG, gossip: [], extensions: [{ type: 0, hostname: 'node-1.example' }] },
    {
      ...header({ mflags: [MessageFlag0.EXT_DATA, 0, 0] }),
      type: MessageType.MEET,
      gossip: [gossipEntry, { ...gossipEntry, name: NAME_C, ip: '' }],
      extensions: [{ type: 0, hostname: 'h' }, { type: 7, raw: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }],
    },
    { ...header({ replicaOf: NAME_B }), type: MessageType.FAIL, failing: NAME_C },
    { ...header(), type: MessageType.PUBLISH, channel: 'news', message: '\x00\xff\r\nhello' },
    { ...header(), type: MessageType.PUBLISHSHARD, channel: '{x}\x80', message: '' },
    { ...header({ mflags: [MessageFlag0.FORCEACK, 0, 0] }), type: MessageType.FAILOVER_AUTH_REQUEST },
    { ...header({ clusterOk: false }), type: MessageType.FAILOVER_AUTH_ACK },
    { ...header({ mflags: [MessageFlag0.PAUSED, 0, 0] }), type: MessageType.MFSTART },
    {
      ...header(),
      type: MessageType.UPDATE,
      update: { configEpoch: 2 ** 40 + 7, name: NAME_C, slots: slotsWith(42, 8191) },
    },
    {
      ...header(),
      type: MessageType.MODULE,
      moduleId: 0x0123456789abcdefn,
      moduleType: 200,
      payload: new Uint8Array([9, 8, 7]),
    },
  ];
}

/** Sets EXT_DATA as the encoder does, so a decoded message compares equal to what was encoded. */
function normalized(m: ClusterMessage): ClusterMessage {
  if ((m.type === 0 || m.type === 1 || m.type === 2) && m.extensions.length > 0) {
    return { ...m, mflags: [m.mflags[0] | MessageFlag0.EXT_DATA, m.mflags[1], m.mflags[2]] };
  }
  return m;
}

/** Overwrites totlen in an encoded message. */
function withTotlen(b: Uint8Array, totlen: number): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(4, totlen);
  return out;
}

function readAll(reader: ClusterMessageReader): ClusterMessage[] {
  const out: ClusterMessage[] = [];
  for (let m = reader.next(); m; m = reader.next()) out.push(m);
  return out;
}

describe('encodeClusterMessage / decodeClusterMessage', () => {
  it('round-trips every message type', () => {
    for (const msg of everyType()) {
      expect(decodeClusterMessage(encodeClusterMessage(msg))).toEqual(normalized(msg));
    }
  });

  it('writes the header fields at the offsets cluster.h asserts', () => {
    const msg: ClusterMessage = {
      ...header({
        port: 0x1234,
        currentEpoch: 2 ** 33 + 1,
        configEpoch: 0x0102030405,
        offset: 2 ** 52,
        replicaOf: NAME_B,
        myip: '192.168.1.200',
        pport: 0x2345,
        cport: 0x3456,
        flags: NodeFlag.SLAVE | NodeFlag.MYSELF,
        clusterOk: false,
        mflags: [MessageFlag0.PAUSED, 0x5a, 0xa5],
        slots: slotsWith(0, 9, 16383),
      }),
      type: MessageType.PONG,
      gossip: [gossipEntry],
      extensions: [{ type: 0, hostname: 'abc' }],
    };
    const b = encodeClusterMessage(msg);
    expect(text(b, 0, 4)).toBe('RCmb');
    expect(u32(b, 4)).toBe(b.length);
    expect(u16(b, 8)).toBe(1); // ver
    expect(u16(b, 10)).toBe(0x1234); // port
    expect(u16(b, 12)).toBe(MessageType.PONG);
    expect(u16(b, 14)).toBe(1); // count
    expect(u64(b, 16)).toBe(2n ** 33n + 1n);
    expect(u64(b, 24)).toBe(0x0102030405n);
    expect(u64(b, 32)).toBe(2n ** 52n);
    expect(text(b, 40, 40)).toBe(NAME_A);
    // myslots at 80: slot s is bit (s & 7) of byte 80 + (s >> 3).
    expect(b[80]).toBe(0b1);
    expect(b[81]).toBe(0b10);
    expect(b[80 + 2047]).toBe(0x80);
    expect(text(b, 2128, 40)).toBe(NAME_B); // slaveof
    expect(text(b, 2168, 14)).toBe('192.168.1.200\0'); // myip, NUL-terminated
    expect(u16(b, 2214)).toBe(1); // extensions
    expect(b.subarray(2216, 2246).every((x) => x === 0)).toBe(true); // notused1
    expect(u16(b, 2246)).toBe(0x2345); // pport
    expect(u16(b, 2248)).toBe(0x3456); // cport
    expect(u16(b, 2250)).toBe(NodeFlag.SLAVE | NodeFlag.MYSELF);
    expect(b[2252]).toBe(1); // state: fail
    expect([b[2253], b[2254], b[2255]]).toEqual([MessageFlag0.PAUSED | MessageFlag0.EXT_DATA, 0x5a, 0xa5]);
    expect(CLUSTER_MESSAGE_HEADER_SIZE).toBe(2256);
  });

  it('lays out a gossip entry in 104 bytes after the header, then the padded hostname extension', () => {
    const b = encodeClusterMessage({
      ...header(),
      type: MessageType.PING,
      gossip: [gossipEntry],
      extensions: [{ type: 0, hostname: 'abcdefg' }],
    });
    const g = 2256;
    expect(text(b, g, 40)).toBe(NAME_B);
    expect(u32(b, g + 40)).toBe(1_700_000_000);
    expect(u32(b, g + 44)).toBe(1_700_000_001);
    expect(text(b, g + 48, 12)).toBe('2001:db8::1\0');
    expect(u16(b, g + 94)).toBe(7001);
    expect(u16(b, g + 96)).toBe(17001);
    expect(u16(b, g + 98)).toBe(NodeFlag.SLAVE | NodeFlag.PFAIL);
    expect(u16(b, g + 100)).toBe(6001);
    expect(u16(b, g + 102)).toBe(0);
    const e = g + 104;
    // 7 bytes + NUL = 8: EIGHT_BYTE_ALIGN(len + 1) needs no padding; 8-byte header + 8 = 16.
    expect(u32(b, e)).toBe(16);
    expect(u16(b, e + 4)).toBe(0);
    expect(text(b, e + 8, 8)).toBe('abcdefg\0');
    expect(b.length).toBe(2256 + 104 + 16);
  });

  it('computes totlen exactly as Redis does for each type', () => {
    const h = header();
    const len = (m: ClusterMessage) => u32(encodeClusterMessage(m), 4);
    expect(len({ ...h, type: 0, gossip: [], extensions: [] })).toBe(2256);
    const three = [gossipEntry, gossipEntry, gossipEntry];
    expect(len({ ...h, type: 1, gossip: three, extensions: [] })).toBe(2256 + 3 * 104);
    // An 8-char hostname needs 9 bytes with its NUL: padded to 16, plus the 8-byte extension header.
    expect(len({ ...h, type: 2, gossip: [], extensions: [{ type: 0, hostname: '12345678' }] })).toBe(2256 + 24);
    expect(len({ ...h, type: 3, failing: NAME_B })).toBe(2296);
    // clusterMsgDataPublish is 16 bytes with an 8-byte placeholder: 2256 + 16 - 8 + lengths.
    expect(len({ ...h, type: 4, channel: 'ch', message: 'hello' })).toBe(2256 + 8 + 2 + 5);
    expect(len({ ...h, type: 10, channel: '', message: '' })).toBe(2264);
    expect(len({ ...h, type: 5 })).toBe(2256);
    expect(len({ ...h, type: 6 })).toBe(2256);
    expect(len({ ...h, type: 8 })).toBe(2256);
    // UPDATE is the largest union member: it fills sizeof(clusterMsg).
    expect(len({ ...h, type: 7, update: { configEpoch: 1, name: NAME_B, slots: new Uint8Array(2048) } })).toBe(4352);
    // clusterMsgModule is 16 bytes with a 3-byte placeholder: 2256 + 13 + len.
    expect(len({ ...h, type: 9, moduleId: 1n, moduleType: 0, payload: new Uint8Array(10) })).toBe(2256 + 13 + 10);
  });

  it('lays out FAIL, PUBLISH, UPDATE and MODULE bodies at offset 2256', () => {
    const h = header();
    const fail = encodeClusterMessage({ ...h, type: 3, failing: NAME_C });
    expect(text(fail, 2256, 40)).toBe(NAME_C);

    const pub = encodeClusterMessage({ ...h, type: 4, channel: 'ch', message: 'msg' });
    expect([u32(pub, 2256), u32(pub, 2260), text(pub, 2264, 5)]).toEqual([2, 3, 'chmsg']);

    const upd = encodeClusterMessage({ ...h, type: 7, update: { configEpoch: 9, name: NAME_B, slots: slotsWith(8) } });
    expect(u64(upd, 2256)).toBe(9n);
    expect(text(upd, 2264, 40)).toBe(NAME_B);
    expect(upd[2304 + 1]).toBe(1);

    const mod = encodeClusterMessage({
      ...h,
      type: 9,
      moduleId: 0x0102030405060708n,
      moduleType: 0x42,
      payload: new Uint8Array([0xee]),
    });
    // module_id travels in host (little-endian) order.
    expect([...mod.subarray(2256, 2264)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(u32(mod, 2264)).toBe(1);
    expect(mod[2268]).toBe(0x42);
    expect(mod[2269]).toBe(0xee);
  });

  it('decodes an all-zero slaveof as null and an all-zero myip as the empty string', () => {
    const m = decodeClusterMessage(encodeClusterMessage({ ...header({ myip: '' }), type: 5 }))!;
    expect(m.replicaOf).toBeNull();
    expect(m.myip).toBe('');
  });

  it('round-trips arbitrary messages (property)', () => {
    const name = fc
      .uint8Array({ minLength: 20, maxLength: 20 })
      .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(''));
    const u16a = fc.integer({ min: 0, max: 0xffff });
    const u8a = fc.integer({ min: 0, max: 0xff });
    const ip = fc.oneof(fc.constant(''), fc.ipV4(), fc.ipV6());
    const binary = fc.uint8Array({ maxLength: 300 }).map((b) => bytesToBinary(b));
    const slots = fc.uint8Array({ minLength: 2048, maxLength: 2048 });
    const hdr = fc.record({
      port: u16a,
      currentEpoch: fc.maxSafeNat(),
      configEpoch: fc.maxSafeNat(),
      offset: fc.maxSafeNat(),
      sender: name,
      slots,
      replicaOf: fc.option(name, { nil: null }),
      myip: ip,
      pport: u16a,
      cport: u16a,
      flags: u16a,
      clusterOk: fc.boolean(),
      mflags: fc.tuple(u8a, u8a, u8a),
    });
    const gossip: fc.Arbitrary<GossipEntry> = fc.record({
      name,
      pingSent: fc.nat({ max: 0xffffffff }),
      pongReceived: fc.nat({ max: 0xffffffff }),
      ip,
      port: u16a,
      cport: u16a,
      flags: u16a,
      pport: u16a,
    });
    const ext: fc.Arbitrary<PingExtension> = fc.oneof(
      fc
        .string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 60 })
        .map((hostname) => ({ type: 0, hostname })),
      fc.record({
        type: fc.integer({ min: 1, max: 0xffff }),
        raw: fc.integer({ min: 0, max: 6 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
      }),
    );
    const body: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
      fc.record({
        type: fc.constantFrom(0, 1, 2),
        gossip: fc.array(gossip, { maxLength: 5 }),
        extensions: fc.array(ext, { maxLength: 3 }),
      }),
      fc.record({ type: fc.constant(3), failing: name }),
      fc.record({ type: fc.constantFrom(4, 10), channel: binary, message: binary }),
      fc.record({ type: fc.constantFrom(5, 6, 8) }),
      fc.record({ type: fc.constant(7), update: fc.record({ configEpoch: fc.maxSafeNat(), name, slots }) }),
      fc.record({
        type: fc.constant(9),
        moduleId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        moduleType: u8a,
        payload: fc.uint8Array({ maxLength: 100 }),
      }),
    );
    fc.assert(
      fc.property(hdr, body, (h, b) => {
        const msg = { ...h, ...b } as unknown as ClusterMessage;
        const bytes = encodeClusterMessage(msg);
        expect(decodeClusterMessage(bytes)).toEqual(normalized(msg));
        expect(encodeClusterMessage(decodeClusterMessage(bytes)!)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses fields that do not fit their wire slots', () => {
    const h = header();
    expect(() => encodeClusterMessage({ ...h, sender: 'abc', type: 5 })).toThrow(RangeError);
    expect(() => encodeClusterMessage({ ...h, myip: 'x'.repeat(46), type: 5 })).toThrow(RangeError);
    expect(() => encodeClusterMessage({ ...h, port: 65536, type: 5 })).toThrow(RangeError);
    expect(() => encodeClusterMessage({ ...h, currentEpoch: -1, type: 5 })).toThrow(RangeError);
    expect(() => encodeClusterMessage({ ...h, slots: new Uint8Array(10), type: 5 })).toThrow(RangeError);
    expect(() => encodeClusterMessage({ ...h, type: 4, channel: '\u0100', message: '' })).toThrow(RangeError);
    const nulHost = [{ type: 0, hostname: 'a\0b' }];
    expect(() => encodeClusterMessage({ ...h, type: 0, gossip: [], extensions: nulHost })).toThrow(RangeError);
  });

  it('names the types as Redis prints them', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(messageTypeName)).toEqual([
      'ping', 'pong', 'meet', 'fail', 'publish', 'auth-req', 'auth-ack', 'update', 'mfstart', 'module', 'publishshard',
      'unknown',
    ]);
  });
});

describe('ClusterMessageReader', () => {
  it('returns messages pushed whole, one per next(), then null', () => {
    const msgs = everyType();
    const reader = new ClusterMessageReader();
    for (const m of msgs) reader.push(encodeClusterMessage(m));
    expect(readAll(reader)).toEqual(msgs.map(normalized));
    expect(reader.next()).toBeNull();
    expect(reader.buffered).toBe(0);
  });

  it('yields the same messages however the stream is split (property)', () => {
    const msgs = everyType();
    const stream = new Uint8Array(msgs.reduce((n, m) => n + encodeClusterMessage(m).length, 0));
    let o = 0;
    for (const m of msgs) {
      const b = encodeClusterMessage(m);
      stream.set(b, o);
      o += b.length;
    }
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const reader = new ClusterMessageReader();
        const got: ClusterMessage[] = [];
        for (let i = 1; i < points.length; i++) {
          reader.push(stream.subarray(points[i - 1], points[i]));
          got.push(...readAll(reader));
        }
        expect(got).toEqual(msgs.map(normalized));
      }),
      { numRuns: 40 },
    );
  });

  it('yields a message only when its last byte arrives, including at one byte per push', () => {
    const b = encodeClusterMessage({ ...header(), type: MessageType.FAIL, failing: NAME_B });
    const reader = new ClusterMessageReader();
    for (let i = 0; i < b.length - 1; i++) {
      reader.push(b.subarray(i, i + 1));
      expect(reader.next()).toBeNull();
    }
    reader.push(b.subarray(b.length - 1));
    expect(reader.next()).toMatchObject({ type: MessageType.FAIL, failing: NAME_B });
  });

  it('fails fatally on a bad signature and keeps failing', () => {
    const b = encodeClusterMessage({ ...header(), type: 5 });
    b[3] = 0x42; // "RCmB"
    const reader = new ClusterMessageReader();
    reader.push(b);
    expect(() => reader.next()).toThrow(ClusterBusError);
    try {
      reader.next();
    } catch (e) {
      expect((e as ClusterBusError).fatal).toBe(true);
    }
    expect(() => reader.push(new Uint8Array(1))).toThrow(ClusterBusError);
  });

  it('checks signature and totlen as soon as 8 bytes are in, before the body arrives', () => {
    const reader = new ClusterMessageReader();
    reader.push(new Uint8Array([0x52, 0x43, 0x6d, 0x62, 0, 0, 0, 8]));
    expect(() => reader.next()).toThrow(/Bad message length/);
  });

  it('refuses a totlen below the 2256-byte header (Redis drops the link)', () => {
    const b = withTotlen(encodeClusterMessage({ ...header(), type: 5 }), 2255);
    const reader = new ClusterMessageReader();
    reader.push(b);
    expect(() => reader.next()).toThrow(ClusterBusError);
  });

  it('refuses a totlen above maxMessageBytes without waiting for the body', () => {
    const b = encodeClusterMessage({ ...header(), type: 4, channel: 'c', message: 'x'.repeat(5000) });
    const reader = new ClusterMessageReader({ maxMessageBytes: 4096 });
    reader.push(b.subarray(0, 8));
    expect(() => reader.next()).toThrow(/exceeds the 4096 bytes bound/);
    const ok = new ClusterMessageReader({ maxMessageBytes: b.length });
    ok.push(b);
    expect(ok.next()).toMatchObject({ type: 4, channel: 'c' });
  });

  it('skips a message whose totlen does not fit its type with a non-fatal error, then goes on', () => {
    // A FAIL message with 8 extra bytes: its totlen frames it, but Redis expects exactly 2296.
    const fail = encodeClusterMessage({ ...header(), type: 3, failing: NAME_B });
    const padded = new Uint8Array(fail.length + 8);
    padded.set(fail);
    const bad = withTotlen(padded, padded.length);
    const good = encodeClusterMessage({ ...header(), type: 6 });
    const reader = new ClusterMessageReader();
    reader.push(bad);
    reader.push(good);
    let err: unknown;
    try {
      reader.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClusterBusError);
    expect((err as ClusterBusError).fatal).toBe(false);
    expect((err as Error).message).toBe('Received invalid fail packet of length 2304 but expected length 2296');
    expect(reader.next()).toMatchObject({ type: 6 });
  });

  it('refuses length mismatches of every checked type', () => {
    const h = header();
    const cut = (m: ClusterMessage, drop: number) => {
      const b = encodeClusterMessage(m);
      return withTotlen(b.subarray(0, b.length - drop), b.length - drop);
    };
    const cases = [
      cut({ ...h, type: 0, gossip: [gossipEntry], extensions: [] }, 1), // gossip entry cut short
      cut({ ...h, type: 3, failing: NAME_B }, 1),
      cut({ ...h, type: 4, channel: 'ch', message: 'msg' }, 1),
      cut({ ...h, type: 7, update: { configEpoch: 1, name: NAME_B, slots: new Uint8Array(2048) } }, 1),
      cut({ ...h, type: 9, moduleId: 1n, moduleType: 1, payload: new Uint8Array(4) }, 1),
      withTotlen(encodeClusterMessage({ ...h, type: 5 }).slice(), 2256), // fine, control
    ];
    for (const b of cases.slice(0, -1)) {
      expect(() => decodeClusterMessage(b)).toThrow(ClusterBusError);
    }
    expect(decodeClusterMessage(cases[cases.length - 1])).toMatchObject({ type: 5 });
    // Header-only types take no body.
    const auth = new Uint8Array(2264);
    auth.set(encodeClusterMessage({ ...h, type: 8 }));
    expect(() => decodeClusterMessage(withTotlen(auth, 2264))).toThrow(/invalid mfstart packet of length 2264/);
  });

  it('rejects a truncated frame handed to decodeClusterMessage', () => {
    const b = encodeClusterMessage({ ...header(), type: 3, failing: NAME_B });
    expect(() => decodeClusterMessage(b.subarray(0, b.length - 1))).toThrow(ClusterBusError);
    expect(() => decodeClusterMessage(b.subarray(0, 5))).toThrow(ClusterBusError);
  });

  it('validates ping extensions: padding to 8, within totlen, and counted only under EXT_DATA', () => {
    const ping = encodeClusterMessage({ ...header(), type: 0, gossip: [], extensions: [{ type: 0, hostname: 'abc' }] });
    expect(u32(ping, 2256)).toBe(16);

    const badPad = ping.slice();
    new DataView(badPad.buffer).setUint32(2256, 12);
    expect(() => decodeClusterMessage(badPad)).toThrow(/without proper padding \(12 bytes\)/);

    const tooLong = ping.slice();
    new DataView(tooLong.buffer).setUint32(2256, 24);
    expect(() => decodeClusterMessage(tooLong)).toThrow(/exceeds total packet length/);

    // Without EXT_DATA Redis ignores the extensions when sizing: the extension bytes make the length wrong.
    const noFlag = ping.slice();
    noFlag[2253] &= ~MessageFlag0.EXT_DATA;
    expect(() => decodeClusterMessage(noFlag)).toThrow(/invalid ping packet of length 2272 but expected length 2256/);

    // ... and a header that counts extensions but carries none is fine without the flag.
    const countOnly = encodeClusterMessage({ ...header(), type: 0, gossip: [], extensions: [] });
    new DataView(countOnly.buffer).setUint16(2214, 3);
    expect(decodeClusterMessage(countOnly)).toMatchObject({ type: 0, extensions: [] });

    // More extensions announced than present.
    const missing = ping.slice();
    new DataView(missing.buffer).setUint16(2214, 2);
    expect(() => decodeClusterMessage(missing)).toThrow(ClusterBusError);
  });

  it('decodes the hostname up to its NUL and keeps unknown extensions as raw bytes', () => {
    const m = decodeClusterMessage(
      encodeClusterMessage({
        ...header(),
        type: 1,
        gossip: [],
        extensions: [{ type: 3, raw: new Uint8Array([1, 2, 3]) }, { type: 0, hostname: 'redis-7.local' }],
      }),
    );
    expect(m).toMatchObject({
      extensions: [{ type: 3, raw: new Uint8Array([1, 2, 3, 0, 0, 0, 0, 0]) }, { type: 0, hostname: 'redis-7.local' }],
    });
  });

  it('skips messages of another protocol version or an unknown type, counting them', () => {
    const v2 = encodeClusterMessage({ ...header(), type: 3, failing: NAME_B });
    new DataView(v2.buffer).setUint16(8, 2);
    const unknown = encodeClusterMessage({ ...header(), type: 5 });
    new DataView(unknown.buffer).setUint16(12, 11);
    const ok = encodeClusterMessage({ ...header(), type: 6 });
    const reader = new ClusterMessageReader();
    reader.push(v2);
    reader.push(unknown);
    reader.push(ok);
    expect(reader.next()).toMatchObject({ type: 6 });
    expect(reader.ignored).toBe(2);
    expect(decodeClusterMessage(v2)).toBeNull();
  });

  it('keeps decoded slots and payloads intact when later bytes reuse the buffer', () => {
    const reader = new ClusterMessageReader();
    const module = (slot: number, payload: number[]): ClusterMessage => ({
      ...header({ slots: slotsWith(slot) }),
      type: 9,
      moduleId: 7n,
      moduleType: 1,
      payload: new Uint8Array(payload),
    });
    const first = encodeClusterMessage(module(5, [1, 2]));
    reader.push(first);
    const m = reader.next()!;
    reader.push(encodeClusterMessage(module(6, [3, 4])));
    reader.next();
    expect(m).toMatchObject({ slots: slotsWith(5), payload: new Uint8Array([1, 2]) });
  });
});

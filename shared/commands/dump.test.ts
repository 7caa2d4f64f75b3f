import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { bytesToBinary } from '../bytes.js';
import { Crc64 } from '../rdb/crc64.js';
import { createDumpPayload } from '../rdb/dump-payload.js';
import { plain, zset } from '../rdb/rdb-test-support.js';
import { ErrorReply } from '../resp/reply.js';
import { Deque } from '../store/deque.js';
import { allCommands } from './index.js';
import { dumpCommands } from './dump.js';

const HELLO = createDumpPayload('hello');

function setup() {
  const h = createHarness({ commands: [...allCommands, ...dumpCommands] });
  return { h, c: h.client(), db: h.core.dbs[0] };
}

/** A payload with a valid footer around `body`. */
function payloadOf(body: number[]): string {
  const p = new Uint8Array([...body, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  p.set(new Crc64().update(p, 0, p.length - 8).toBytesLE(), p.length - 8);
  return bytesToBinary(p);
}

describe('DUMP', () => {
  it('returns a payload for every type, and null for a missing or expired key', () => {
    const { h, c, db } = setup();
    db.dict.set('s', 'hello');
    expect(c.call('DUMP', 's')).toBe(HELLO);
    db.dict.set('l', new Deque(['a', 'b']));
    db.dict.set('z', zset([['m', 1]]));
    expect(typeof c.call('DUMP', 'l')).toBe('string');
    expect(c.call('DUMP', 'z')).toBe(createDumpPayload(zset([['m', 1]])));
    expect(c.call('DUMP', 'nokey')).toBeNull();
    db.expires.set('s', h.clock.now + 10);
    h.clock.advance(11);
    expect(c.call('DUMP', 's')).toBeNull();
    expect(c.call('DUMP')).toEqual(new ErrorReply("ERR wrong number of arguments for 'dump' command"));
  });
});

describe('RESTORE', () => {
  it('restores what DUMP produced, for every type, and propagates as received without a TTL', () => {
    const { h, c, db } = setup();
    const values = { s: '12345', l: new Deque(['a', '1']), hs: new Map([['f', 'v']]), st: new Set(['x']), zs: zset([['m', 2.5]]) };
    for (const [k, v] of Object.entries(values)) {
      db.dict.set(k, v);
      const payload = c.call('DUMP', k) as string;
      expect(c.call('RESTORE', `${k}2`, '0', payload)).toEqual(OK_REPLY);
      expect(plain(db.dict.get(`${k}2`)!)).toEqual(plain(v));
      expect(db.expires.has(`${k}2`)).toBe(false);
    }
    expect(h.propagated[0]).toEqual(['SELECT', '0']);
    expect(h.propagated[1]).toEqual(['RESTORE', 's2', '0', createDumpPayload('12345')]);
    expect(h.propagated).toHaveLength(6);
  });

  it('refuses an existing key with BUSYKEY unless REPLACE, which drops the old TTL', () => {
    const { h, c, db } = setup();
    db.dict.set('k', 'old');
    db.expires.set('k', h.clock.now + 100_000);
    expect(c.call('RESTORE', 'k', '0', HELLO)).toEqual(new ErrorReply('BUSYKEY Target key name already exists.'));
    // BUSYKEY is checked before the TTL.
    expect(c.call('RESTORE', 'k', '-1', HELLO)).toEqual(new ErrorReply('BUSYKEY Target key name already exists.'));
    expect(c.call('restore', 'k', '0', HELLO, 'replace')).toEqual(OK_REPLY);
    expect(db.dict.get('k')).toBe('hello');
    expect(db.expires.has('k')).toBe(false);
    expect(h.propagated.slice(1)).toEqual([['restore', 'k', '0', HELLO, 'replace']]);
  });

  it('treats a logically expired key as missing', () => {
    const { h, c, db } = setup();
    db.dict.set('k', 'old');
    db.expires.set('k', h.clock.now + 5);
    h.clock.advance(6);
    expect(c.call('RESTORE', 'k', '0', HELLO)).toEqual(OK_REPLY);
    expect(db.dict.get('k')).toBe('hello');
  });

  it('turns a relative TTL into an absolute one and propagates it with ABSTTL appended', () => {
    const { h, c, db } = setup();
    const now = h.clock.now;
    expect(c.call('RESTORE', 'k', '5000', HELLO)).toEqual(OK_REPLY);
    expect(db.expires.get('k')).toBe(now + 5000);
    expect(c.call('RESTORE', 'k', '100', HELLO, 'REPLACE', 'IDLETIME', '3')).toEqual(OK_REPLY);
    expect(h.propagated.slice(1)).toEqual([
      ['RESTORE', 'k', String(now + 5000), HELLO, 'ABSTTL'],
      ['RESTORE', 'k', String(now + 100), HELLO, 'REPLACE', 'IDLETIME', '3', 'ABSTTL'],
    ]);
  });

  it('keeps an ABSTTL deadline as given and propagates the command unchanged', () => {
    const { h, c, db } = setup();
    const when = String(h.clock.now + 60_000);
    expect(c.call('RESTORE', 'k', when, HELLO, 'ABSTTL')).toEqual(OK_REPLY);
    expect(db.expires.get('k')).toBe(Number(when));
    expect(h.propagated.slice(1)).toEqual([['RESTORE', 'k', when, HELLO, 'ABSTTL']]);
  });

  it('stores nothing for an already expired deadline; a replaced key becomes a propagated DEL', () => {
    const { h, c, db } = setup();
    expect(c.call('RESTORE', 'k', '1', HELLO, 'ABSTTL')).toEqual(OK_REPLY);
    expect(db.dict.has('k')).toBe(false);
    expect(h.propagated).toEqual([]);
    db.dict.set('k', 'old');
    expect(c.call('RESTORE', 'k', String(h.clock.now), HELLO, 'ABSTTL', 'REPLACE')).toEqual(OK_REPLY);
    expect(db.dict.has('k')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'k']]);
  });

  it('on a replica keeps a key whose deadline has passed, waiting for the master', () => {
    const { h, c, db } = setup();
    h.core.role = 'replica';
    c.client.isMaster = true;
    expect(c.call('RESTORE', 'k', '1', HELLO, 'ABSTTL')).toEqual(OK_REPLY);
    expect(db.dict.get('k')).toBe('hello');
    expect(db.expires.get('k')).toBe(1);
  });

  it('validates the TTL, options and payload with Redis error texts', () => {
    const { c, db } = setup();
    const cases: Array<[string[], string]> = [
      [['k', '-1', HELLO], 'ERR Invalid TTL value, must be >= 0'],
      [['k', 'abc', HELLO], 'ERR value is not an integer or out of range'],
      [['k', '0', 'garbage'], 'ERR DUMP payload version or checksum are wrong'],
      [['k', '0', HELLO.slice(0, -1) + String.fromCharCode(HELLO.charCodeAt(HELLO.length - 1) ^ 1)], 'ERR DUMP payload version or checksum are wrong'],
      [['k', '0', payloadOf([2, 0])], 'ERR Bad data format'],
      [['k', '0', payloadOf([0, 9, 0x61])], 'ERR Bad data format'],
      [['k', '0', payloadOf([15, 0])], 'ERR Bad data format'],
      [['k', '0', HELLO, 'IDLETIME', '-1'], 'ERR Invalid IDLETIME value, must be >= 0'],
      [['k', '0', HELLO, 'IDLETIME', 'x'], 'ERR value is not an integer or out of range'],
      [['k', '0', HELLO, 'IDLETIME'], 'ERR syntax error'],
      [['k', '0', HELLO, 'FREQ', '256'], 'ERR Invalid FREQ value, must be >= 0 and <= 255'],
      [['k', '0', HELLO, 'FREQ', '-1'], 'ERR Invalid FREQ value, must be >= 0 and <= 255'],
      [['k', '0', HELLO, 'IDLETIME', '5', 'FREQ', '5'], 'ERR syntax error'],
      [['k', '0', HELLO, 'extra'], 'ERR syntax error'],
    ];
    for (const [args, error] of cases) expect(c.call('RESTORE', ...args)).toEqual(new ErrorReply(error));
    expect(db.dict.size).toBe(0);
    expect(c.call('RESTORE', 'k', '0')).toEqual(new ErrorReply("ERR wrong number of arguments for 'restore' command"));
    expect(c.call('RESTORE', 'k', '0', HELLO, 'FREQ', '255', 'REPLACE')).toEqual(OK_REPLY);
  });

  it('accepts a payload stock Redis 7.0 produced (a listpack hash)', () => {
    const { c, db } = setup();
    const redisHash = '101c1c00000006008266310382763103816e027b01836e656704dffb02ff0a00fbeb87d8110f5c65';
    const payload = bytesToBinary(new Uint8Array(redisHash.match(/../g)!.map((x) => parseInt(x, 16))));
    expect(c.call('RESTORE', 'h', '0', payload)).toEqual(OK_REPLY);
    expect(plain(db.dict.get('h')!)).toEqual({ hash: [['f1', 'v1'], ['n', '123'], ['neg', '-5']] });
  });
});

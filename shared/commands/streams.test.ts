import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { ErrorReply, NullArray } from '../resp/reply.js';
import { Stream } from '../store/stream.js';

const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const NOW = 1_700_000_000_000;

function setup(config?: Record<string, string>) {
  const h = createHarness({ now: NOW, config });
  const c = h.client();
  h.core.dbs[0].dict.set('str', 'x');
  return { h, c };
}

/** The propagated commands after the initial SELECT. */
function ops(h: ReturnType<typeof setup>['h']): string[][] {
  return h.propagated.filter((op) => op[0] !== 'SELECT');
}

describe('XADD', () => {
  it('adds entries with explicit, ms-* and * IDs and replies the ID', () => {
    const { h, c } = setup();
    expect(c.call('XADD', 's', '5-1', 'a', '1')).toBe('5-1');
    expect(c.call('XADD', 's', '5-*', 'b', '2')).toBe('5-2');
    expect(c.call('XADD', 's', '6-*', 'b', '2')).toBe('6-0');
    expect(c.call('XADD', 's', '*', 'c', '3')).toBe(`${NOW}-0`);
    expect(c.call('XADD', 's', '*', 'c', '3')).toBe(`${NOW}-1`);
    h.clock.advance(5);
    expect(c.call('XADD', 's', '*', 'c', '3')).toBe(`${NOW + 5}-0`);
    expect(c.call('XLEN', 's')).toBe(6);
  });

  it('refuses IDs not above the top item, 0-0, and malformed IDs', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '5-1', 'a', '1');
    const small = new ErrorReply('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    expect(c.call('XADD', 's', '5-1', 'a', '1')).toEqual(small);
    expect(c.call('XADD', 's', '4', 'a', '1')).toEqual(small);
    expect(c.call('XADD', 'n', '0-0', 'a', '1')).toEqual(new ErrorReply('ERR The ID specified in XADD must be greater than 0-0'));
    expect(h.core.dbs[0].dict.has('n')).toBe(false);
    expect(c.call('XADD', 's', '1-x', 'a', '1')).toEqual(new ErrorReply('ERR Invalid stream ID specified as stream command argument'));
    expect(c.call('XADD', 's', '6-1', 'a')).toEqual(new ErrorReply("ERR wrong number of arguments for 'xadd' command"));
    expect(c.call('XADD', 'str', '6-1', 'a', 'b')).toEqual(WRONGTYPE);
  });

  it('NOMKSTREAM replies null and creates nothing', () => {
    const { h, c } = setup();
    expect(c.call('XADD', 's', 'NOMKSTREAM', '1-1', 'a', 'b')).toBe(null);
    expect(h.core.dbs[0].dict.has('s')).toBe(false);
    expect(ops(h)).toEqual([]);
  });

  it('a stream that used the last possible ID takes no more entries', () => {
    const { c } = setup();
    c.call('XADD', 's', '18446744073709551615-18446744073709551615', 'a', 'b');
    expect(c.call('XADD', 's', '*', 'a', 'b')).toEqual(
      new ErrorReply('ERR The stream has exhausted the last possible ID, unable to add more items'),
    );
  });

  it('propagates the generated ID in place of * and ms-*', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '*', 'a', '1');
    c.call('XADD', 's', `${NOW}-*`, 'a', '1');
    c.call('XADD', 's', '9999999999999-3', 'a', '1');
    expect(ops(h)).toEqual([
      ['XADD', 's', `${NOW}-0`, 'a', '1'],
      ['XADD', 's', `${NOW}-1`, 'a', '1'],
      ['XADD', 's', '9999999999999-3', 'a', '1'],
    ]);
  });

  it('MAXLEN ~ removes whole nodes only and propagates as MAXLEN = <resulting length>', () => {
    const { h, c } = setup();
    for (let i = 1; i <= 250; i++) c.call('XADD', 's', `${i}-0`, 'f', 'v');
    expect(c.call('XADD', 's', 'MAXLEN', '~', '120', '251-0', 'f', 'v')).toBe('251-0');
    // Nodes of 100 entries: only the first can go without leaving fewer than 120.
    expect(c.call('XLEN', 's')).toBe(151);
    expect(ops(h).at(-1)).toEqual(['XADD', 's', 'MAXLEN', '=', '151', '251-0', 'f', 'v']);
  });

  it('MINID ~ propagates as MINID = <first ID, tombstones included>', () => {
    const { h, c } = setup();
    for (let i = 1; i <= 250; i++) c.call('XADD', 's', `${i}-0`, 'f', 'v');
    c.call('XDEL', 's', '101-0');
    expect(c.call('XTRIM', 's', 'MINID', '~', '150')).toBe(100);
    // The second node starts at 101-0, deleted but still its first ID.
    expect(ops(h).at(-1)).toEqual(['XTRIM', 's', 'MINID', '=', '101-0']);
    expect(c.call('XRANGE', 's', '-', '+', 'COUNT', '1')).toEqual([['102-0', ['f', 'v']]]);
  });

  it('exact trims propagate as sent; LIMIT is refused without ~ but accepted from the master', () => {
    const { h, c } = setup();
    for (let i = 1; i <= 10; i++) c.call('XADD', 's', `${i}-0`, 'f', 'v');
    expect(c.call('XADD', 's', 'MAXLEN', '5', '11-0', 'f', 'v')).toBe('11-0');
    expect(c.call('XLEN', 's')).toBe(5);
    expect(ops(h).at(-1)).toEqual(['XADD', 's', 'MAXLEN', '5', '11-0', 'f', 'v']);
    expect(c.call('XTRIM', 's', 'MAXLEN', '2', 'LIMIT', '1')).toEqual(
      new ErrorReply('ERR syntax error, LIMIT cannot be used without the special ~ option'),
    );
    c.client.isMaster = true;
    c.send('XTRIM', 's', 'MAXLEN', '=', '2', 'LIMIT', '1');
    c.client.isMaster = false;
    expect(c.next()).toBe(3);
    expect(c.call('XLEN', 's')).toBe(2);
  });

  it('emits xadd, then xtrim when it trimmed', () => {
    const { h, c } = setup();
    const events: string[] = [];
    c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const sub = h.client();
    sub.call('PSUBSCRIBE', '__keyevent@0__:*');
    c.call('XADD', 's', '1-0', 'a', 'b');
    c.call('XADD', 's', 'MAXLEN', '1', '2-0', 'a', 'b');
    for (let r = sub.next(); r !== undefined; r = sub.next()) events.push(String((r as string[])[2]));
    expect(events).toEqual(['__keyevent@0__:xadd', '__keyevent@0__:xadd', '__keyevent@0__:xtrim']);
  });
});

describe('XRANGE / XREVRANGE / XLEN', () => {
  it('ranges with incomplete and exclusive IDs, COUNT, and the null reply for COUNT 0', () => {
    const { c } = setup();
    for (const id of ['1-0', '1-5', '2-0', '3-1']) c.call('XADD', 's', id, 'f', id);
    expect(c.call('XRANGE', 's', '1', '1')).toEqual([
      ['1-0', ['f', '1-0']],
      ['1-5', ['f', '1-5']],
    ]);
    expect(c.call('XRANGE', 's', '(1-0', '(3-1')).toEqual([
      ['1-5', ['f', '1-5']],
      ['2-0', ['f', '2-0']],
    ]);
    expect(c.call('XREVRANGE', 's', '+', '-', 'COUNT', '2')).toEqual([
      ['3-1', ['f', '3-1']],
      ['2-0', ['f', '2-0']],
    ]);
    expect(c.call('XRANGE', 's', '-', '+', 'COUNT', '0')).toBeInstanceOf(NullArray);
    expect(c.call('XRANGE', 'missing', '-', '+')).toEqual([]);
    expect(c.call('XRANGE', 's', '(-', '+')).toEqual(new ErrorReply('ERR Invalid stream ID specified as stream command argument'));
    expect(c.call('XRANGE', 's', '(18446744073709551615-18446744073709551615', '+')).toEqual(
      new ErrorReply('ERR invalid start ID for the interval'),
    );
    expect(c.call('XRANGE', 's', '-', '(0-0')).toEqual(new ErrorReply('ERR invalid end ID for the interval'));
    expect(c.call('XRANGE', 'str', '-', '+')).toEqual(WRONGTYPE);
    expect(c.call('XLEN', 'str')).toEqual(WRONGTYPE);
  });

  it('an expired stream is gone for reads and writes', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '1-0', 'a', 'b');
    c.call('PEXPIRE', 's', '10');
    h.clock.advance(20);
    expect(c.call('XLEN', 's')).toBe(0);
    expect(c.call('XADD', 's', '1-0', 'a', 'b')).toBe('1-0');
  });
});

describe('XDEL / XTRIM / XSETID', () => {
  it('XDEL counts deleted entries, records the largest deleted ID and keeps the empty stream', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '1-0', 'a', 'b');
    c.call('XADD', 's', '2-0', 'a', 'b');
    expect(c.call('XDEL', 's', '2-0', '1-0', '7-0')).toBe(2);
    expect(c.call('XDEL', 's', '2-0')).toBe(0);
    expect(c.call('EXISTS', 's')).toBe(1);
    const s = h.core.dbs[0].dict.get('s') as Stream;
    expect(s.maxDeletedId).toBe((2n << 64n) | 0n);
    expect(c.call('XDEL', 's', 'bad')).toEqual(new ErrorReply('ERR Invalid stream ID specified as stream command argument'));
    expect(ops(h).at(-1)).toEqual(['XDEL', 's', '2-0', '1-0', '7-0']);
  });

  it('XTRIM errors name Redis texts', () => {
    const { c } = setup();
    c.call('XADD', 's', '1-0', 'a', 'b');
    expect(c.call('XTRIM', 's', 'LIMIT', '1')).toEqual(
      new ErrorReply('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy'),
    );
    expect(c.call('XTRIM', 's', 'MAXLEN', '1', 'MINID', '0')).toEqual(
      new ErrorReply('ERR syntax error, MAXLEN and MINID options at the same time are not compatible'),
    );
    expect(c.call('XTRIM', 's', 'MAXLEN', '-1')).toEqual(new ErrorReply('ERR The MAXLEN argument must be >= 0.'));
    expect(c.call('XTRIM', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1')).toEqual(new ErrorReply('ERR The LIMIT argument must be >= 0.'));
    expect(c.call('XTRIM', 'missing', 'MAXLEN', '0')).toBe(0);
  });

  it('XSETID sets the last ID and counters, checks them, and propagates as sent', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '5-0', 'a', 'b');
    expect(c.call('XSETID', 's', '4-0')).toEqual(new ErrorReply('ERR The ID specified in XSETID is smaller than the target stream top item'));
    expect(c.call('XSETID', 's', '9-0', 'ENTRIESADDED', '0')).toEqual(
      new ErrorReply('ERR The entries_added specified in XSETID is smaller than the target stream length'),
    );
    expect(c.call('XSETID', 'missing', '9-0')).toEqual(new ErrorReply('ERR no such key'));
    expect(c.call('XSETID', 's', '9-0', 'ENTRIESADDED', '7', 'MAXDELETEDID', '3-0')).toEqual(OK_REPLY);
    const s = h.core.dbs[0].dict.get('s') as Stream;
    expect([s.lastId, s.entriesAdded, s.maxDeletedId]).toEqual([9n << 64n, 7, 3n << 64n]);
    expect(c.call('XADD', 's', '9-0', 'a', 'b')).toEqual(
      new ErrorReply('ERR The ID specified in XADD is equal or smaller than the target stream top item'),
    );
    expect(ops(h).at(-1)).toEqual(['XSETID', 's', '9-0', 'ENTRIESADDED', '7', 'MAXDELETEDID', '3-0']);
  });

  it('XSETID does not invalidate a WATCH, as Redis reports no key change for it', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '5-0', 'a', 'b');
    c.call('WATCH', 's');
    h.client().call('XSETID', 's', '9-0');
    c.call('MULTI');
    c.call('XLEN', 's');
    expect(c.call('EXEC')).toEqual([1]);
  });
});

describe('XREAD', () => {
  it('serves the entries after each ID, in RESP3 as a map', () => {
    const { c } = setup();
    c.call('XADD', 'a', '1-0', 'f', '1');
    c.call('XADD', 'b', '2-0', 'f', '2');
    expect(c.call('XREAD', 'STREAMS', 'a', 'b', '0', '0')).toEqual([
      ['a', [['1-0', ['f', '1']]]],
      ['b', [['2-0', ['f', '2']]]],
    ]);
    expect(c.call('XREAD', 'STREAMS', 'a', 'b', '$', '$')).toBeInstanceOf(NullArray);
    c.call('HELLO', '3');
    const r = c.call('XREAD', 'STREAMS', 'a', '0');
    expect(r).toMatchObject({ entries: [['a', [['1-0', ['f', '1']]]]] });
  });

  it('BLOCK with $ waits for entries added after it blocked, and only those', () => {
    const { h, c } = setup();
    const other = h.client();
    other.call('XADD', 's', '1-0', 'f', 'old');
    c.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    expect(c.next()).toBeUndefined();
    other.call('XDEL', 's', '1-0');
    expect(c.next()).toBeUndefined();
    other.call('XADD', 's', '2-0', 'f', 'new');
    expect(c.next()).toEqual([['s', [['2-0', ['f', 'new']]]]]);
  });

  it('BLOCK times out with a null array, and answers null at once inside MULTI', () => {
    const { h, c } = setup();
    c.send('XREAD', 'BLOCK', '100', 'STREAMS', 's', '$');
    expect(c.next()).toBeUndefined();
    h.clock.advance(150);
    h.core.timeoutBlocked();
    expect(c.next()).toBeInstanceOf(NullArray);
    c.call('MULTI');
    c.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    expect(c.call('EXEC')).toEqual([expect.any(NullArray)]);
  });

  it('a blocked read is served the stream that got entries, at most COUNT of them', () => {
    const { h, c } = setup();
    const other = h.client();
    c.send('XREAD', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 'a', 'b', '$', '$');
    other.call('MULTI');
    other.call('XADD', 'b', '1-0', 'f', '1');
    other.call('XADD', 'b', '2-0', 'f', '2');
    other.call('XADD', 'b', '3-0', 'f', '3');
    other.call('EXEC');
    expect(c.next()).toEqual([
      [
        'b',
        [
          ['1-0', ['f', '1']],
          ['2-0', ['f', '2']],
        ],
      ],
    ]);
  });

  it('a blocked read without COUNT is served at most 1000 entries', () => {
    const { h, c } = setup();
    const other = h.client();
    c.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '0');
    other.call('MULTI');
    for (let i = 1; i <= 1001; i++) other.call('XADD', 's', `${i}-0`, 'f', 'v');
    other.call('EXEC');
    const r = c.next() as [string, unknown[]][];
    expect(r[0][1]).toHaveLength(1000);
  });

  it('reports WRONGTYPE and syntax errors with Redis texts', () => {
    const { c } = setup();
    expect(c.call('XREAD', 'STREAMS', 'str', '0')).toEqual(WRONGTYPE);
    expect(c.call('XREAD', 'STREAMS', 'a', 'b', '0')).toEqual(
      new ErrorReply("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    );
    expect(c.call('XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0')).toEqual(new ErrorReply('ERR timeout is negative'));
    expect(c.call('XREAD', 'STREAMS', 'a', '>')).toEqual(
      new ErrorReply('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.'),
    );
  });

  it('COMMAND GETKEYS finds the keys after STREAMS', () => {
    const { c } = setup();
    expect(c.call('COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0')).toEqual(['a', 'b']);
    expect(c.call('COMMAND', 'GETKEYS', 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'k', '>')).toEqual(['k']);
  });
});

describe('streams as values', () => {
  it('COPY makes an independent deep copy with its groups', () => {
    const { h, c } = setup();
    c.call('XADD', 's', '1-0', 'a', 'b');
    c.call('XGROUP', 'CREATE', 's', 'g', '0');
    c.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    expect(c.call('COPY', 's', 'd')).toBe(1);
    c.call('XACK', 'd', 'g', '1-0');
    c.call('XADD', 'd', '2-0', 'a', 'b');
    expect(c.call('XLEN', 's')).toBe(1);
    expect((c.call('XPENDING', 's', 'g') as unknown[])[0]).toBe(1);
    expect((c.call('XPENDING', 'd', 'g') as unknown[])[0]).toBe(0);
    expect(h.core.dbs[0].dict.get('d')).toBeInstanceOf(Stream);
  });

  it('TYPE and OBJECT ENCODING report stream', () => {
    const { c } = setup();
    c.call('XADD', 's', '1-0', 'a', 'b');
    expect(c.call('TYPE', 's')).toEqual({ value: 'stream' });
    expect(c.call('OBJECT', 'ENCODING', 's')).toBe('stream');
  });
});

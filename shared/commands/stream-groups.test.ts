import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { ErrorReply, MapReply, NullArray } from '../resp/reply.js';

const NOW = 1_700_000_000_000;

function setup() {
  const h = createHarness({ now: NOW });
  const c = h.client();
  return { h, c };
}

/** The propagated commands after the initial SELECT. */
function ops(h: ReturnType<typeof setup>['h']): string[][] {
  return h.propagated.filter((op) => op[0] !== 'SELECT');
}

/** A stream 's' with entries 1-0 .. n-0 and a group 'g' at 0. */
function withGroup(n = 3) {
  const env = setup();
  for (let i = 1; i <= n; i++) env.c.call('XADD', 's', `${i}-0`, 'f', String(i));
  env.c.call('XGROUP', 'CREATE', 's', 'g', '0', 'MKSTREAM');
  env.h.propagated.length = 0;
  return env;
}

function claimOp(id: string, consumer: string, time: number, count: number, lastId: string): string[] {
  return ['XCLAIM', 's', 'g', consumer, '0', id, 'TIME', String(time), 'RETRYCOUNT', String(count), 'FORCE', 'JUSTID', 'LASTID', lastId];
}

describe('XGROUP', () => {
  it('CREATE with $, MKSTREAM and ENTRIESREAD; BUSYGROUP; propagated as sent', () => {
    const { h, c } = setup();
    expect(c.call('XGROUP', 'CREATE', 's', 'g', '$')).toEqual(
      new ErrorReply(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      ),
    );
    expect(c.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '3')).toEqual(OK_REPLY);
    expect(c.call('XGROUP', 'CREATE', 's', 'g', '$')).toEqual(new ErrorReply('BUSYGROUP Consumer Group name already exists'));
    expect(c.call('XGROUP', 'CREATE', 's', 'h', '0', 'ENTRIESREAD', '-5')).toEqual(
      new ErrorReply('ERR value for ENTRIESREAD must be positive or -1'),
    );
    expect(c.call('XLEN', 's')).toBe(0);
    expect(ops(h)).toEqual([['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '3']]);
  });

  it('SETID, CREATECONSUMER, DELCONSUMER and DESTROY reply and propagate as Redis', () => {
    const { h, c } = withGroup();
    expect(c.call('XGROUP', 'SETID', 's', 'g', '2-0', 'ENTRIESREAD', '2')).toEqual(OK_REPLY);
    expect(c.call('XGROUP', 'SETID', 's', 'nog', '2-0')).toEqual(new ErrorReply("NOGROUP No such consumer group 'nog' for key name 's'"));
    expect(c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice')).toBe(1);
    expect(c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice')).toBe(0);
    c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>');
    h.propagated.length = 0;
    expect(c.call('XGROUP', 'DELCONSUMER', 's', 'g', 'bob')).toBe(1);
    expect(c.call('XPENDING', 's', 'g')).toEqual([0, null, null, expect.any(NullArray)]);
    expect(c.call('XGROUP', 'DESTROY', 's', 'g')).toBe(1);
    expect(c.call('XGROUP', 'DESTROY', 's', 'g')).toBe(0);
    expect(ops(h)).toEqual([
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'bob'],
      ['XGROUP', 'DESTROY', 's', 'g'],
    ]);
  });

  it('CREATECONSUMER propagates only when it created the consumer', () => {
    const { h, c } = withGroup();
    c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice');
    c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice');
    c.call('XGROUP', 'SETID', 's', 'g', '$');
    expect(ops(h)).toEqual([
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'alice'],
      ['XGROUP', 'SETID', 's', 'g', '$'],
    ]);
  });

  it('HELP and unknown subcommands', () => {
    const { c } = setup();
    const help = c.call('XGROUP', 'HELP') as Array<{ value: string }>;
    expect(help[0].value).toBe('XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(c.call('XGROUP', 'FOO')).toEqual(new ErrorReply("ERR unknown subcommand 'FOO'. Try XGROUP HELP."));
  });
});

describe('XREADGROUP', () => {
  it('delivers new entries, creates PEL entries, and propagates one XCLAIM each in a transaction', () => {
    const { h, c } = withGroup();
    expect(c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>')).toEqual([
      [
        's',
        [
          ['1-0', ['f', '1']],
          ['2-0', ['f', '2']],
        ],
      ],
    ]);
    // Each XCLAIM carries the group's last ID as it was when that entry was delivered.
    expect(ops(h)).toEqual([['MULTI'], claimOp('1-0', 'alice', NOW, 1, '1-0'), claimOp('2-0', 'alice', NOW, 1, '2-0'), ['EXEC']]);
    expect(c.call('XPENDING', 's', 'g')).toEqual([2, '1-0', '2-0', [['alice', '2']]]);
  });

  it('NOACK creates no PEL entries and propagates the consumer and the group position', () => {
    const { h, c } = withGroup();
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'NOACK', 'STREAMS', 's', '>');
    expect(ops(h)).toEqual([
      ['MULTI'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'alice'],
      ['XGROUP', 'SETID', 's', 'g', '3-0', 'ENTRIESREAD', '3'],
      ['EXEC'],
    ]);
    expect(c.call('XPENDING', 's', 'g')).toEqual([0, null, null, expect.any(NullArray)]);
  });

  it('history reads serve the consumer PEL, counting deliveries, with null for deleted entries', () => {
    const { h, c } = withGroup();
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    c.call('XDEL', 's', '2-0');
    h.propagated.length = 0;
    expect(c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0')).toEqual([
      ['s', [['1-0', ['f', '1']], ['2-0', expect.any(NullArray)], ['3-0', ['f', '3']]]],
    ]);
    expect(c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0')).toEqual([['s', []]]);
    // Bob was created by the read; nothing else changed that replicas need.
    expect(ops(h)).toEqual([]);
    expect((c.call('XPENDING', 's', 'g', '-', '+', '1') as unknown[][])[0][3]).toBe(2);
  });

  it('a blocked XREADGROUP is served by XADD and propagates the XCLAIM after the XADD', () => {
    const { h, c } = withGroup(0);
    const other = h.client();
    c.send('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    expect(c.next()).toBeUndefined();
    other.call('XADD', 's', '5-0', 'f', 'v');
    expect(c.next()).toEqual([['s', [['5-0', ['f', 'v']]]]]);
    expect(ops(h)).toEqual([['XADD', 's', '5-0', 'f', 'v'], claimOp('5-0', 'alice', NOW, 1, '5-0')]);
  });

  it('a blocked XREADGROUP fails when its group is destroyed or its key deleted', () => {
    const { h, c } = withGroup(0);
    const other = h.client();
    c.send('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    other.call('XGROUP', 'DESTROY', 's', 'g');
    expect(c.next()).toEqual(new ErrorReply('NOGROUP the consumer group this client was blocked on no longer exists'));
    other.call('XGROUP', 'CREATE', 's', 'g', '$');
    c.send('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    other.call('DEL', 's');
    expect(c.next()).toEqual(new ErrorReply('UNBLOCKED the stream key no longer exists'));
  });

  it('FLUSHALL and FLUSHDB wake a blocked XREADGROUP, which answers that the stream is gone; a blocked BLPOP waits on', () => {
    for (const flush of [['FLUSHALL'], ['FLUSHDB']]) {
      const { h, c } = withGroup(0);
      const other = h.client();
      const popper = h.client();
      popper.send('BLPOP', 'list', '0');
      c.send('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
      expect(c.next()).toBeUndefined();
      other.call(...flush);
      expect(c.next()).toEqual(new ErrorReply('UNBLOCKED the stream key no longer exists'));
      expect(popper.next()).toBeUndefined();
    }
  });

  it('errors: missing group, $ ID, missing GROUP', () => {
    const { c } = withGroup();
    expect(c.call('XREADGROUP', 'GROUP', 'nog', 'a', 'STREAMS', 's', '>')).toEqual(
      new ErrorReply("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
    );
    expect(c.call('XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 's', '$')).toEqual(
      new ErrorReply(
        'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
      ),
    );
    expect(c.call('XREADGROUP', 'COUNT', '1', 'NOACK', 'STREAMS', 's', '>')).toEqual(new ErrorReply('ERR Missing GROUP option for XREADGROUP'));
  });
});

describe('XACK / XPENDING', () => {
  it('XACK removes PEL entries and propagates as sent; idle times follow the clock', () => {
    const { h, c } = withGroup();
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    h.clock.advance(300);
    expect(c.call('XPENDING', 's', 'g', 'IDLE', '200', '-', '+', '10', 'alice')).toEqual([
      ['1-0', 'alice', 300, 1],
      ['2-0', 'alice', 300, 1],
      ['3-0', 'alice', 300, 1],
    ]);
    expect(c.call('XPENDING', 's', 'g', 'IDLE', '400', '-', '+', '10')).toEqual([]);
    h.propagated.length = 0;
    expect(c.call('XACK', 's', 'g', '1-0', '2-0', '9-0')).toBe(2);
    expect(c.call('XACK', 's', 'g', '1-0')).toBe(0);
    expect(ops(h)).toEqual([['XACK', 's', 'g', '1-0', '2-0', '9-0']]);
    expect(c.call('XPENDING', 's', 'g', '(1-0', '+', '1')).toEqual([['3-0', 'alice', 300, 1]]);
  });
});

describe('XCLAIM / XAUTOCLAIM', () => {
  it('XCLAIM moves entries, honours min-idle, IDLE, RETRYCOUNT and JUSTID, and propagates XCLAIMs', () => {
    const { h, c } = withGroup();
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    h.clock.advance(100);
    h.propagated.length = 0;
    expect(c.call('XCLAIM', 's', 'g', 'bob', '500', '1-0')).toEqual([]);
    expect(c.call('XCLAIM', 's', 'g', 'bob', '50', '1-0', 'IDLE', '20')).toEqual([['1-0', ['f', '1']]]);
    expect(c.call('XCLAIM', 's', 'g', 'bob', '0', '2-0', 'RETRYCOUNT', '9', 'JUSTID')).toEqual(['2-0']);
    expect(ops(h)).toEqual([claimOp('1-0', 'bob', NOW + 80, 2, '3-0'), claimOp('2-0', 'bob', NOW + 100, 9, '3-0')]);
    expect(c.call('XPENDING', 's', 'g', '-', '+', '10')).toEqual([
      ['1-0', 'bob', 20, 2],
      ['2-0', 'bob', 0, 9],
      ['3-0', 'alice', 100, 1],
    ]);
  });

  it('XCLAIM FORCE creates PEL entries for existing entries only; LASTID alone propagates XGROUP SETID', () => {
    const { h, c } = withGroup();
    expect(c.call('XCLAIM', 's', 'g', 'bob', '0', '2-0', '7-0', 'FORCE')).toEqual([['2-0', ['f', '2']]]);
    expect((c.call('XPENDING', 's', 'g', '-', '+', '10') as unknown[][])[0]).toEqual(['2-0', 'bob', 0, 2]);
    h.propagated.length = 0;
    expect(c.call('XCLAIM', 's', 'g', 'bob', '0', '9-0', 'LASTID', '5-0')).toEqual([]);
    expect(ops(h)).toEqual([['XGROUP', 'SETID', 's', 'g', '5-0', 'ENTRIESREAD', '-1']]);
  });

  it('XCLAIM of a deleted entry drops its PEL entry and propagates that', () => {
    const { h, c } = withGroup();
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    c.call('XDEL', 's', '2-0');
    h.propagated.length = 0;
    expect(c.call('XCLAIM', 's', 'g', 'bob', '0', '2-0')).toEqual([]);
    expect(ops(h)).toEqual([claimOp('2-0', 'alice', NOW, 1, '3-0')]);
    expect((c.call('XPENDING', 's', 'g') as unknown[])[0]).toBe(2);
  });

  it('XCLAIM errors use Redis texts', () => {
    const { c } = withGroup();
    expect(c.call('XCLAIM', 's', 'nog', 'b', '0', '1-0')).toEqual(new ErrorReply("NOGROUP No such key 's' or consumer group 'nog'"));
    expect(c.call('XCLAIM', 's', 'g', 'b', 'x', '1-0')).toEqual(new ErrorReply('ERR Invalid min-idle-time argument for XCLAIM'));
    expect(c.call('XCLAIM', 's', 'g', 'b', '0', '1-0', 'IDLE', 'x')).toEqual(new ErrorReply('ERR Invalid IDLE option argument for XCLAIM'));
    expect(c.call('XCLAIM', 's', 'g', 'b', '0', '1-0', 'WAT')).toEqual(new ErrorReply("ERR Unrecognized XCLAIM option 'WAT'"));
  });

  it('XAUTOCLAIM claims idle entries, returns a cursor and the deleted IDs, and propagates XCLAIMs', () => {
    const { h, c } = withGroup(4);
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    c.call('XDEL', 's', '1-0');
    h.clock.advance(10);
    h.propagated.length = 0;
    expect(c.call('XAUTOCLAIM', 's', 'g', 'bob', '5', '0', 'COUNT', '2')).toEqual(['3-0', [['2-0', ['f', '2']]], ['1-0']]);
    expect(ops(h)).toEqual([
      ['MULTI'],
      claimOp('1-0', 'alice', NOW, 1, '4-0'),
      claimOp('2-0', 'bob', NOW + 10, 2, '4-0'),
      ['EXEC'],
    ]);
    expect(c.call('XAUTOCLAIM', 's', 'g', 'bob', '0', '3-0', 'JUSTID')).toEqual(['0-0', ['3-0', '4-0'], []]);
    expect(c.call('XAUTOCLAIM', 's', 'g', 'bob', '0', '0', 'COUNT', '0')).toEqual(new ErrorReply('ERR COUNT must be > 0'));
  });
});

/** A RESP2 map reply (flat [key, value, ...]) as a Map. */
function asMap(flat: unknown): Map<string, unknown> {
  const a = flat as unknown[];
  const m = new Map<string, unknown>();
  for (let i = 0; i < a.length; i += 2) m.set(a[i] as string, a[i + 1]);
  return m;
}

describe('XINFO', () => {
  it('GROUPS reports lag and entries-read; CONSUMERS reports idle by the clock', () => {
    const { h, c } = withGroup(5);
    c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>');
    h.clock.advance(42);
    expect(c.call('XINFO', 'GROUPS', 's')).toEqual([
      ['name', 'g', 'consumers', 1, 'pending', 2, 'last-delivered-id', '2-0', 'entries-read', 2, 'lag', 3],
    ]);
    c.call('XDEL', 's', '4-0');
    expect(asMap((c.call('XINFO', 'GROUPS', 's') as unknown[])[0]).get('lag')).toBe(null);
    expect(c.call('XINFO', 'CONSUMERS', 's', 'g')).toEqual([['name', 'alice', 'pending', 2, 'idle', 42]]);
    c.call('HELLO', '3');
    expect(c.call('XINFO', 'CONSUMERS', 's', 'g')).toEqual([
      new MapReply([
        ['name', 'alice'],
        ['pending', 2],
        ['idle', 42],
      ]),
    ]);
  });

  it('STREAM FULL lists entries, groups in name order, PELs and consumers', () => {
    const { c } = withGroup(2);
    c.call('XGROUP', 'CREATE', 's', 'a', '$');
    c.call('XREADGROUP', 'GROUP', 'g', 'zoe', 'COUNT', '1', 'STREAMS', 's', '>');
    const map = asMap(c.call('XINFO', 'STREAM', 's', 'FULL'));
    expect(map.get('length')).toBe(2);
    expect(map.get('radix-tree-keys')).toBe(1);
    expect(map.get('radix-tree-nodes')).toBe(2);
    expect(map.get('entries')).toEqual([
      ['1-0', ['f', '1']],
      ['2-0', ['f', '2']],
    ]);
    const groups = (map.get('groups') as unknown[]).map(asMap);
    expect(groups.map((g) => g.get('name'))).toEqual(['a', 'g']);
    expect(groups[1].get('pel-count')).toBe(1);
    expect(groups[1].get('pending')).toEqual([['1-0', 'zoe', NOW, 1]]);
    expect(groups[1].get('consumers')).toEqual([['name', 'zoe', 'seen-time', NOW, 'pel-count', 1, 'pending', [['1-0', NOW, 1]]]]);
  });

  it('STREAM without FULL shows the first and last entries; missing keys and bad options are errors', () => {
    const { c } = withGroup(3);
    const info = asMap(c.call('XINFO', 'STREAM', 's'));
    expect(info.get('first-entry')).toEqual(['1-0', ['f', '1']]);
    expect(info.get('last-entry')).toEqual(['3-0', ['f', '3']]);
    expect(info.get('groups')).toBe(1);
    expect(c.call('XINFO', 'STREAM', 'nokey')).toEqual(new ErrorReply('ERR no such key'));
    expect(c.call('XINFO', 'STREAM', 's', 'FULL', 'LIMIT', '1')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    );
  });
});

describe('replaying the propagated stream', () => {
  it('a replica applying what a master propagated ends with the same streams, groups and PELs', () => {
    const master = createHarness({ now: NOW });
    const m = master.client();
    for (let i = 1; i <= 260; i++) m.call('XADD', 's', `${i}-0`, 'f', String(i));
    m.call('XADD', 's', 'MAXLEN', '~', '150', '*', 'f', 'x');
    m.call('XGROUP', 'CREATE', 's', 'g', '0');
    m.call('XGROUP', 'CREATE', 's', 'n', '$');
    m.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 's', '>');
    m.call('XREADGROUP', 'GROUP', 'g', 'bob', 'NOACK', 'COUNT', '3', 'STREAMS', 's', '>');
    master.clock.advance(100);
    m.call('XCLAIM', 's', 'g', 'carol', '50', '161-0', '162-0', 'LASTID', '200-0');
    m.call('XDEL', 's', '163-0');
    m.call('XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '2');
    m.call('XACK', 's', 'g', '164-0');
    m.call('XTRIM', 's', 'MINID', '~', '230');
    m.call('XGROUP', 'CREATECONSUMER', 's', 'n', 'erin');
    m.call('XSETID', 's', '99999999999999-0', 'ENTRIESADDED', '500');

    const replica = createHarness({ now: NOW + 5000 });
    const r = replica.client();
    r.client.isMaster = true;
    for (const op of master.propagated) {
      if (op[0] === 'MULTI' || op[0] === 'EXEC') continue;
      r.send(...op);
      r.next();
    }
    r.client.isMaster = false;
    // Consumers' seen-times are the replica's own clock, in Redis too; everything else must match.
    const full = (c: typeof m) => JSON.stringify(c.call('XINFO', 'STREAM', 's', 'FULL', 'COUNT', '0')).replace(/"seen-time",\d+/g, '');
    expect(full(r)).toEqual(full(m));
  });
});

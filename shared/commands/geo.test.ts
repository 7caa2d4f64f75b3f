import { describe, expect, it } from 'vitest';
import { commandKeys } from '../engine/command-spec.js';
import { DoubleReply, ErrorReply, NULL_ARRAY } from '../resp/reply.js';
import { createHarness } from '../../test/helpers/core-harness.js';
import { formatDistance, formatFixed, formatHumanDouble, formatPrintfF, geoCommands } from './geo.js';

function setup() {
  const h = createHarness();
  const c = h.client();
  /** What was propagated, without the SELECT framing. */
  const ops = () => h.propagated.filter((op) => op[0] !== 'SELECT');
  return { h, c, ops };
}

const SYNTAX = new ErrorReply('ERR syntax error');
const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const SICILY = ['13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'];

describe('number formats', () => {
  it('formats %f and %.17Lf exactly, rounding half to even', () => {
    expect(formatPrintfF(200)).toBe('200.000000');
    expect(formatPrintfF(-0)).toBe('-0.000000');
    expect(formatPrintfF(1e300).length).toBe(308);
    expect(formatPrintfF(Infinity)).toBe('inf');
    expect(formatFixed(0.5, 0)).toBe('0');
    expect(formatFixed(1.5, 0)).toBe('2');
    expect(formatFixed(2 ** -18, 17)).toBe('0.00000381469726562');
    expect(formatHumanDouble(13.361389338970184)).toBe('13.36138933897018433');
    expect(formatHumanDouble(-1e-20)).toBe('0');
    expect(formatHumanDouble(180)).toBe('180');
  });

  it('formats distances as fixedpoint_d2string(d, 4)', () => {
    expect(formatDistance(0)).toBe('0.0000');
    expect(formatDistance(166274.15156960033)).toBe('166274.1516');
    expect(formatDistance(0.00005)).toBe('0.0000');
    // 0.00015 * 10000 is 1.4999999999999998 in doubles: llrint gives 1, as in Redis.
    expect(formatDistance(0.00015)).toBe('0.0001');
    expect(formatDistance(12.3)).toBe('12.3000');
  });
});

describe('GEOADD', () => {
  it('adds, replies like ZADD and propagates the ZADD it ran', () => {
    const { c, ops } = setup();
    expect(c.call('GEOADD', 'Sicily', ...SICILY)).toBe(2);
    expect(c.call('ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES')).toEqual(['Palermo', '3479099956230698', 'Catania', '3479447370796909']);
    expect(c.call('GEOADD', 'Sicily', 'Ch', 'xx', '13.361389', '38.115556', 'Palermo', '1', '1', 'Catania')).toBe(1);
    expect(ops()).toEqual([
      ['zadd', 'Sicily', '3479099956230698', 'Palermo', '3479447370796909', 'Catania'],
      ['zadd', 'Sicily', 'Ch', 'xx', '3479099956230698', 'Palermo', '3377822707026402', 'Catania'],
    ]);
  });

  it('propagates nothing when nothing changed', () => {
    const { c, ops } = setup();
    expect(c.call('GEOADD', 'g', 'XX', '1', '1', 'a')).toBe(0);
    c.call('GEOADD', 'g', '1', '1', 'a');
    expect(c.call('GEOADD', 'g', 'NX', '2', '2', 'a')).toBe(0);
    expect(ops()).toEqual([['zadd', 'g', '3377822707026402', 'a']]);
  });

  it('rejects bad option combinations, counts and coordinates, changing nothing', () => {
    const { c, ops } = setup();
    expect(c.call('GEOADD', 'g', 'NX', 'XX', '1', '1', 'a')).toEqual(SYNTAX);
    expect(c.call('GEOADD', 'g', '1', '1', 'a', '2')).toEqual(SYNTAX);
    expect(c.call('GEOADD', 'g', 'ch', 'ch', 'ch')).toEqual(SYNTAX);
    expect(c.call('GEOADD', 'g', '1', '1', 'a', '181', '0', 'b')).toEqual(new ErrorReply('ERR invalid longitude,latitude pair 181.000000,0.000000'));
    expect(c.call('GEOADD', 'g', '0', '-85.06', 'b')).toEqual(new ErrorReply('ERR invalid longitude,latitude pair 0.000000,-85.060000'));
    expect(c.call('GEOADD', 'g', 'x', '1', 'b')).toEqual(new ErrorReply('ERR value is not a valid float'));
    expect(c.call('GEOADD', 'g', '1', 'nan', 'b')).toEqual(new ErrorReply('ERR value is not a valid float'));
    expect(ops()).toEqual([]);
    expect(c.call('EXISTS', 'g')).toBe(0);
  });

  it('is WRONGTYPE on other types', () => {
    const { c } = setup();
    c.call('SET', 's', 'v');
    expect(c.call('GEOADD', 's', '1', '1', 'a')).toEqual(WRONGTYPE);
    expect(c.call('GEOPOS', 's', 'a')).toEqual(WRONGTYPE);
    expect(c.call('GEOSEARCH', 's', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km')).toEqual(WRONGTYPE);
  });
});

describe('GEOPOS, GEOHASH, GEODIST', () => {
  it('answers positions, hashes and distances, nil for missing members', () => {
    const { c } = setup();
    c.call('GEOADD', 'Sicily', ...SICILY);
    expect(c.call('GEOPOS', 'Sicily', 'Palermo', 'nope')).toEqual([['13.36138933897018433', '38.11555639549629859'], NULL_ARRAY]);
    expect(c.call('GEOPOS', 'missing', 'a')).toEqual([NULL_ARRAY]);
    expect(c.call('GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope')).toEqual(['sqc8b49rny0', 'sqdtr74hyu0', null]);
    expect(c.call('GEODIST', 'Sicily', 'Palermo', 'Catania')).toBe('166274.1516');
    expect(c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'KM')).toBe('166.2742');
    expect(c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'mi')).toBe('103.3182');
    expect(c.call('GEODIST', 'Sicily', 'Palermo', 'nope')).toBeNull();
    expect(c.call('GEODIST', 'missing', 'a', 'b')).toBeNull();
  });

  it('checks the GEODIST unit before the key', () => {
    const { c } = setup();
    expect(c.call('GEODIST', 'missing', 'a', 'b', 'yd')).toEqual(new ErrorReply('ERR unsupported unit provided. please use M, KM, FT, MI'));
    expect(c.call('GEODIST', 'missing', 'a', 'b', 'km', 'x')).toEqual(SYNTAX);
  });

  it('replies coordinates as RESP3 doubles in their human form', () => {
    const { c } = setup();
    c.call('HELLO', '3');
    c.call('GEOADD', 'Sicily', ...SICILY);
    // The parser reads RESP3 doubles as numbers: the text it got is the human form's value.
    expect(c.call('GEOPOS', 'Sicily', 'Palermo')).toEqual([[new DoubleReply(13.36138933897018433), new DoubleReply(38.11555639549629859)]]);
    expect(c.call('GEOPOS', 'Sicily', 'nope')).toEqual([null]);
  });
});

describe('GEORADIUS and GEOSEARCH', () => {
  function loaded() {
    const s = setup();
    s.c.call('GEOADD', 'Sicily', ...SICILY);
    s.c.call('GEOADD', 'Sicily', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2');
    return s;
  }

  it('finds members within the radius, with distances, hashes and coordinates', () => {
    const { c } = loaded();
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC')).toEqual([
      ['Catania', '56.4413'],
      ['Palermo', '190.4424'],
    ]);
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'COUNT', '1')).toEqual([['Catania', 3479447370796909]]);
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD', 'DESC', 'COUNT', '1')).toEqual([
      ['Palermo', ['13.36138933897018433', '38.11555639549629859']],
    ]);
    expect(c.call('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'ASC')).toEqual(['Palermo', 'edge1', 'Catania']);
    expect(c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHDIST')).toEqual([
      ['Catania', '56.4413'],
      ['Palermo', '190.4424'],
      ['edge2', '279.7403'],
      ['edge1', '279.7405'],
    ]);
    expect(c.call('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'm')).toEqual(['Palermo']);
  });

  it('stops at COUNT n ANY without sorting', () => {
    const { c } = loaded();
    const r = c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '500', 'km', 'COUNT', '2', 'ANY') as string[];
    expect(r.length).toBe(2);
  });

  it('gives Redis errors for bad arguments and combinations', () => {
    const { c } = loaded();
    const err = (m: string) => new ErrorReply(m);
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '-1', 'km')).toEqual(err('ERR radius cannot be negative'));
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', 'x', 'km')).toEqual(err('ERR need numeric radius'));
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'au')).toEqual(err('ERR unsupported unit provided. please use M, KM, FT, MI'));
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', '0')).toEqual(err('ERR COUNT must be > 0'));
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'ANY')).toEqual(err('ERR the ANY argument requires COUNT argument'));
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd', 'WITHDIST')).toEqual(
      err('ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options'),
    );
    expect(c.call('GEORADIUS_RO', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd')).toEqual(SYNTAX);
    expect(c.call('GEORADIUSBYMEMBER', 'Sicily', 'nope', '1', 'km')).toEqual(err('ERR could not decode requested zset member'));
    expect(c.call('GEOSEARCH', 'Sicily', 'BYRADIUS', '1', 'km', 'ASC', 'WITHDIST')).toEqual(err('ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH'));
    expect(c.call('geosearch', 'Sicily', 'FROMLONLAT', '1', '1', 'ASC', 'WITHDIST')).toEqual(err('ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch'));
    expect(c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km')).toEqual(SYNTAX);
    expect(c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', '1', '-1', 'km')).toEqual(err('ERR height or width cannot be negative'));
    expect(c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', 'w', '1', 'km')).toEqual(err('ERR need numeric width'));
    expect(c.call('GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', '1', '1', 'km', 'WITHHASH')).toEqual(
      err('ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options'),
    );
  });

  it('on a missing source replies empty, after parsing the options, without looking at the member', () => {
    const { c } = setup();
    expect(c.call('GEORADIUSBYMEMBER', 'nokey', 'x', 'abc', 'parsec')).toEqual([]);
    expect(c.call('GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km')).toEqual([]);
    expect(c.call('GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km', 'ANY')).toEqual(
      new ErrorReply('ERR the ANY argument requires COUNT argument'),
    );
  });
});

describe('STORE, STOREDIST, GEOSEARCHSTORE', () => {
  it('stores hashes or distances, notifies and propagates the command as sent', () => {
    const { c, ops } = setup();
    c.call('GEOADD', 'Sicily', ...SICILY);
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd')).toBe(2);
    expect(c.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES')).toEqual(['Palermo', '3479099956230698', 'Catania', '3479447370796909']);
    expect(c.call('GEOSEARCHSTORE', 'e', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST', 'COUNT', '1')).toBe(1);
    expect(c.call('ZRANGE', 'e', '0', '-1', 'WITHSCORES')).toEqual(['Catania', '56.441257870158204']);
    expect(ops().slice(1)).toEqual([
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd'],
      ['GEOSEARCHSTORE', 'e', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST', 'COUNT', '1'],
    ]);
  });

  it('deletes the destination when nothing matched, and propagates only when it existed', () => {
    const { c, ops } = setup();
    c.call('GEOADD', 'Sicily', ...SICILY);
    expect(c.call('GEORADIUS', 'Sicily', '0', '0', '1', 'km', 'STORE', 'd')).toBe(0);
    c.call('SET', 'd', 'x');
    expect(c.call('GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km')).toBe(0);
    expect(c.call('EXISTS', 'd')).toBe(0);
    c.call('SET', 'd', 'x');
    expect(c.call('GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'STOREDIST', 'd')).toBe(0);
    expect(ops().map((o) => o[0])).toEqual(['zadd', 'SET', 'GEOSEARCHSTORE', 'SET', 'GEORADIUSBYMEMBER']);
  });

  it('replaces a destination of any type and drops its TTL', () => {
    const { c } = setup();
    c.call('GEOADD', 'Sicily', ...SICILY);
    c.call('SET', 'd', 'x', 'EX', '100');
    expect(c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'd')).toBe(2);
    expect(c.call('TYPE', 'd')).toEqual(expect.objectContaining({ value: 'zset' }));
    expect(c.call('TTL', 'd')).toBe(-1);
  });
});

describe('command table', () => {
  it('finds GEORADIUS keys as Redis key specs do', () => {
    const spec = (name: string) => geoCommands.find((c) => c.name === name)!;
    expect(commandKeys(spec('georadius'), ['GEORADIUS', 'k', '1', '2', '3', 'km', 'STORE', 'a', 'STOREDIST', 'b', 'STORE', 'c'])).toEqual([1, 7, 9]);
    expect(commandKeys(spec('georadius'), ['GEORADIUS', 'k', '1', '2', '3', 'km', 'COUNT', '5', 'STORE'])).toEqual([1]);
    expect(commandKeys(spec('georadiusbymember'), ['GEORADIUSBYMEMBER', 'k', 'm', '3', 'km', 'storedist', 'd'])).toEqual([1, 6]);
    expect(commandKeys(spec('geosearchstore'), ['GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'])).toEqual([1, 2]);
  });
});

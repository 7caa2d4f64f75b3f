import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot } from './key-slot.js';

/** `CLUSTER KEYSLOT <key>` answers of redis-server 7.0.15, keys as binary strings. */
const REDIS_KEYSLOTS: Array<[string, number]> = [
  ['', 0],
  ['a', 15495],
  ['foo', 12182],
  ['bar', 5061],
  ['123456789', 12739],
  ['hello', 866],
  ['user:1000', 1649],
  ['{user1000}.following', 3443],
  ['{user1000}.followers', 3443],
  ['foo{}{bar}', 8363],
  ['foo{{bar}}zap', 4015],
  ['foo{bar}{zap}', 5061],
  ['{}', 15257],
  ['{a', 10276],
  ['a}', 5921],
  ['{a}', 15495],
  ['a{b}c{d}', 3300],
  ['{{x}}', 11068],
  ['{x}}', 16287],
  ['}{x}', 16287],
  ['{}x}', 10489],
  ['x{}', 2608],
  ['{{}}', 4092],
  ['{', 4092],
  ['}', 12090],
  ['{}{x}', 3257],
  ['\x00', 0],
  ['\xff', 7920],
  ['\x00\x01\x02\xff', 4002],
  ['caf\xc3\xa9', 5735],
  ['{\xff\xfe}tail', 3374],
  ['key\x00with\x00nul', 7451],
  ['{\x00}', 0],
  ['abc{\x80}', 4488],
  ['somekey', 11058],
  ['Foo', 10576],
  ['FOO', 3028],
  ['x'.repeat(100), 2134],
  ['k'.repeat(1000), 15858],
];

describe('crc16', () => {
  it('is CRC16-XMODEM: the check value of "123456789" is 0x31c3', () => {
    expect(crc16('123456789')).toBe(0x31c3);
  });

  it('is 0 for the empty string and for NUL bytes (zero init, no final xor)', () => {
    expect(crc16('')).toBe(0);
    expect(crc16('\x00\x00\x00')).toBe(0);
  });

  it('stays within 16 bits for high bytes', () => {
    for (const s of ['\xff', '\xff\xff\xff\xff', '\x80\x00\xff']) {
      const v = crc16(s);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(0x10000);
    }
    // 'a' -> 0x7c87 (XMODEM reference value); a slot keeps its low 14 bits.
    expect(crc16('a')).toBe(0x7c87);
    expect(crc16('a') & 0x3fff).toBe(15495);
  });
});

describe('keyHashSlot', () => {
  it.each(REDIS_KEYSLOTS)('slot of %j matches redis-server 7.0.15 (%i)', (key, slot) => {
    expect(keyHashSlot(key)).toBe(slot);
  });

  it('hashes only the first non-empty {tag}: keys sharing a tag share a slot', () => {
    expect(keyHashSlot('{user1000}.following')).toBe(keyHashSlot('user1000'));
    expect(keyHashSlot('a{b}c{d}')).toBe(keyHashSlot('b'));
    expect(keyHashSlot('foo{bar}{zap}')).toBe(keyHashSlot('bar'));
    // '{{x}}': the tag starts after the first '{', so it is '{x'.
    expect(keyHashSlot('{{x}}')).toBe(keyHashSlot('{x'));
  });

  it('hashes the whole key when the first { has no } after it or the tag is empty', () => {
    expect(keyHashSlot('{a')).toBe(crc16('{a') & 0x3fff);
    expect(keyHashSlot('{}')).toBe(crc16('{}') & 0x3fff);
    // The empty tag at the first '{' wins even though a later {x} exists.
    expect(keyHashSlot('{}{x}')).toBe(crc16('{}{x}') & 0x3fff);
  });

  it('always returns a slot in 0..16383', () => {
    for (let i = 0; i < 2000; i++) {
      const slot = keyHashSlot(`key:${i}`);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(16384);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeIp } from './ip-address.js';

describe('normalizeIp (inet_pton then inet_ntop)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::0001', '::1'],
    ['::', '::'],
    ['1::', '1::'],
    ['FE80:0:0:0:0:0:0:1', 'fe80::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['::ffff:a00:1', '::ffff:10.0.0.1'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['2001:db8::8:800:200c:417a', '2001:db8::8:800:200c:417a'],
  ])('%s is stored as %s', (input, stored) => {
    expect(normalizeIp(input)).toBe(stored);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1:2', ':::', '12345::1', '1:2:3:4:5:6:7:8:9', '1::2::3', 'localhost', '::g'])(
    '%j is refused',
    (input) => {
      expect(normalizeIp(input)).toBeNull();
    },
  );
});

import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';

function lazyfreed(info: unknown): string | undefined {
  return /lazyfreed_objects:(\d+)/.exec(String(info))?.[1];
}

describe('lazyfreed_objects (INFO memory)', () => {
  it('counts an UNLINKed value costly to free (a big stream with a group), not a small one nor DEL', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CONFIG', 'SET', 'stream-node-max-entries', '5');
    for (let j = 0; j < 1000; j++) c.call('XADD', 'stream', '*', 'foo', String(j));
    c.call('XGROUP', 'CREATE', 'stream', 'mygroup', '0');
    c.call('XREADGROUP', 'GROUP', 'mygroup', 'Alice', 'COUNT', '2', 'STREAMS', 'stream', '>');
    for (let j = 0; j < 1000; j++) c.call('XADD', 'copy', '*', 'foo', String(j));
    c.call('DEL', 'copy');
    expect(lazyfreed(c.call('INFO', 'memory'))).toBe('0');
    expect(c.call('UNLINK', 'stream')).toBe(1);
    expect(lazyfreed(c.call('INFO', 'memory'))).toBe('1');

    c.call('CONFIG', 'RESETSTAT');
    c.call('XADD', 's', '*', 'a', 'b');
    c.call('XGROUP', 'CREATE', 's', 'bla', '$');
    c.call('XGROUP', 'DESTROY', 's', 'bla');
    c.call('UNLINK', 's');
    expect(lazyfreed(c.call('INFO', 'memory'))).toBe('0');
  });
});

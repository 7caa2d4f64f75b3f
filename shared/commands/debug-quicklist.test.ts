import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY, TestClient } from '../../test/helpers/core-harness.js';
import type { SimpleString } from '../resp/reply.js';

/** DEBUG OBJECT's line from serializedlength on, without the lru fields (they depend on the clock). */
function layout(c: TestClient, key: string): string {
  const line = (c.call('DEBUG', 'OBJECT', key) as SimpleString).value;
  return line.replace(/^.* (serializedlength:\d+) lru:\d+ lru_seconds_idle:\d+/, '$1');
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i + 1));

// Every expected line below is what redis-server 7.0.15 prints for the same commands.
describe('quicklist layout in DEBUG OBJECT', () => {
  it('cuts nodes by the list-max-listpack-size the list was created with', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'list-max-listpack-size', '2')).toEqual(OK_REPLY);
    c.call('RPUSH', 'a', '1', '2', '3', '4', '5', 'hello');
    const expected = 'serializedlength:45 ql_nodes:3 ql_avg_node:2.00 ql_listpack_max:2 ql_compressed:0 ql_uncompressed_size:38';
    expect(layout(c, 'a')).toBe(expected);
    // A quicklist keeps the fill it was created with.
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '-2');
    expect(layout(c, 'a')).toBe(expected);
  });

  it('clamps the fill to 32767 as quicklistSetFill does', () => {
    const c = createHarness().client();
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '99999');
    c.call('RPUSH', 'l', '1');
    expect(layout(c, 'l')).toBe('serializedlength:12 ql_nodes:1 ql_avg_node:1.00 ql_listpack_max:32767 ql_compressed:0 ql_uncompressed_size:9');
  });

  it('gives elements at or over the packed threshold a plain node of their own, as inserted', () => {
    const c = createHarness().client();
    expect(c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '3b')).toEqual(OK_REPLY);
    c.call('RPUSH', 'b', '1', '22', '333', '4444', 'x', '55555', '7');
    // Restoring the threshold does not repack the nodes made under the old one.
    c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0');
    expect(layout(c, 'b')).toBe('serializedlength:51 ql_nodes:6 ql_avg_node:1.17 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:42');
    c.call('RPUSH', 'fresh', '1', '22', '333', '4444', 'x', '55555', '7');
    expect(layout(c, 'fresh')).toBe('serializedlength:31 ql_nodes:1 ql_avg_node:7.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:28');
  });

  it('saves interior nodes LZF-compressed under list-compress-depth, whatever rdbcompression says', () => {
    const c = createHarness().client();
    c.call('CONFIG', 'SET', 'list-compress-depth', '1');
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '3');
    c.call('RPUSH', 'c', ...range(12, (i) => `${'a'.repeat(30)}${i}`));
    c.call('CONFIG', 'SET', 'list-compress-depth', '0');
    c.call('CONFIG', 'SET', 'rdbcompression', 'no');
    expect(layout(c, 'c')).toBe('serializedlength:286 ql_nodes:4 ql_avg_node:3.00 ql_listpack_max:3 ql_compressed:1 ql_uncompressed_size:427');
    c.call('CONFIG', 'SET', 'rdbcompression', 'yes');
    expect(layout(c, 'c')).toBe('serializedlength:130 ql_nodes:4 ql_avg_node:3.00 ql_listpack_max:3 ql_compressed:1 ql_uncompressed_size:427');
  });

  it('sizes size-limited nodes (fill -1) with two raw nodes at each end', () => {
    const c = createHarness().client();
    c.call('CONFIG', 'SET', 'list-compress-depth', '2');
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '-1');
    c.call('RPUSH', 'd', ...range(400, (i) => `element-number-${i}-with-some-padding-text`));
    c.call('CONFIG', 'SET', 'rdbcompression', 'no');
    expect(layout(c, 'd')).toBe('serializedlength:13625 ql_nodes:5 ql_avg_node:80.00 ql_listpack_max:-1 ql_compressed:1 ql_uncompressed_size:17127');
    c.call('CONFIG', 'SET', 'rdbcompression', 'yes');
    expect(layout(c, 'd')).toBe('serializedlength:2336 ql_nodes:5 ql_avg_node:80.00 ql_listpack_max:-1 ql_compressed:1 ql_uncompressed_size:17127');
  });

  it('compresses plain nodes too and saves uncompressed plain integers in integer form', () => {
    const c = createHarness().client();
    c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '50b');
    c.call('CONFIG', 'SET', 'list-compress-depth', '1');
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '-1');
    c.call('RPUSH', 'e', ...Array.from({ length: 6 }, (_, i) => [`${'x'.repeat(78)}${i + 1}`, `short${i + 1}`, '12345']).flat());
    c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0');
    c.call('CONFIG', 'SET', 'rdbcompression', 'no');
    expect(layout(c, 'e')).toBe('serializedlength:279 ql_nodes:12 ql_avg_node:1.50 ql_listpack_max:-1 ql_compressed:1 ql_uncompressed_size:588');
    c.call('CONFIG', 'SET', 'rdbcompression', 'yes');
    expect(layout(c, 'e')).toBe('serializedlength:211 ql_nodes:12 ql_avg_node:1.50 ql_listpack_max:-1 ql_compressed:1 ql_uncompressed_size:588');
  });

  it('records the settings when LMOVE, LINSERT or LSET insert, not only pushes', () => {
    const c = createHarness().client();
    c.call('RPUSH', 'src{t}', 'aaaa', 'bbbb');
    c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '3b');
    c.call('CONFIG', 'SET', 'list-max-listpack-size', '1');
    c.call('LMOVE', 'src{t}', 'dst{t}', 'LEFT', 'RIGHT');
    c.call('LSET', 'src{t}', '0', 'cccc');
    c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0');
    expect(layout(c, 'dst{t}')).toBe('serializedlength:7 ql_nodes:1 ql_avg_node:1.00 ql_listpack_max:1 ql_compressed:0 ql_uncompressed_size:4');
    expect(layout(c, 'src{t}')).toBe('serializedlength:7 ql_nodes:1 ql_avg_node:1.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:4');
  });
});

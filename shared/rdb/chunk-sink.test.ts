import { describe, expect, it } from 'vitest';
import { ChunkSink } from './chunk-sink.js';
import { crc64 } from './crc64.js';

describe('ChunkSink', () => {
  it('cuts output into full chunks of chunkSize, handing each out once', () => {
    const sink = new ChunkSink(16);
    sink.binary('a'.repeat(40));
    expect(sink.hasChunks).toBe(true);
    const first = sink.takeChunks();
    expect(first.map((c) => c.length)).toEqual([16, 16]);
    expect(sink.hasChunks).toBe(false);
    sink.bytes(new Uint8Array(20).fill(1));
    sink.byte(2);
    expect(sink.takeChunks().map((c) => c.length)).toEqual([16]);
    sink.flush();
    const last = sink.takeChunks();
    expect(last.map((c) => c.length)).toEqual([13]);
    expect(sink.written).toBe(61);
    expect(Array.from(last[0].subarray(-2))).toEqual([1, 2]);
  });

  it('checksums every byte written, whichever chunk it is in', () => {
    const sink = new ChunkSink(16);
    const data = new Uint8Array(100).map((_, i) => (i * 37) & 0xff);
    sink.bytes(data, 0, 30);
    sink.takeChunks();
    sink.bytes(data, 30);
    const sum = sink.checksumLE();
    expect(new DataView(sum.buffer).getBigUint64(0, true)).toBe(crc64(data));
  });

  it('collects everything not yet taken into one array', () => {
    const sink = new ChunkSink(16);
    sink.binary('0123456789abcdefXYZ');
    expect(new TextDecoder().decode(sink.collect())).toBe('0123456789abcdefXYZ');
    expect(() => new ChunkSink(8)).toThrow(RangeError);
  });
});

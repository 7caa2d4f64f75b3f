import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplicationBacklog } from './backlog.js';

function concat(parts: Uint8Array[]): number[] {
  return parts.flatMap((p) => [...p]);
}

describe('replication backlog', () => {
  it('serves exactly the bytes after any covered offset, across wraps (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 30 }),
        (size, start, writes) => {
          const b = new ReplicationBacklog(size, start);
          const all: number[] = [];
          for (const w of writes) {
            b.append(w);
            all.push(...w);
          }
          expect(b.offset).toBe(start + all.length);
          expect(b.histlen).toBe(Math.min(size, all.length));
          expect(b.firstByteOffset).toBe(start + all.length - b.histlen + 1);
          for (let from = b.firstByteOffset; from <= b.offset + 1; from++) {
            expect(concat(b.readFrom(from))).toEqual(all.slice(from - start - 1));
          }
          expect(b.covers(b.firstByteOffset - 1)).toBe(false);
          expect(b.covers(b.offset + 2)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the newest history when resized', () => {
    const b = new ReplicationBacklog(8, 100);
    b.append(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    b.resize(4);
    expect(b.offset).toBe(110);
    expect(concat(b.readFrom(b.firstByteOffset))).toEqual([7, 8, 9, 10]);
    b.resize(16);
    b.append(new Uint8Array([11]));
    expect(concat(b.readFrom(b.firstByteOffset))).toEqual([7, 8, 9, 10, 11]);
  });
});

describe('ack frames', () => {
  it('recognizes exactly one REPLCONF ACK command', async () => {
    const { isLoneAck } = await import('./ack-frame.js');
    const { encodeCommand } = await import('../resp/encoder.js');
    expect(isLoneAck(encodeCommand(['REPLCONF', 'ACK', '12345']))).toBe(true);
    expect(isLoneAck(encodeCommand(['REPLCONF', 'ACK', 'x']))).toBe(false);
    expect(isLoneAck(encodeCommand(['REPLCONF', 'GETACK', '*']))).toBe(false);
    const two = [...encodeCommand(['REPLCONF', 'ACK', '1']), ...encodeCommand(['PING'])];
    expect(isLoneAck(Uint8Array.from(two))).toBe(false);
  });
});

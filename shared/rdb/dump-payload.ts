import { bytesToBinary } from '../bytes.js';
import type { RedisValue } from '../store/database.js';
import { ChunkSink } from './chunk-sink.js';
import { Crc64 } from './crc64.js';
import { RDB_VERSION } from './rdb-constants.js';
import { RdbError } from './rdb-error.js';
import { decodeRdbValue } from './rdb-reader.js';
import { encodeValue, rdbTypeOf } from './rdb-writer.js';
import type { StreamNodeLimits } from './stream-rdb.js';

/**
 * DUMP/RESTORE payloads, as Redis's createDumpPayload and verifyDumpPayload write and check them:
 *
 *   <type byte><value in RDB encoding><RDB version, 2 bytes LE><CRC-64 of everything before, 8 bytes LE>
 *
 * Payloads are binary strings (one char per byte) because that is how they travel as command arguments and
 * bulk replies.
 */

/** The server settings a payload depends on, as Redis's DUMP reads them. */
export interface DumpOptions {
  /** rdbcompression: LZF-compress long strings (default true). */
  compress?: boolean;
  /** stream-node-max-bytes / -entries: how a stream is cut into nodes (Redis's defaults when not given). */
  streamNodeLimits?: StreamNodeLimits;
}

/** The DUMP payload of a value. */
export function createDumpPayload(value: RedisValue, opts: DumpOptions = {}): string {
  const sink = new ChunkSink();
  sink.byte(rdbTypeOf(value));
  for (const _ of encodeValue(sink, value, opts.compress ?? true, opts.streamNodeLimits)) {
    // A payload is one reply: let the chunks accumulate and collect them at the end.
  }
  sink.byte(RDB_VERSION & 0xff);
  sink.byte((RDB_VERSION >> 8) & 0xff);
  sink.bytes(sink.checksumLE());
  return bytesToBinary(sink.collect());
}

/**
 * Whether a payload's footer is acceptable: at least 10 bytes, an RDB version this code reads (at most 10), and
 * a CRC-64 that matches. (Redis's verifyDumpPayload; there is no checksum-skipping mode here.)
 */
export function verifyDumpPayload(payload: Uint8Array): boolean {
  const len = payload.length;
  if (len < 10) return false;
  const version = payload[len - 10] | (payload[len - 9] << 8);
  if (version > RDB_VERSION) return false;
  return new Crc64().update(payload, 0, len - 8).matchesLE(payload, len - 8);
}

/**
 * Decodes a verified payload's value. Throws RdbError when the body is not a valid value (unknown or
 * unsupported type, corrupt or truncated encoding, an empty aggregate): RESTORE's "Bad data format".
 */
export function decodeDumpPayload(payload: Uint8Array): RedisValue {
  if (payload.length < 11) throw new RdbError('DUMP payload too short');
  const body = payload.subarray(1, payload.length - 10);
  const { value } = decodeRdbValue(payload[0], body);
  if (value === null) throw new RdbError('Empty aggregate in DUMP payload');
  return value;
}

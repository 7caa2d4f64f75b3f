import { bytesToBinary } from '../bytes.js';

const ACK_PREFIX = '*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$';
const ACK_REST = /^\d+\r\n\d+\r\n$/;

/**
 * Whether `bytes` are exactly one `REPLCONF ACK <offset>` command. WebSocket connectors send such a write as a
 * text frame: the edge master's auto-response answers text frames without waking a hibernating Durable Object.
 */
export function isLoneAck(bytes: Uint8Array): boolean {
  if (bytes.length < ACK_PREFIX.length + 5 || bytes.length > ACK_PREFIX.length + 30) return false;
  for (let i = 0; i < ACK_PREFIX.length; i++) if (bytes[i] !== ACK_PREFIX.charCodeAt(i)) return false;
  return ACK_REST.test(bytesToBinary(bytes, ACK_PREFIX.length));
}

/** The ACK as the text a WebSocket text frame carries (ASCII: the same bytes). */
export function ackText(bytes: Uint8Array): string {
  return bytesToBinary(bytes);
}

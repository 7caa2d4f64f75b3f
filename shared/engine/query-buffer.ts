/** Redis's PROTO_IOBUF_LEN: how much room a read makes in the query buffer. */
const PROTO_IOBUF_LEN = 16 * 1024;
/** Redis's PROTO_RESIZE_THRESHOLD: a buffer larger than this shrinks towards its recent peak. */
const PROTO_RESIZE_THRESHOLD = 32 * 1024;
/** Free space under which the cron leaves a buffer alone. */
const RESIZE_MIN_FREE = 4 * 1024;

/**
 * The size of a client's query buffer as Redis 7.0 would have it (CLIENT LIST's qbuf and qbuf-free). Our parser
 * keeps its own buffer; this follows Redis's sds instead: room for 16k made at each read, the whole batch of
 * input kept until every command in it ran, and the cron freeing the space of idle clients and trimming a
 * buffer that a big argument grew back to its recent peak (clientsCronResizeQueryBuffer).
 */
export class QueryBufferSize {
  /** sdsalloc(querybuf). */
  alloc = 0;
  /** querybuf_peak: the most the buffer held (or was made room for) since the last cron pass. */
  peak = 0;
  /** The parser's consumed count when the current batch of input started. */
  batchStart = 0;

  /** A read of `bytes` into a buffer that held `held` bytes not yet consumed (readQueryFromClient). */
  read(held: number, bytes: number): void {
    const readlen = Math.max(PROTO_IOBUF_LEN, bytes);
    if (this.peak < held + readlen) this.peak = held + readlen;
    if (this.alloc - held < readlen) this.alloc = held + readlen;
  }

  /** sdslen(querybuf): the batch being processed (`consumed` since it started) plus what is still pending. */
  length(consumed: number, pending: number): number {
    return consumed - this.batchStart + pending;
  }

  /** clientsCronResizeQueryBuffer, with the client idle for `idleSeconds` and holding `len` bytes. */
  cron(len: number, idleSeconds: number): void {
    if (this.alloc - len > RESIZE_MIN_FREE) {
      if (idleSeconds > 2) {
        this.alloc = len;
      } else if (this.alloc > PROTO_RESIZE_THRESHOLD && this.alloc / 2 > this.peak) {
        this.alloc = Math.max(len, this.peak);
      }
    }
    this.peak = len;
  }
}

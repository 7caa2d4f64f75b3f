/** Microseconds on the system-wide monotonic clock: comparable between processes on one machine. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

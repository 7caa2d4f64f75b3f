import { LATENCY_TS_LEN, type TimeSeries } from './latency-monitor.js';

/** Redis's LATENCY_GRAPH_COLS: the graph is cut into blocks this wide. */
const GRAPH_COLS = 80;
/** sparkline.c's charset_fill, one character per third of a row; a full cell below the curve is '|'. */
const CHARSET_FILL = '_o#';
const ROWS = 4;

/** One point of a sparkline: its value and the label printed vertically under it. */
interface Sample {
  value: number;
  label: string;
}

/**
 * sparkline.c's sparklineRenderRange with SPARKLINE_FILL (no log scale), for `len` samples from `offset`:
 * `ROWS` rows of curve, a blank spacing line, then the labels written downwards one character per line.
 */
function renderRange(samples: Sample[], min: number, max: number, offset: number, len: number): string {
  const relmax = max - min === 0 ? 1 : max - min;
  const steps = CHARSET_FILL.length * ROWS;
  let out = '';
  for (let row = 0; ; row++) {
    const chars = new Array<string>(len).fill(' ');
    let loop = false;
    for (let j = 0; j < len; j++) {
      const s = samples[j + offset];
      if (row < ROWS) {
        // C: step = (int)(relval*steps)/relmax, truncated twice (the cast binds before the division).
        let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        const charidx = step - (ROWS - row - 1) * CHARSET_FILL.length;
        loop = true;
        if (charidx >= 0 && charidx < CHARSET_FILL.length) chars[j] = CHARSET_FILL[charidx];
        else if (charidx >= CHARSET_FILL.length) chars[j] = '|';
      } else {
        // Every sample of a latency graph is labelled, so one blank line always separates curve and labels.
        if (row - ROWS < 1) {
          loop = true;
          break;
        }
        const labelChar = row - ROWS - 1;
        if (s.label.length > labelChar) {
          loop = true;
          chars[j] = s.label[labelChar];
        }
      }
    }
    if (!loop) return out;
    out += `${chars.join('')}\n`;
  }
}

/** "Ns" / "Nm" / "Nh" / "Nd": how long ago a sample was taken, as Redis labels it (C integer division). */
function ago(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.trunc(elapsed / 60)}m`;
  if (elapsed < 3600 * 24) return `${Math.trunc(elapsed / 3600)}h`;
  return `${Math.trunc(elapsed / (3600 * 24))}d`;
}

/**
 * LATENCY GRAPH's text (Redis's latencyCommandGenSparkeline): a title with the high/low of the kept samples
 * and the all-time high, a rule, then the sparkline of the samples oldest first, 80 columns per block,
 * each sample labelled with its age at unix time `now` (seconds).
 */
export function latencyGraph(event: string, ts: TimeSeries, now: number): string {
  const samples: Sample[] = [];
  let min = 0;
  let max = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    const i = (ts.idx + j) % LATENCY_TS_LEN;
    if (ts.times[i] === 0) continue;
    const latency = ts.latencies[i];
    if (samples.length === 0) {
      min = max = latency;
    } else {
      if (latency > max) max = latency;
      if (latency < min) min = latency;
    }
    samples.push({ value: latency, label: ago(now - ts.times[i]) });
  }
  let graph = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n${'-'.repeat(GRAPH_COLS)}\n`;
  // The sequence's own min/max (sparklineSequenceAddSample) equal the title's: both track every sample.
  for (let j = 0; j < samples.length; j += GRAPH_COLS) {
    if (j !== 0) graph += '\n';
    graph += renderRange(samples, min, max, j, Math.min(GRAPH_COLS, samples.length - j));
  }
  return graph;
}

import { describe, expect, it } from 'vitest';
import { latencyGraph } from './latency-graph.js';
import { LatencyMonitor, type TimeSeries } from './latency-monitor.js';

/** A "command" series holding `samples` as [unix seconds, ms]. */
function series(samples: Array<[number, number]>): TimeSeries {
  const m = new LatencyMonitor();
  for (const [t, ms] of samples) m.addSample('command', ms, t);
  return m.series('command')!;
}

// The expected texts are LATENCY GRAPH's replies from redis-server 7.0.15 for the same samples (taken with
// DEBUG SLEEP and latency-monitor-threshold 1, then read back with LATENCY HISTORY and TIME).
describe('latencyGraph (LATENCY GRAPH text as redis-server 7.0.15 draws it)', () => {
  it('draws three samples with their ages, high/low and all-time high', () => {
    const ts = series([
      [1795571635, 5],
      [1795571636, 12],
      [1795571637, 3],
    ]);
    expect(latencyGraph('command', ts, 1795571638)).toBe(
      'command - high 12 ms, low 3 ms (all time high 12 ms)\n' +
        `${'-'.repeat(80)}\n` +
        ' # \n' +
        ' | \n' +
        ' | \n' +
        '#|_\n' +
        '   \n' +
        '321\n' +
        'sss\n',
    );
  });

  it('draws equal samples on the bottom row', () => {
    const ts = series([
      [100, 7],
      [101, 7],
    ]);
    expect(latencyGraph('fast-command', ts, 101)).toBe(
      `fast-command - high 7 ms, low 7 ms (all time high 7 ms)\n${'-'.repeat(80)}\n  \n  \n  \n__\n  \n10\nss\n`,
    );
  });

  it('cuts 90 samples into blocks of 80 columns, labelling minutes as "1m" and seconds as "59s"', () => {
    // DEBUG SLEEP of 2..24 ms once a second for 90 seconds (two seconds were skipped), graphed a second after.
    const t0 = 1795571633;
    const offsets = [
      0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
      25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
      49, 50, 51, 52, 53, 54, 55, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73,
      74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91,
    ];
    const ms = [
      2, 9, 16, 23, 7, 14, 21, 5, 12, 19, 3, 10, 17, 24, 8, 15, 22, 6, 13, 20, 4, 11, 20, 2,
      9, 17, 23, 7, 14, 21, 5, 12, 19, 3, 10, 17, 24, 8, 15, 22, 6, 13, 20, 4, 12, 18, 2, 9,
      16, 23, 7, 14, 21, 5, 12, 19, 3, 10, 17, 24, 8, 15, 22, 6, 13, 20, 4, 11, 18, 2, 9, 16,
      23, 7, 14, 21, 5, 12, 19, 3, 10, 17, 24, 8, 15, 22, 6, 13, 20, 4,
    ];
    const ts = series(offsets.map((o, i) => [t0 + o, ms[i]]));
    expect(latencyGraph('command', ts, t0 + 92)).toBe(
      'command - high 24 ms, low 2 ms (all time high 24 ms)\n' +
        `${'-'.repeat(80)}\n` +
        [
        '   #  o  _   #  o  _  _   #  o  _   #  o  _      #  o  _   #  o  _      #  o  _ ',
        '  o| _|  |  #| o| _|  |  #| _|  |  #| o| _|  #  o| _|  |  #| o| _|  #  o| _|  | ',
        ' _|| || #| o||_|| || o| _|| || #| o||_|| || #| _|| || #| o||_|| || o| _|| || #| ',
        '_|||#||o||_||||||#||o||_|||#||o||_||||||#||o||_|||#||o||_||||||#||o||_|||#||o||_',
        '                                                                                ',
        '11111111111111111111111111111111555555555544444444443333333332222222222111111111',
        'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm987654321098765432109875432109876543210987654321',
        '                                ssssssssssssssssssssssssssssssssssssssssssssssss',
        '',
        '  #  o  _ ',
        ' #| o| _| ',
        'o||_|| || ',
        '||||||#||o',
        '          ',
        '1987654321',
        '0sssssssss',
        's         ',
        ].join('\n') +
        '\n',
    );
  });
});

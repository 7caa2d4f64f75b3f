import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { LATENCY_TS_LEN } from '../engine/latency-monitor.js';
import { ErrorReply, MapReply, SimpleString, VerbatimReply } from '../resp/reply.js';

/**
 * A harness whose microsecond clock stands still except for commands run through `timed`, which take exactly
 * the given milliseconds (call() reads the clock once at the start and once at the end of a command).
 */
function monitored(config: Record<string, string> = { 'latency-monitor-threshold': '10' }) {
  const h = createHarness({ config });
  let t = 0;
  let queue: number[] = [];
  h.core.host.micros = () => (queue.length > 0 ? queue.shift()! : t);
  const c = h.client();
  const timed = (ms: number, ...argv: string[]) => {
    queue = [t, t + ms * 1000];
    t += ms * 1000;
    return c.call(...argv);
  };
  const second = () => Math.floor(h.clock.now / 1000);
  return { h, c, timed, second, setQueue: (q: number[]) => (queue = q), now: () => t };
}

describe('LATENCY (checked against redis-server 7.0.15)', () => {
  it('is off by default: latency-monitor-threshold 0 records nothing however slow a command is', () => {
    const { c, timed } = monitored({});
    expect(c.call('CONFIG', 'GET', 'latency-monitor-threshold')).toEqual(['latency-monitor-threshold', '0']);
    timed(500, 'KEYS', '*');
    expect(c.call('LATENCY', 'LATEST')).toEqual([]);
    expect(c.call('LATENCY', 'HISTORY', 'command')).toEqual([]);
  });

  it('records commands taking at least the threshold (whole ms) as "command", fast ones as "fast-command"', () => {
    const { c, timed, second } = monitored();
    timed(9.999, 'KEYS', '*');
    expect(c.call('LATENCY', 'LATEST')).toEqual([]);
    timed(10, 'KEYS', '*');
    timed(25.7, 'GET', 'k');
    expect(c.call('LATENCY', 'LATEST')).toEqual([
      ['command', second(), 10, 10],
      ['fast-command', second(), 25, 25],
    ]);
  });

  it('keeps one sample per second (the worst), the latest one and the all-time max', () => {
    const { h, c, timed, second } = monitored();
    const t0 = second();
    timed(20, 'KEYS', '*');
    timed(12, 'KEYS', '*');
    expect(c.call('LATENCY', 'HISTORY', 'command')).toEqual([[t0, 20]]);
    timed(30, 'KEYS', '*');
    expect(c.call('LATENCY', 'HISTORY', 'command')).toEqual([[t0, 30]]);
    h.clock.advance(1000);
    timed(15, 'KEYS', '*');
    expect(c.call('LATENCY', 'HISTORY', 'command')).toEqual([[t0, 30], [t0 + 1, 15]]);
    expect(c.call('LATENCY', 'LATEST')).toEqual([['command', t0 + 1, 15, 30]]);
  });

  it('keeps the last 160 samples per event, oldest first', () => {
    const { h, c, timed, second } = monitored();
    const t0 = second();
    for (let i = 0; i < LATENCY_TS_LEN + 10; i++) {
      timed(10 + i, 'KEYS', '*');
      h.clock.advance(1000);
    }
    const history = c.call('LATENCY', 'HISTORY', 'command') as Array<[number, number]>;
    expect(LATENCY_TS_LEN).toBe(160);
    expect(history).toHaveLength(160);
    expect(history[0]).toEqual([t0 + 10, 20]);
    expect(history[159]).toEqual([t0 + 169, 179]);
    expect(c.call('LATENCY', 'LATEST')).toEqual([['command', t0 + 169, 179, 179]]);
  });

  it('RESET replies how many existing events it dropped; without arguments it drops them all', () => {
    const { c, timed } = monitored();
    timed(10, 'KEYS', '*');
    timed(10, 'GET', 'k');
    expect(c.call('LATENCY', 'RESET', 'command', 'nosuch', 'command')).toBe(1);
    expect(c.call('LATENCY', 'LATEST')).toHaveLength(1);
    timed(10, 'KEYS', '*');
    expect(c.call('LATENCY', 'RESET')).toBe(2);
    expect(c.call('LATENCY', 'RESET')).toBe(0);
    expect(c.call('LATENCY', 'LATEST')).toEqual([]);
    expect(c.call('LATENCY', 'HISTORY', 'command')).toEqual([]);
  });

  it('files a blocked command\'s final run under "command-unblocking"', () => {
    const { h, c, setQueue, now } = monitored();
    c.send('BLPOP', 'l', '0');
    expect(c.next()).toBeUndefined();
    const pusher = h.client();
    // LPUSH starts and ends at once; then the BLPOP run again for it takes 40 ms.
    setQueue([now(), now(), now() + 40_000]);
    expect(pusher.call('LPUSH', 'l', 'a')).toBe(1);
    expect(c.next()).toEqual(['l', 'a']);
    expect(pusher.call('LATENCY', 'LATEST')).toEqual([['command-unblocking', Math.floor(h.clock.now / 1000), 40, 40]]);
  });

  it('follows CONFIG SET latency-monitor-threshold, and times commands with the slow log off', () => {
    const { c, timed } = monitored({ 'slowlog-log-slower-than': '-1' });
    timed(100, 'KEYS', '*');
    expect(c.call('LATENCY', 'LATEST')).toEqual([]);
    expect(c.call('CONFIG', 'SET', 'latency-monitor-threshold', '50')).toEqual(OK_REPLY);
    timed(49, 'KEYS', '*');
    timed(50, 'KEYS', '*');
    expect((c.call('LATENCY', 'LATEST') as unknown[][])[0].slice(2)).toEqual([50, 50]);
    expect(c.call('SLOWLOG', 'LEN')).toBe(0);
    expect(c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0')).toEqual(OK_REPLY);
    timed(500, 'KEYS', '*');
    expect((c.call('LATENCY', 'LATEST') as unknown[][])[0].slice(2)).toEqual([50, 50]);
    expect(c.call('CONFIG', 'SET', 'latency-monitor-threshold', '-1')).toEqual(
      new ErrorReply(
        "ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - argument must be between 0 and 9223372036854775807 inclusive",
      ),
    );
  });

  it('still feeds the slow log when the latency monitor is on', () => {
    const { c, timed } = monitored({ 'latency-monitor-threshold': '10', 'slowlog-log-slower-than': '20000' });
    timed(15, 'KEYS', '*');
    expect(c.call('SLOWLOG', 'LEN')).toBe(0);
    timed(20, 'KEYS', '*');
    expect(c.call('SLOWLOG', 'LEN')).toBe(1);
    expect(c.call('LATENCY', 'LATEST')).toHaveLength(1);
  });

  it('answers arity errors, unknown subcommands and HELP as Redis', () => {
    const { c } = monitored();
    expect(c.call('LATENCY', 'HISTORY')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency|history' command"));
    expect(c.call('LATENCY', 'HISTORY', 'a', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency|history' command"));
    expect(c.call('LATENCY', 'LATEST', 'x')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency|latest' command"));
    expect(c.call('LATENCY')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency' command"));
    expect(c.call('LATENCY', 'foo')).toEqual(new ErrorReply("ERR unknown subcommand 'foo'. Try LATENCY HELP."));
    expect(c.call('LATENCY', 'GRAPH')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency|graph' command"));
    expect(c.call('LATENCY', 'GRAPH', 'a', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'latency|graph' command"));
    const help = c.call('LATENCY', 'help') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help).toHaveLength(17);
    expect(help[13]).toEqual(new SimpleString('    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.'));
    expect(help[16]).toEqual(new SimpleString('    Prints this help.'));
  });

  const doctor = (c: { call: (...a: string[]) => unknown }) => c.call('LATENCY', 'DOCTOR') as string;
  const INSPECT =
    '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  const LARGE_OBJECTS =
    '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';

  it('DOCTOR says monitoring is disabled, or that nothing was observed (verbatim text in RESP3, bulk in RESP2)', () => {
    const { c } = monitored({});
    c.call('HELLO', '3');
    expect(c.call('LATENCY', 'DOCTOR')).toEqual(
      new VerbatimReply(
        'txt',
        'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n',
      ),
    );
    c.call('HELLO', '2');
    c.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    expect(doctor(c)).toBe(
      'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n',
    );
  });

  it('DOCTOR reports each event\'s spikes, average, mean deviation, period and worst, with slow log advice', () => {
    const { h, c, timed } = monitored({ 'latency-monitor-threshold': '1' });
    timed(50, 'KEYS', '*');
    h.clock.advance(1000);
    timed(20, 'KEYS', '*');
    // The text redis-server 7.0.15 printed for the same samples (slowlog-log-slower-than 10000 > 1 ms).
    expect(doctor(c)).toBe(
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
        '1. command: 2 latency spikes (average 35ms, mean deviation 15ms, period 0.50 sec). Worst all time event 50ms.\n' +
        '\nI have a few advices for you:\n\n' +
        "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n" +
        INSPECT +
        LARGE_OBJECTS,
    );
    c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    expect(doctor(c)).toContain(
      "\n- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 1000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n" +
        INSPECT,
    );
    c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10');
    expect(doctor(c)).toContain('\nI have a few advices for you:\n\n' + INSPECT + LARGE_OBJECTS);
  });

  it('DOCTOR advises on the scheduler for fast-command spikes and has no fix for command-unblocking alone', () => {
    const { h, c, timed, setQueue, now } = monitored({ 'latency-monitor-threshold': '1' });
    timed(5, 'GET', 'k');
    expect(doctor(c)).toContain(
      '1. fast-command: 1 latency spikes (average 5ms, mean deviation 0ms, period 1.00 sec). Worst all time event 5ms.\n\nI have a few advices for you:\n\n- The system is slow to execute Redis code paths not containing system calls.',
    );
    c.call('LATENCY', 'RESET');
    c.send('BLPOP', 'l', '0');
    setQueue([now(), now(), now() + 3000]);
    h.client().call('LPUSH', 'l', 'a');
    expect(doctor(h.client())).toBe(
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
        '1. command-unblocking: 1 latency spikes (average 3ms, mean deviation 0ms, period 1.00 sec). Worst all time event 3ms.\n' +
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n",
    );
  });

  it('GRAPH draws the event\'s samples with their ages, as a verbatim text in RESP3', () => {
    const { h, c, timed } = monitored({ 'latency-monitor-threshold': '1' });
    timed(5, 'KEYS', '*');
    h.clock.advance(1000);
    timed(12, 'KEYS', '*');
    h.clock.advance(1000);
    timed(3, 'KEYS', '*');
    h.clock.advance(1000);
    // redis-server 7.0.15's graph of the samples 5, 12, 3 ms taken 3, 2 and 1 seconds ago.
    const text =
      'command - high 12 ms, low 3 ms (all time high 12 ms)\n' +
      `${'-'.repeat(80)}\n` +
      ' # \n | \n | \n#|_\n   \n321\nsss\n';
    expect(c.call('LATENCY', 'GRAPH', 'command')).toBe(text);
    c.call('HELLO', '3');
    expect(c.call('LATENCY', 'GRAPH', 'command')).toEqual(new VerbatimReply('txt', text));
  });

  it('GRAPH of an event without samples (never seen, or reset) is an error naming the event', () => {
    const { c, timed } = monitored();
    expect(c.call('LATENCY', 'GRAPH', 'command')).toEqual(new ErrorReply("ERR No samples available for event 'command'"));
    timed(20, 'KEYS', '*');
    expect(c.call('LATENCY', 'GRAPH', 'Command')).toEqual(new ErrorReply("ERR No samples available for event 'Command'"));
    c.call('LATENCY', 'RESET');
    expect(c.call('LATENCY', 'GRAPH', 'command')).toEqual(new ErrorReply("ERR No samples available for event 'command'"));
  });

  it('HISTOGRAM maps each command with calls to its calls and cumulative µs buckets', () => {
    // Tracking off: only the samples fed below are in the histograms.
    const { h, c } = monitored({ 'latency-monitor-threshold': '10', 'latency-tracking': 'no' });
    const lat = h.core.latency;
    lat.recordCommand('get', 0.4);
    lat.recordCommand('get', 3);
    lat.recordCommand('get', 3.9);
    // 17 µs falls in hdr's bucket that ends at 33 µs.
    lat.recordCommand('config|get', 17);
    const get = new MapReply([
      ['calls', 3],
      ['histogram_usec', new MapReply([[1, 1], [4, 3]])],
    ]);
    const configGet = new MapReply([
      ['calls', 1],
      ['histogram_usec', new MapReply([[33, 1]])],
    ]);
    expect(c.call('LATENCY', 'HISTOGRAM', 'GET')).toEqual(['get', ['calls', 3, 'histogram_usec', [1, 1, 4, 3]]]);
    c.call('HELLO', '3');
    expect(c.call('LATENCY', 'HISTOGRAM')).toEqual(new MapReply([['get', get], ['config|get', configGet]]));
    // A container brings its subcommands with data; unknown names and deeper paths are skipped; repeats repeat.
    expect(c.call('LATENCY', 'HISTOGRAM', 'nosuch', 'config', 'CONFIG|GET', 'config|get|x', 'config|nosuch', 'set')).toEqual(
      new MapReply([['config|get', configGet], ['config|get', configGet]]),
    );
    expect(c.call('LATENCY', 'HISTOGRAM', 'get|x')).toEqual(new MapReply([]));
    // LATENCY RESET drops the events only, as in Redis.
    c.call('LATENCY', 'RESET');
    expect(c.call('LATENCY', 'HISTOGRAM', 'get')).toEqual(new MapReply([['get', get]]));
  });

  it('latency-tracking records every command it runs: HISTOGRAM, INFO latencystats, and CONFIG RESETSTAT clears them', () => {
    const { c, timed } = monitored({ 'latency-monitor-threshold': '0' });
    timed(0.003, 'SET', 'k', 'v');
    timed(0.003, 'SET', 'k', 'v');
    timed(0.2, 'GET', 'k');
    expect(c.call('LATENCY', 'HISTOGRAM', 'set', 'get')).toEqual([
      'set',
      ['calls', 2, 'histogram_usec', [4, 2]],
      'get',
      ['calls', 1, 'histogram_usec', [264, 1]],
    ]);
    const info = String(c.call('INFO', 'latencystats'));
    expect(info).toContain('latency_percentiles_usec_set:p50=3.007,p99=3.007,p99.9=3.007\r\n');
    expect(info).toContain('latency_percentiles_usec_get:p50=200.703,p99=200.703,p99.9=200.703\r\n');
    c.call('CONFIG', 'RESETSTAT');
    expect(c.call('LATENCY', 'HISTOGRAM', 'set')).toEqual([]);
    c.call('CONFIG', 'SET', 'latency-tracking', 'no');
    timed(0.003, 'SET', 'k', 'v');
    expect(c.call('LATENCY', 'HISTOGRAM', 'set')).toEqual([]);
  });
});

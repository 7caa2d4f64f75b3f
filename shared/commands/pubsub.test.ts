import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { ErrorReply, PushReply, SimpleString } from '../resp/reply.js';

describe('sharded Pub/Sub outside cluster mode (checked against redis-server 7.0.15)', () => {
  it('counts shard subscriptions apart from channel and pattern subscriptions', () => {
    const h = createHarness();
    const c = h.client();
    c.send('SSUBSCRIBE', 'a', 'b');
    expect(c.next()).toEqual(['ssubscribe', 'a', 1]);
    expect(c.next()).toEqual(['ssubscribe', 'b', 2]);
    expect(c.call('SUBSCRIBE', 'c')).toEqual(['subscribe', 'c', 1]);
    expect(c.call('SUNSUBSCRIBE', 'a')).toEqual(['sunsubscribe', 'a', 1]);
    expect(c.call('SUNSUBSCRIBE')).toEqual(['sunsubscribe', 'b', 0]);
    expect(c.call('SUNSUBSCRIBE')).toEqual(['sunsubscribe', null, 0]);
    // Still in RESP2 subscriber mode (the SUBSCRIBE): SPUBLISH is refused there as Redis refuses it.
    expect(c.call('SPUBLISH', 'x', 'y')).toEqual(
      new ErrorReply("ERR Can't execute 'spublish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
    );
  });

  it('SPUBLISH delivers smessage to shard subscribers only, counts them, and propagates like PUBLISH', () => {
    const h = createHarness();
    const shard = h.client();
    const plain = h.client();
    const publisher = h.client();
    shard.call('SSUBSCRIBE', 'orders');
    plain.call('SUBSCRIBE', 'orders');
    expect(publisher.call('SPUBLISH', 'orders', 'hi')).toBe(1);
    expect(shard.next()).toEqual(['smessage', 'orders', 'hi']);
    expect(plain.next()).toBeUndefined();
    expect(publisher.call('PUBLISH', 'orders', 'plain')).toBe(1);
    expect(shard.next()).toBeUndefined();
    expect(h.propagated).toContainEqual(['SPUBLISH', 'orders', 'hi']);
  });

  it('PUBSUB SHARDCHANNELS, SHARDNUMSUB, CLIENT LIST ssub= and RESET', () => {
    const h = createHarness();
    const a = h.client();
    const b = h.client();
    a.call('SSUBSCRIBE', 'x:1');
    a.call('SSUBSCRIBE', 'y:1');
    expect(b.call('PUBSUB', 'SHARDCHANNELS')).toEqual(['x:1', 'y:1']);
    expect(b.call('PUBSUB', 'SHARDCHANNELS', 'x*')).toEqual(['x:1']);
    expect(b.call('PUBSUB', 'SHARDNUMSUB', 'x:1', 'z')).toEqual(['x:1', 1, 'z', 0]);
    expect(b.call('PUBSUB', 'CHANNELS')).toEqual([]);
    expect(String(b.call('CLIENT', 'LIST'))).toContain('sub=0 psub=0 ssub=2 ');
    expect(a.call('RESET')).toEqual(new SimpleString('RESET'));
    expect(b.call('PUBSUB', 'SHARDNUMSUB', 'x:1')).toEqual(['x:1', 0]);
  });

  it('PUBSUB HELP lists the shard subcommands as Redis 7.0 does', () => {
    const r = createHarness().client().call('PUBSUB', 'HELP') as SimpleString[];
    expect(r.map((l) => l.value)).toEqual([
      'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'CHANNELS [<pattern>]',
      "    Return the currently active channels matching a <pattern> (default: '*').",
      'NUMPAT',
      '    Return number of subscriptions to patterns.',
      'NUMSUB [<channel> ...]',
      '    Return the number of subscribers for the specified channels, excluding',
      '    pattern subscriptions(default: no channels).',
      'SHARDCHANNELS [<pattern>]',
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      'SHARDNUMSUB [<shardchannel> ...]',
      '    Return the number of subscribers for the specified shard level channel(s)',
      'HELP',
      '    Prints this help.',
    ]);
  });
});

describe('pub/sub and CLIENT REPLY OFF', () => {
  it('confirmations and messages are pushed to a RESP3 client whose replies are off, as Redis does', () => {
    const h = createHarness();
    const sub = h.client();
    const pub = h.client();
    sub.call('HELLO', '3');
    sub.send('CLIENT', 'REPLY', 'OFF');
    sub.send('SUBSCRIBE', 'channel');
    expect(sub.next()).toEqual(new PushReply(['subscribe', 'channel', 1]));
    expect(pub.call('PUBLISH', 'channel', 'hello')).toBe(1);
    expect(sub.next()).toEqual(new PushReply(['message', 'channel', 'hello']));
    sub.send('PING');
    expect(sub.next()).toBeUndefined();
  });
});

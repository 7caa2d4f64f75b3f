import { describe, expect, it } from 'vitest';
import { createHarness, errorReply, OK_REPLY } from '../../test/helpers/core-harness.js';

describe('redis.conf directives of Redis 7.0 that a config file may carry', () => {
  it('raises repl-backlog-size below 16 KB to 16 KB and refuses 0 with Redis’s text', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'repl-backlog-size', '100')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'repl-backlog-size')).toEqual(['repl-backlog-size', '16384']);
    expect(c.call('CONFIG', 'SET', 'repl-backlog-size', '0')).toEqual(
      errorReply("ERR CONFIG SET failed (possibly related to argument 'repl-backlog-size') - argument must be between 1 and 9223372036854775807 inclusive"),
    );
  });

  it('lets CONFIG SET change dir only with enable-protected-configs yes', () => {
    const refused = createHarness().client();
    expect(refused.call('CONFIG', 'SET', 'dir', '/tmp')).toEqual(
      errorReply("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
    );
    const allowed = createHarness({ config: { 'enable-protected-configs': 'yes' } }).client();
    expect(allowed.call('CONFIG', 'SET', 'dbfilename', 'other.rdb')).toEqual(OK_REPLY);
    expect(allowed.call('CONFIG', 'GET', 'dbfilename')).toEqual(['dbfilename', 'other.rdb']);
  });

  it('reads unixsocketperm as octal and the startup-only directives of Redis’s test config', () => {
    const c = createHarness({
      config: { unixsocketperm: '700', 'always-show-logo': 'yes', pidfile: '/tmp/x.pid', activerehashing: 'yes', 'enable-module-command': 'yes' },
    }).client();
    expect(c.call('CONFIG', 'GET', 'unixsocketperm')).toEqual(['unixsocketperm', '700']);
    expect(c.call('CONFIG', 'GET', 'pidfile')).toEqual(['pidfile', '/tmp/x.pid']);
    expect(c.call('CONFIG', 'SET', 'pidfile', '/tmp/y.pid')).toEqual(
      errorReply("ERR CONFIG SET failed (possibly related to argument 'pidfile') - can't set immutable config"),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { sha256Hex } from '../engine/acl.js';
import type { ServerHost } from '../engine/server-core.js';
import { DoubleReply, ErrorReply, MapReply, SetReply, SimpleString } from '../resp/reply.js';

const WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');

/** ACL LOG entries as objects (RESP2 flat arrays). */
function logEntries(r: unknown): Array<Record<string, unknown>> {
  return (r as unknown[][]).map((flat) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < flat.length; i += 2) o[flat[i] as string] = flat[i + 1];
    return o;
  });
}

describe('ACL SETUSER / GETUSER / LIST / USERS / DELUSER', () => {
  it('GETUSER replies a map (RESP3) with flags as a set, nil for an unknown user', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('ACL', 'SETUSER', 'bob', 'on', '>p1', '~k*', '&ch', '+get', '(+set ~w*)')).toEqual(OK_REPLY);
    c.call('HELLO', '3');
    expect(c.call('ACL', 'GETUSER', 'bob')).toEqual(
      new MapReply([
        ['flags', new SetReply(['on'])],
        ['passwords', [sha256Hex('p1')]],
        ['commands', '-@all +get'],
        ['keys', '~k*'],
        ['channels', '&ch'],
        ['selectors', [new MapReply([['commands', '-@all +set'], ['keys', '~w*'], ['channels', '']])]],
      ]),
    );
    expect(c.call('ACL', 'GETUSER', 'nobody')).toBeNull();
  });

  it('LIST and USERS are sorted by name; DELUSER counts what it removed and never removes default', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'zed');
    c.call('ACL', 'SETUSER', 'amy', 'on', 'nopass', 'allkeys', 'allchannels', 'allcommands');
    expect(c.call('ACL', 'USERS')).toEqual(['amy', 'default', 'zed']);
    expect(c.call('ACL', 'LIST')).toEqual([
      'user amy on nopass ~* &* +@all',
      'user default on nopass ~* &* +@all',
      'user zed off resetchannels -@all',
    ]);
    expect(c.call('ACL', 'DELUSER', 'zed', 'default')).toEqual(new ErrorReply("ERR The 'default' user cannot be removed"));
    expect(c.call('ACL', 'DELUSER', 'zed', 'nobody', 'amy')).toBe(2);
    expect(c.call('ACL', 'USERS')).toEqual(['default']);
  });

  it('refuses user names with spaces and bad rules, changing nothing', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('ACL', 'SETUSER', 'a b')).toEqual(new ErrorReply("ERR Usernames can't contain spaces or null characters"));
    expect(c.call('ACL', 'SETUSER', 'x', 'on', 'bogus')).toEqual(new ErrorReply("ERR Error in ACL SETUSER modifier 'bogus': Syntax error"));
    expect(c.call('ACL', 'USERS')).toEqual(['default']);
  });

  it('ACL commands never propagate to replicas', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'x', 'on');
    c.call('ACL', 'DELUSER', 'x');
    expect(h.propagated).toEqual([]);
  });
});

describe('AUTH, HELLO AUTH, requirepass and the ACL LOG', () => {
  it('AUTH user pass logs in as that user; failures are logged with reason auth', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('ACL', 'SETUSER', 'u', 'on', '>pw', '+@all', '~*');
    const c = h.client();
    expect(c.call('AUTH', 'pw')).toEqual(
      new ErrorReply('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'),
    );
    expect(c.call('AUTH', 'u', 'bad')).toEqual(WRONGPASS);
    expect(c.call('AUTH', 'u', 'pw')).toEqual(OK_REPLY);
    expect(c.call('ACL', 'WHOAMI')).toBe('u');
    const [entry] = logEntries(admin.call('ACL', 'LOG'));
    expect(entry).toMatchObject({ count: 1, reason: 'auth', context: 'toplevel', object: 'AUTH', username: 'u', 'age-seconds': '0' });
    expect(entry['client-info']).toMatch(/ cmd=auth user=default /);
  });

  it('HELLO AUTH authenticates before switching protocol; WRONGPASS leaves the client as it was', () => {
    const h = createHarness({ config: { requirepass: 'top' } });
    const c = h.client();
    expect(c.call('GET', 'k')).toEqual(new ErrorReply('NOAUTH Authentication required.'));
    expect(c.call('HELLO', '3', 'AUTH', 'default', 'wrong')).toEqual(WRONGPASS);
    expect(c.call('HELLO', '3', 'AUTH', 'default', 'top')).toBeInstanceOf(MapReply);
    expect(c.call('ACL', 'WHOAMI')).toBe('default');
  });

  it('CONFIG SET requirepass changes the default user; "" makes new connections authenticated', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CONFIG', 'SET', 'requirepass', 'pw');
    expect(c.call('ACL', 'LIST')).toEqual([`user default on #${sha256Hex('pw')} ~* &* +@all`]);
    const d = h.client();
    expect(d.call('PING')).toEqual(new ErrorReply('NOAUTH Authentication required.'));
    expect(d.call('AUTH', 'pw')).toEqual(OK_REPLY);
    d.call('CONFIG', 'SET', 'requirepass', '');
    expect(h.client().call('PING')).toEqual(new SimpleString('PONG'));
  });

  it('RESET returns the connection to the default user', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'u', 'on', 'nopass', '+@all', '~*');
    c.call('AUTH', 'u', 'x');
    c.call('RESET');
    expect(c.call('ACL', 'WHOAMI')).toBe('default');
  });
});

describe('NOPERM', () => {
  it('denied commands, keys and channels reply NOPERM and are logged with the object denied', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('ACL', 'SETUSER', 'app', 'on', 'nopass', '+get', '+set', '+publish', '~k*', '&c*');
    const c = h.client();
    c.call('AUTH', 'app', 'x');
    expect(c.call('DEL', 'k1')).toEqual(new ErrorReply("NOPERM this user has no permissions to run the 'del' command"));
    expect(c.call('GET', 'x')).toEqual(new ErrorReply('NOPERM this user has no permissions to access one of the keys used as arguments'));
    expect(c.call('PUBLISH', 'x', 'm')).toEqual(
      new ErrorReply('NOPERM this user has no permissions to access one of the channels used as arguments'),
    );
    expect(c.call('GET', 'x')).toBeInstanceOf(ErrorReply);
    expect(c.call('SET', 'k1', 'v')).toEqual(OK_REPLY);
    h.clock.advance(1500);
    const log = logEntries(admin.call('ACL', 'LOG'));
    expect(log.map((e) => [e.reason, e.object, e.count])).toEqual([
      ['key', 'x', 2],
      ['channel', 'x', 1],
      ['command', 'del', 1],
    ]);
    expect(log[0]['age-seconds']).toBe('1.5');
    expect(logEntries(admin.call('ACL', 'LOG', '1'))).toHaveLength(1);
    expect(admin.call('ACL', 'LOG', 'RESET')).toEqual(OK_REPLY);
    expect(admin.call('ACL', 'LOG')).toEqual([]);
    // A refused write changes nothing and propagates nothing but the allowed SET.
    expect(h.propagated).toEqual([['SELECT', '0'], ['SET', 'k1', 'v']]);
  });

  it('RESP3 ACL LOG entries are maps with a double age', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'u', 'on', 'nopass');
    const d = h.client();
    d.call('AUTH', 'u', 'x');
    d.call('GET', 'k');
    c.call('HELLO', '3');
    const [entry] = c.call('ACL', 'LOG') as MapReply[];
    expect(entry.entries.find(([k]) => k === 'age-seconds')?.[1]).toEqual(new DoubleReply(0));
  });

  it('MULTI: a denied command aborts EXEC; rules changed before EXEC refuse the command then', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('ACL', 'SETUSER', 't', 'on', 'nopass', '+@all', '~*');
    const c = h.client();
    c.call('AUTH', 't', 'x');
    c.call('MULTI');
    c.call('SET', 'k', 'v');
    admin.call('ACL', 'SETUSER', 't', '-set');
    c.call('GET', 'k');
    expect(c.call('EXEC')).toEqual([
      new ErrorReply(
        'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand',
      ),
      null,
    ]);
    const [entry] = logEntries(admin.call('ACL', 'LOG'));
    expect(entry).toMatchObject({ reason: 'command', context: 'multi', object: 'set' });
    expect(entry['client-info']).toMatch(/ flags=x .* multi=2 /);
    c.call('MULTI');
    expect(c.call('SET', 'k', 'v')).toEqual(new ErrorReply("NOPERM this user has no permissions to run the 'set' command"));
    expect(c.call('EXEC')).toEqual(new ErrorReply('EXECABORT Transaction discarded because of previous errors.'));
  });
});

describe('connections of changed users', () => {
  it('DELUSER closes the connections authenticated as the user; CLIENT KILL USER knows users', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('ACL', 'SETUSER', 'a', 'on', 'nopass', '+@all', '~*');
    const c = h.client();
    c.call('AUTH', 'a', 'x');
    expect(admin.call('CLIENT', 'LIST', 'ID', String(c.client.id))).toMatch(/ user=a /);
    expect(admin.call('CLIENT', 'KILL', 'USER', 'nobody')).toEqual(new ErrorReply("ERR No such user 'nobody'"));
    admin.call('ACL', 'DELUSER', 'a');
    expect(c.closed).toBe(true);
    admin.call('ACL', 'SETUSER', 'b', 'on', 'nopass', '+@all', '~*');
    const d = h.client();
    d.call('AUTH', 'b', 'x');
    expect(admin.call('CLIENT', 'KILL', 'USER', 'b')).toBe(1);
    expect(d.closed).toBe(true);
  });

  it('subscribers whose channel permission is revoked are disconnected', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('ACL', 'SETUSER', 's', 'on', 'nopass', '+@all', '~*', '&news');
    const c = h.client();
    c.call('AUTH', 's', 'x');
    c.call('SUBSCRIBE', 'news');
    admin.call('ACL', 'SETUSER', 's', '&other');
    expect(c.closed).toBe(false);
    admin.call('ACL', 'SETUSER', 's', 'resetchannels', '&other');
    expect(c.closed).toBe(true);
  });
});

describe('ACL CAT, GENPASS, DRYRUN, LOAD, SAVE', () => {
  it('CAT lists categories and a category\'s commands; unknown ones are errors', () => {
    const h = createHarness();
    const c = h.client();
    expect((c.call('ACL', 'CAT') as string[]).slice(0, 3)).toEqual(['keyspace', 'read', 'write']);
    const hash = c.call('ACL', 'CAT', 'HASH') as string[];
    expect(hash).toContain('hset');
    expect(hash).not.toContain('get');
    expect(c.call('ACL', 'CAT', 'nope')).toEqual(new ErrorReply("ERR Unknown category 'nope'"));
  });

  it('GENPASS returns bits/4 hex digits (rounded up), 256 bits by default', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('ACL', 'GENPASS')).toMatch(/^[0-9a-f]{64}$/);
    expect(c.call('ACL', 'GENPASS', '5')).toMatch(/^[0-9a-f]{2}$/);
    expect(c.call('ACL', 'GENPASS', '0')).toEqual(
      new ErrorReply('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096'),
    );
    expect(c.call('ACL', 'GENPASS', 'x')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
  });

  it('DRYRUN reports what a user could do, without running it', () => {
    const h = createHarness();
    const c = h.client();
    c.call('ACL', 'SETUSER', 'd', 'on', '+get', '~k*');
    expect(c.call('ACL', 'DRYRUN', 'd', 'GET', 'k1')).toEqual(OK_REPLY);
    expect(c.call('ACL', 'DRYRUN', 'd', 'GET', 'x')).toBe("This user has no permissions to access the 'x' key");
    expect(c.call('ACL', 'DRYRUN', 'd', 'SET', 'k', 'v')).toBe("This user has no permissions to run the 'set' command");
    expect(c.call('ACL', 'DRYRUN', 'd', 'GET')).toEqual(new ErrorReply("ERR wrong number of arguments for 'get' command"));
    expect(c.call('ACL', 'DRYRUN', 'd', 'NOPE')).toEqual(new ErrorReply("ERR Command 'NOPE' not found"));
    expect(c.call('ACL', 'DRYRUN', 'x', 'GET', 'k')).toEqual(new ErrorReply("ERR User 'x' not found"));
    expect(c.call('ACL', 'LOG')).toEqual([]);
  });

  it('LOAD and SAVE use the host\'s aclfile; without aclfile they are refused', () => {
    const h = createHarness({ config: { aclfile: '/acl/users.acl' } });
    const files = new Map<string, string>();
    (h.core.host as ServerHost).aclFile = {
      read: (p) => (files.has(p) ? { text: files.get(p)! } : { error: 'No such file or directory' }),
      write: (p, text) => {
        files.set(p, text);
        return true;
      },
    };
    const c = h.client();
    expect(c.call('ACL', 'LOAD')).toEqual(new ErrorReply("ERR Error loading ACLs, opening file '/acl/users.acl': No such file or directory"));
    c.call('ACL', 'SETUSER', 'x', 'on', '>p', '~a');
    expect(c.call('ACL', 'SAVE')).toEqual(OK_REPLY);
    expect(files.get('/acl/users.acl')).toBe(`user default on nopass ~* &* +@all\nuser x on #${sha256Hex('p')} ~a resetchannels -@all\n`);
    c.call('ACL', 'DELUSER', 'x');
    expect(c.call('ACL', 'LOAD')).toEqual(OK_REPLY);
    expect(c.call('ACL', 'USERS')).toEqual(['default', 'x']);
    files.set('/acl/users.acl', 'nope\n');
    expect(c.call('ACL', 'LOAD')).toEqual(
      new ErrorReply(
        'ERR /acl/users.acl:1 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed',
      ),
    );
    expect(c.call('ACL', 'USERS')).toEqual(['default', 'x']);

    const plain = createHarness().client();
    const refused = new ErrorReply(
      'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
    );
    expect(plain.call('ACL', 'LOAD')).toEqual(refused);
    expect(plain.call('ACL', 'SAVE')).toEqual(refused);
  });
});

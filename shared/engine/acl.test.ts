import { describe, expect, it } from 'vitest';
import { allCommands } from '../commands/index.js';
import { Acl, AclResult, AclUser, mergeSelectorArgs, sha256Hex, splitArgs } from './acl.js';
import type { CommandSpec } from './command-spec.js';

function newAcl(): Acl {
  const commands = new Map<string, CommandSpec>();
  for (const spec of allCommands) commands.set(spec.name, spec);
  return new Acl(commands);
}

/** A user built from rules (throws on a refused rule). */
function user(acl: Acl, ...rules: string[]): AclUser {
  const err = acl.setUser('u', rules);
  if (err !== null) throw new Error(err);
  return acl.users.get('u')!;
}

/** Whether `u` may run argv, and why not. */
function check(acl: Acl, u: AclUser, ...argv: string[]): [AclResult, number] {
  const name = argv[0].toLowerCase();
  const base = acl.table.lookup(name)!;
  const cmd = base.subs.length > 0 ? acl.table.lookup(`${name}|${argv[1]}`)! : base;
  return u.check(cmd, argv);
}

describe('SHA-256 password hashes', () => {
  it('hashes as Redis stores passwords (known vectors, binary bytes)', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('p1')).toBe('f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a');
    // 56 bytes: the length no longer fits the first block.
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('\xff\x00')).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256Hex('\xff\x00')).not.toBe(sha256Hex('\xff'));
  });
});

describe('rules and descriptions', () => {
  it('a new user is off with no permissions; the default user has them all', () => {
    const acl = newAcl();
    expect(user(acl).describe(acl.table)).toBe('off resetchannels -@all');
    expect(acl.defaultUser.describe(acl.table)).toBe('on nopass ~* &* +@all');
  });

  it('describes commands with the best-fitting categories first, as Redis 7.0', () => {
    const acl = newAcl();
    expect(user(acl, '+@all', '-@dangerous').root.describeCommands(acl.table)).toBe('+@all -@dangerous');
    expect(
      user(acl, 'reset', '+@list', '-blpop', '-brpop', '-blmove', '-brpoplpush', '-blmpop').root.describeCommands(acl.table),
    ).toBe('-@all +@list -blmove -blmpop -blpop -brpop -brpoplpush');
    const readNotKeyspace = user(acl, 'reset', '+@read', '-@keyspace').root.describeCommands(acl.table);
    expect(readNotKeyspace.startsWith('-@all +@bitmap +@geo +@hash +@set +@sortedset ')).toBe(true);
    expect(readNotKeyspace.split(' ')).toContain('+lolwut');
    expect(user(acl, 'reset', '+@hash', '-hset', '+config|get', '+get').root.describeCommands(acl.table)).toBe(
      '-@all +@hash +config|get +get -hset',
    );
  });

  it('key patterns: %R and %W merge into one pattern, ~ is both, duplicates are not added', () => {
    const acl = newAcl();
    const u = user(acl, '%R~a', '%W~a', '%W~b', '~c', '%RW~d', '~c');
    expect(u.root.describeKeys()).toEqual(['~a', '%W~b', '~c', '~d']);
    expect(user(acl, 'allkeys').root.describeKeys()).toEqual(['~*']);
    expect(user(acl, 'resetkeys').root.describeKeys()).toEqual([]);
  });

  it('refuses rules with ACLSetUserStringError texts and leaves the user unchanged', () => {
    const acl = newAcl();
    user(acl, 'on', '>pw');
    const before = acl.users.get('u')!.describe(acl.table);
    const err = (rules: string[]) => acl.setUser('u', rules);
    expect(err(['+get', 'bogus'])).toBe("Error in ACL SETUSER modifier 'bogus': Syntax error");
    expect(err(['+nosuch'])).toBe("Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
    expect(err(['-@nosuch'])).toBe("Error in ACL SETUSER modifier '-@nosuch': Unknown command or category name in ACL");
    expect(err(['+config|get|x'])).toBe("Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported");
    expect(err(['allkeys', '~x'])).toMatch(/^Error in ACL SETUSER modifier '~x': Adding a pattern after the \* pattern \(or the 'allkeys' flag\)/);
    expect(err(['&*', '&x'])).toMatch(/'allchannels' flag\) is not valid/);
    expect(err(['<nope'])).toBe("Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist");
    expect(err(['#ABC'])).toBe(
      "Error in ACL SETUSER modifier '#ABC': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    );
    expect(err(['(~a', '+get'])).toBe("Unmatched parenthesis in acl selector starting at '(~a'.");
    expect(acl.users.get('u')!.describe(acl.table)).toBe(before);
  });

  it('passwords: > adds a hash once, < and ! remove, nopass and resetpass clear', () => {
    const acl = newAcl();
    const u = user(acl, '>a', '>a', '>b');
    expect(u.passwords).toEqual([sha256Hex('a'), sha256Hex('b')]);
    user(acl, '<a', `!${sha256Hex('b')}`, `#${sha256Hex('c')}`);
    expect(u.passwords).toEqual([sha256Hex('c')]);
    user(acl, 'nopass');
    expect([u.nopass, u.passwords]).toEqual([true, []]);
    user(acl, '>x');
    expect(u.nopass).toBe(false);
    user(acl, 'resetpass');
    expect([u.nopass, u.passwords]).toEqual([false, []]);
  });

  it('reset returns a user to its creation state, with sanitize-payload', () => {
    const acl = newAcl();
    const u = user(acl, 'on', '>x', '~*', '&*', '+@all', '(+get ~a)', 'reset');
    expect(u.describe(acl.table)).toBe('off sanitize-payload resetchannels -@all');
  });

  it('selectors merge across arguments and are described in parentheses', () => {
    const acl = newAcl();
    const u = user(acl, 'on', 'nopass', '~a', '(~b', '+get)', '(%R~c +@read -@hash)');
    expect(u.selectors).toHaveLength(3);
    expect(u.describe(acl.table).startsWith('on nopass ~a resetchannels -@all (~b resetchannels -@all +get) (%R~c resetchannels -@all +@')).toBe(true);
    user(acl, 'clearselectors');
    expect(u.selectors).toHaveLength(1);
    expect(mergeSelectorArgs(['a', '(b', 'c)', 'd'])).toEqual({ merged: ['a', '(b c)', 'd'] });
    expect(splitArgs(' a  "b c" \'d\' ')).toEqual(['a', 'b c', 'd']);
  });
});

describe('permission checks', () => {
  it('commands, subcommands and first arguments', () => {
    const acl = newAcl();
    const u = user(acl, 'on', 'nopass', '~*', '+get', '+config|get', '+select|0');
    expect(check(acl, u, 'GET', 'k')).toEqual([AclResult.OK, 0]);
    expect(check(acl, u, 'SET', 'k', 'v')[0]).toBe(AclResult.DENIED_CMD);
    expect(check(acl, u, 'CONFIG', 'GET', 'x')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'CONFIG', 'SET', 'x', 'y')[0]).toBe(AclResult.DENIED_CMD);
    expect(check(acl, u, 'SELECT', '0')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'SELECT', '1')[0]).toBe(AclResult.DENIED_CMD);
    // no_auth commands (AUTH, HELLO) are never denied.
    expect(check(acl, u, 'AUTH', 'x')[0]).toBe(AclResult.OK);
  });

  it('keys need read and/or write permission as the key spec says', () => {
    const acl = newAcl();
    const u = user(acl, 'on', 'nopass', '+@all', '%R~r*', '%W~w*', '~b*');
    expect(check(acl, u, 'GET', 'r1')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'GET', 'w1')).toEqual([AclResult.DENIED_KEY, 1]);
    expect(check(acl, u, 'SET', 'w1', 'v')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'SET', 'w1', 'v', 'GET')).toEqual([AclResult.DENIED_KEY, 1]);
    expect(check(acl, u, 'SET', 'b1', 'v', 'GET')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'LPUSH', 'w1', 'x')[0]).toBe(AclResult.OK);
    // LMOVE reads and deletes from its source, inserts into its destination.
    expect(check(acl, u, 'LMOVE', 'w1', 'w2', 'LEFT', 'LEFT')).toEqual([AclResult.DENIED_KEY, 1]);
    expect(check(acl, u, 'LMOVE', 'b1', 'w2', 'LEFT', 'LEFT')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'SORT', 'r1', 'STORE', 'r2')).toEqual([AclResult.DENIED_KEY, 3]);
    expect(check(acl, u, 'SORT', 'r1', 'LIMIT', '0', '1', 'STORE', 'w2')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'ZUNIONSTORE', 'w1', '2', 'r1', 'w2')).toEqual([AclResult.DENIED_KEY, 4]);
    expect(check(acl, u, 'XREAD', 'COUNT', '1', 'STREAMS', 'r1', 'w1', '0', '0')).toEqual([AclResult.DENIED_KEY, 5]);
    expect(check(acl, u, 'BITFIELD', 'r1', 'GET', 'u8', '0')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'BITFIELD', 'r1', 'INCRBY', 'u8', '0', '1')[0]).toBe(AclResult.DENIED_KEY);
    // EXISTS neither reads nor writes the value: any pattern naming the key will do.
    expect(check(acl, u, 'EXISTS', 'w1', 'r1')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'EXISTS', 'x')[0]).toBe(AclResult.DENIED_KEY);
  });

  it('channels: PUBLISH and SUBSCRIBE match patterns, PSUBSCRIBE patterns must be listed literally', () => {
    const acl = newAcl();
    const u = user(acl, 'on', 'nopass', '+@all', '&news.*');
    expect(check(acl, u, 'PUBLISH', 'news.a', 'm')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'PUBLISH', 'sport', 'm')).toEqual([AclResult.DENIED_CHANNEL, 1]);
    expect(check(acl, u, 'SUBSCRIBE', 'news.a', 'sport')).toEqual([AclResult.DENIED_CHANNEL, 2]);
    expect(check(acl, u, 'PSUBSCRIBE', 'news.*')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'PSUBSCRIBE', 'news.a*')[0]).toBe(AclResult.DENIED_CHANNEL);
    expect(check(acl, u, 'SPUBLISH', 'sport', 'm')[0]).toBe(AclResult.DENIED_CHANNEL);
    expect(check(acl, u, 'UNSUBSCRIBE', 'sport')[0]).toBe(AclResult.OK);
  });

  it('with selectors, any one allowing the command is enough; the most specific denial is reported', () => {
    const acl = newAcl();
    const u = user(acl, 'on', 'nopass', '+get', '~a*', '(+set ~b*)');
    expect(check(acl, u, 'GET', 'a1')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'SET', 'b1', 'v')[0]).toBe(AclResult.OK);
    expect(check(acl, u, 'SET', 'a1', 'v')).toEqual([AclResult.DENIED_KEY, 1]);
    expect(check(acl, u, 'DEL', 'a1')[0]).toBe(AclResult.DENIED_CMD);
  });
});

describe('credentials, log and ACL files', () => {
  it('disabled users and wrong passwords never log in; nopass users take any password', () => {
    const acl = newAcl();
    acl.setUser('a', ['on', '>pw']);
    acl.setUser('b', ['off', '>pw']);
    acl.setUser('c', ['on', 'nopass']);
    expect(acl.credentials('a', 'pw')?.name).toBe('a');
    expect(acl.credentials('a', 'x')).toBeNull();
    expect(acl.credentials('b', 'pw')).toBeNull();
    expect(acl.credentials('c', 'whatever')?.name).toBe('c');
    expect(acl.credentials('zz', 'pw')).toBeNull();
  });

  it('requirepass sets or clears the default user password', () => {
    const acl = newAcl();
    expect(acl.authRequired()).toBe(false);
    acl.setDefaultPassword('s3');
    expect(acl.authRequired()).toBe(true);
    expect(acl.defaultUser.passwords).toEqual([sha256Hex('s3')]);
    acl.setDefaultPassword('');
    expect(acl.authRequired()).toBe(false);
  });

  it('the log groups similar entries within 60 s and keeps at most acllog-max-len', () => {
    const acl = newAcl();
    const e = { reason: AclResult.DENIED_CMD, context: 'toplevel' as const, object: 'get', username: 'u', clientInfo: 'x' };
    acl.addLog({ ...e, ctime: 1000 }, 3);
    acl.addLog({ ...e, ctime: 50_000 }, 3);
    expect(acl.log).toHaveLength(1);
    expect(acl.log[0].count).toBe(2);
    acl.addLog({ ...e, ctime: 200_000 }, 3);
    expect(acl.log).toHaveLength(2);
    acl.addLog({ ...e, object: 'set', ctime: 200_000 }, 3);
    acl.addLog({ ...e, object: 'del', ctime: 200_000 }, 3);
    expect(acl.log.map((x) => x.object)).toEqual(['del', 'set', 'get']);
  });

  it('parses ACL files as Redis, collecting every error', () => {
    const acl = newAcl();
    const ok = acl.parseFile('user alice on >x ~k* +get\n\n  user bob off  \n', 'f.acl');
    expect(ok instanceof Map && [...ok.keys()].sort()).toEqual(['alice', 'bob', 'default']);
    expect(acl.parseFile('user a +nosuch\nfoo\nuser a\nuser b %Q~x bad\n', 'f.acl')).toBe(
      "f.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
        'f.acl:2 should start with user keyword followed by the username. ' +
        "WARNING: Duplicate user 'a' found on line 3. " +
        'f.acl:4: Syntax error. ' +
        'WARNING: ACL errors detected, no change to the previously active ACL rules was performed',
    );
    acl.setUser('zed', ['on', 'nopass', '~*', '+@all']);
    expect(acl.fileText()).toBe('user default on nopass ~* &* +@all\nuser zed on nopass ~* resetchannels +@all\n');
  });
});

import { describe, expect, it } from 'vitest';
import { allCommands } from './index.js';
import type { Client, Transport } from '../engine/client.js';
import { BlockRequest, command, type CommandSpec } from '../engine/command-spec.js';
import { Config } from '../engine/config.js';
import { ServerCore, type ServerHost } from '../engine/server-core.js';
import { ErrorReply, MapReply, NULL_ARRAY, SetReply, SimpleString, VerbatimReply, type Reply } from '../resp/reply.js';
import { createHarness, OK_REPLY, TestClient } from '../../test/helpers/core-harness.js';

const NOW = 1_700_000_000_123;

/** A core whose host can sleep, shut down and describe the runtime, unlike the shared harness's. */
function hostedCore(host: Partial<ServerHost>, commands: CommandSpec[] = allCommands) {
  const core = new ServerCore({
    host: { now: () => NOW, log: () => {}, ...host },
    config: new Config(),
    commands,
  });
  return { core, client: () => new TestClient(core) };
}

/** Connects a client with a given peer address (the harness gives every client the same one). */
function connectFrom(core: ServerCore, addr: string): { client: Client; closed: () => boolean } {
  let closed = false;
  const transport: Transport = {
    write: () => {},
    close: () => {
      closed = true;
      core.disconnect(client);
    },
    bufferedAmount: () => 0,
  };
  const client = core.connect(transport, { addr, laddr: '127.0.0.1:6379', loopback: true, kind: 'tcp' })!;
  return { client, closed: () => closed };
}

/** The `name=value` fields of a CLIENT LIST line. */
function fields(line: string): Record<string, string> {
  return Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function lines(r: Reply): string[] {
  return String(r).split('\n').filter(Boolean);
}

/** A command that blocks on key "k" until it exists, for CLIENT UNBLOCK. */
const waitForK = command({
  name: 'waitfork',
  arity: 1,
  group: 'generic',
  flags: ['blocking'],
  handler: (ctx) => (ctx.db.dict.has('k') ? 'got it' : new BlockRequest(['k'], 0, NULL_ARRAY)),
});

describe('CONFIG GET', () => {
  it('returns name/value pairs for plain names and glob patterns, case-insensitively', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'GET', 'maxclients')).toEqual(['maxclients', '10000']);
    expect(c.call('CONFIG', 'GET', 'MAXCLIENTS')).toEqual(['MAXCLIENTS', '10000']);
    expect(c.call('CONFIG', 'GET', 'maxclient?', 'hz')).toEqual(['maxclients', '10000', 'hz', '10']);
    expect(c.call('CONFIG', 'GET', 'repl-backlog-*')).toEqual(['repl-backlog-size', '1048576', 'repl-backlog-ttl', '3600']);
  });

  it('lists each name once and finds aliases by pattern', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'GET', 'hz', 'hz', 'h?')).toEqual(['hz', '10']);
    expect(c.call('CONFIG', 'GET', 'slave-read*')).toEqual(['slave-read-only', 'yes']);
  });

  it('returns nothing for unknown names and needs at least one pattern', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'GET', 'no-such-thing')).toEqual([]);
    expect(c.call('CONFIG', 'GET')).toEqual(new ErrorReply("ERR wrong number of arguments for 'config|get' command"));
  });

  it('replies with a map in RESP3', () => {
    const c = createHarness().client();
    c.call('HELLO', '3');
    expect(c.call('CONFIG', 'GET', 'hz')).toEqual(new MapReply([['hz', '10']]));
  });
});

describe('CONFIG SET', () => {
  it('round-trips values, printing memory sizes in bytes', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'repl-backlog-size', '2mb')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'repl-backlog-size')).toEqual(['repl-backlog-size', '2097152']);
    expect(c.call('CONFIG', 'SET', 'repl-backlog-size', '3m')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'repl-backlog-size')).toEqual(['repl-backlog-size', '3000000']);
    expect(c.call('CONFIG', 'SET', 'maxclients', '100', 'timeout', '30')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'maxclients', 'timeout')).toEqual(['maxclients', '100', 'timeout', '30']);
  });

  it('applies all pairs or none', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CONFIG', 'SET', 'maxclients', '50', 'timeout', 'abc')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"),
    );
    expect(h.core.config.int('maxclients')).toBe(10000);
    expect(c.call('CONFIG', 'SET', 'maxclients', '50', 'daemonize', 'no')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
    );
    expect(h.core.config.int('maxclients')).toBe(10000);
  });

  it('reports problems with Redis 7.0 texts, names before values', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'nosuch', '1')).toEqual(
      new ErrorReply("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
    );
    expect(c.call('CONFIG', 'SET', 'maxclients', 'abc', 'nosuch', '1')).toEqual(
      new ErrorReply("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
    );
    expect(c.call('CONFIG', 'SET', 'maxclients', '10', 'MAXCLIENTS', '20')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate parameter"),
    );
    expect(c.call('CONFIG', 'SET', 'MAXCLIENTS', 'abc')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"),
    );
    expect(c.call('CONFIG', 'SET', 'repl-backlog-size', '1.5mb')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'repl-backlog-size') - argument must be a memory value"),
    );
    expect(c.call('CONFIG', 'SET', 'maxclients', '10', 'hz')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CONFIG', 'SET', 'maxclients')).toEqual(new ErrorReply("ERR wrong number of arguments for 'config|set' command"));
  });

  it('tells listeners about each change', () => {
    const h = createHarness();
    const changed: string[] = [];
    h.core.config.onChange((n) => changed.push(n));
    h.client().call('CONFIG', 'SET', 'slave-read-only', 'no');
    expect(changed).toEqual(['replica-read-only']);
    expect(h.core.config.bool('replica-read-only')).toBe(false);
  });
});

describe('CONFIG RESETSTAT, REWRITE, HELP', () => {
  it('RESETSTAT zeroes the INFO counters, keeping its own call', () => {
    const h = createHarness();
    const c = h.client();
    c.call('PING');
    c.call('NOSUCHCOMMAND');
    expect(c.call('CONFIG', 'RESETSTAT')).toEqual(OK_REPLY);
    expect(h.core.stats.totalErrorReplies).toBe(0);
    expect(h.core.stats.errors.size).toBe(0);
    expect(h.core.stats.totalConnectionsReceived).toBe(0);
    expect([...h.core.stats.commands.keys()]).toEqual(['config|resetstat']);
    expect(h.core.stats.totalCommandsProcessed).toBe(1);
  });

  it('REWRITE fails without a config file', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'REWRITE')).toEqual(new ErrorReply('ERR The server is running without a config file'));
  });

  it('HELP lists the subcommands as status lines', () => {
    const c = createHarness().client();
    const help = c.call('CONFIG', 'HELP') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help[1]).toEqual(new SimpleString('GET <pattern>'));
    expect(help.at(-2)).toEqual(new SimpleString('HELP'));
    expect(help.at(-1)).toEqual(new SimpleString('    Prints this help.'));
  });

  it('rejects unknown subcommands', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'FOO')).toEqual(new ErrorReply("ERR unknown subcommand 'FOO'. Try CONFIG HELP."));
  });
});

describe('CLIENT ID, SETNAME, GETNAME, INFO', () => {
  it('names a connection and refuses names with spaces or control characters', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'GETNAME')).toBe(null);
    expect(c.call('CLIENT', 'SETNAME', 'worker-1')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'GETNAME')).toBe('worker-1');
    for (const bad of ['a b', 'a\nb', 'caf\xc3\xa9']) {
      expect(c.call('CLIENT', 'SETNAME', bad)).toEqual(
        new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.'),
      );
    }
    expect(c.call('CLIENT', 'SETNAME', '')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'GETNAME')).toBe(null);
  });

  it('ID is the connection id and INFO describes the caller', () => {
    const h = createHarness();
    h.client();
    const c = h.client();
    expect(c.call('CLIENT', 'ID')).toBe(2);
    expect(c.call('CLIENT', 'ID', 'x')).toEqual(new ErrorReply("ERR wrong number of arguments for 'client|id' command"));
    const info = String(c.call('CLIENT', 'INFO'));
    expect(info.endsWith('\n')).toBe(true);
    expect(fields(info.trim())).toMatchObject({ id: '2', cmd: 'client|info', resp: '2' });
  });

  it('INFO and LIST are verbatim strings in RESP3', () => {
    const c = createHarness().client();
    c.call('HELLO', '3');
    const r = c.call('CLIENT', 'INFO');
    expect(r).toBeInstanceOf(VerbatimReply);
    expect((r as VerbatimReply).format).toBe('txt');
    expect(fields((r as VerbatimReply).text.trim()).resp).toBe('3');
  });
});

describe('CLIENT LIST', () => {
  it('prints one line per client in Redis 7.0 format', () => {
    const h = createHarness({ now: NOW });
    const c = h.client();
    h.clock.advance(5000);
    const out = String(c.call('CLIENT', 'LIST'));
    expect(out).toBe(
      'id=1 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=-1 name= age=5 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 ' +
        'multi=-1 qbuf=26 qbuf-free=16358 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r ' +
        'cmd=client|list user=default redir=-1 resp=2\n',
    );
  });

  it('shows names, databases, subscriptions, MULTI and blocking in the fields and flags', () => {
    const h = createHarness({ commands: [...allCommands, waitForK] });
    const a = h.client();
    const b = h.client();
    const d = h.client();
    const e = h.client();
    a.call('CLIENT', 'SETNAME', 'alpha');
    a.call('SELECT', '3');
    b.call('SUBSCRIBE', 'ch1', 'ch2');
    d.call('MULTI');
    d.call('PING');
    e.send('WAITFORK');
    const byId = new Map(lines(a.call('CLIENT', 'LIST')).map((l) => [fields(l).id, fields(l)]));
    expect(byId.get('1')).toMatchObject({ name: 'alpha', db: '3', flags: 'N', cmd: 'client|list' });
    expect(byId.get('2')).toMatchObject({ flags: 'P', sub: '2', psub: '0', cmd: 'subscribe' });
    expect(byId.get('3')).toMatchObject({ flags: 'x', multi: '1' });
    expect(byId.get('4')).toMatchObject({ flags: 'b', cmd: 'waitfork' });
  });

  it('filters by TYPE and by ID', () => {
    const h = createHarness();
    const a = h.client();
    const b = h.client();
    b.call('SUBSCRIBE', 'news');
    const ids = (r: Reply) => lines(r).map((l) => fields(l).id);
    expect(ids(a.call('CLIENT', 'LIST', 'TYPE', 'normal'))).toEqual(['1']);
    expect(ids(a.call('CLIENT', 'LIST', 'type', 'PUBSUB'))).toEqual(['2']);
    expect(ids(a.call('CLIENT', 'LIST', 'TYPE', 'replica'))).toEqual([]);
    expect(ids(a.call('CLIENT', 'LIST', 'ID', '2', '99', '1'))).toEqual(['2', '1']);
  });

  it('rejects bad types, ids and options', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'LIST', 'TYPE', 'foo')).toEqual(new ErrorReply("ERR Unknown client type 'foo'"));
    expect(c.call('CLIENT', 'LIST', 'ID', '1', 'abc')).toEqual(new ErrorReply('ERR Invalid client ID'));
    expect(c.call('CLIENT', 'LIST', 'ID')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CLIENT', 'LIST', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

describe('CLIENT KILL', () => {
  it('old form kills by address and answers OK, or fails when nobody matches', () => {
    const h = createHarness();
    const c = h.client();
    const other = connectFrom(h.core, '10.0.0.2:4000');
    expect(c.call('CLIENT', 'KILL', '10.0.0.2:4000')).toEqual(OK_REPLY);
    expect(other.closed()).toBe(true);
    expect(h.core.clients.has(other.client.id)).toBe(false);
    expect(c.call('CLIENT', 'KILL', '10.0.0.2:4000')).toEqual(new ErrorReply('ERR No such client'));
  });

  it('old form may kill the caller, after its reply', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CLIENT', 'KILL', '127.0.0.1:50000')).toEqual(OK_REPLY);
    expect(c.closed).toBe(true);
  });

  it('new form filters by ID, ADDR, LADDR, TYPE and USER and counts the kills', () => {
    const h = createHarness();
    const c = h.client();
    const x = connectFrom(h.core, '10.0.0.2:4000');
    const y = connectFrom(h.core, '10.0.0.3:4000');
    const z = connectFrom(h.core, '10.0.0.4:4000');
    expect(c.call('CLIENT', 'KILL', 'ID', String(x.client.id))).toBe(1);
    expect(x.closed()).toBe(true);
    expect(c.call('CLIENT', 'KILL', 'ID', '999')).toBe(0);
    expect(c.call('CLIENT', 'KILL', 'ADDR', '10.0.0.3:4000', 'TYPE', 'pubsub')).toBe(0);
    expect(c.call('CLIENT', 'KILL', 'ADDR', '10.0.0.3:4000', 'LADDR', '127.0.0.1:6379')).toBe(1);
    expect(y.closed()).toBe(true);
    // SKIPME defaults to yes: the caller survives a kill that matches it.
    expect(c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'USER', 'default')).toBe(1);
    expect(z.closed()).toBe(true);
    expect(c.closed).toBe(false);
  });

  it('SKIPME no kills the caller too', () => {
    const h = createHarness();
    const c = h.client();
    connectFrom(h.core, '10.0.0.2:4000');
    expect(c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no')).toBe(2);
    expect(c.closed).toBe(true);
    expect(h.core.clients.size).toBe(0);
  });

  it('rejects bad options with Redis texts', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'KILL', 'ID', 'abc')).toEqual(new ErrorReply('ERR client-id should be greater than 0'));
    expect(c.call('CLIENT', 'KILL', 'ID', '0')).toEqual(new ErrorReply('ERR client-id should be greater than 0'));
    expect(c.call('CLIENT', 'KILL', 'TYPE', 'foo')).toEqual(new ErrorReply("ERR Unknown client type 'foo'"));
    expect(c.call('CLIENT', 'KILL', 'USER', 'bob')).toEqual(new ErrorReply("ERR No such user 'bob'"));
    expect(c.call('CLIENT', 'KILL', 'SKIPME', 'maybe')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CLIENT', 'KILL', 'foo', 'bar')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CLIENT', 'KILL', 'ID', '5', 'TYPE')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CLIENT', 'KILL')).toEqual(new ErrorReply("ERR wrong number of arguments for 'client|kill' command"));
  });
});

describe('CLIENT REPLY', () => {
  it('OFF silences replies until ON', () => {
    const c = createHarness().client();
    c.send('CLIENT', 'REPLY', 'OFF');
    c.send('ECHO', 'hidden');
    expect(c.next()).toBeUndefined();
    expect(c.call('CLIENT', 'REPLY', 'ON')).toEqual(OK_REPLY);
    expect(c.call('ECHO', 'shown')).toBe('shown');
  });

  it('SKIP silences only the next command', () => {
    const c = createHarness().client();
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('ECHO', 'hidden');
    expect(c.next()).toBeUndefined();
    expect(c.call('ECHO', 'one')).toBe('one');
    expect(c.call('ECHO', 'two')).toBe('two');
  });

  it('SKIP right after SKIP silences the command after it as well', () => {
    const c = createHarness().client();
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('ECHO', 'hidden');
    expect(c.next()).toBeUndefined();
    expect(c.call('ECHO', 'shown')).toBe('shown');
  });

  it('SKIP under OFF changes nothing', () => {
    const c = createHarness().client();
    c.send('CLIENT', 'REPLY', 'OFF');
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('ECHO', 'hidden');
    c.send('ECHO', 'hidden too');
    expect(c.next()).toBeUndefined();
    expect(c.call('CLIENT', 'REPLY', 'ON')).toEqual(OK_REPLY);
  });

  it('rejects other modes', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'REPLY', 'maybe')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

describe('CLIENT UNBLOCK', () => {
  it('TIMEOUT answers the blocked command with its timeout reply', () => {
    const h = createHarness({ commands: [...allCommands, waitForK] });
    const blocked = h.client();
    const c = h.client();
    blocked.send('WAITFORK');
    expect(blocked.next()).toBeUndefined();
    expect(c.call('CLIENT', 'UNBLOCK', String(blocked.client.id))).toBe(1);
    expect(blocked.next()).toEqual(NULL_ARRAY);
    expect(blocked.client.blocked).toBe(null);
    expect(c.call('CLIENT', 'UNBLOCK', String(blocked.client.id), 'TIMEOUT')).toBe(0);
  });

  it('ERROR answers with an UNBLOCKED error and the client goes on with its next command', () => {
    const h = createHarness({ commands: [...allCommands, waitForK] });
    const blocked = h.client();
    const c = h.client();
    blocked.send('WAITFORK');
    blocked.send('ECHO', 'after');
    expect(c.call('CLIENT', 'UNBLOCK', String(blocked.client.id), 'error')).toBe(1);
    expect(blocked.next()).toEqual(new ErrorReply('UNBLOCKED client unblocked via CLIENT UNBLOCK'));
    expect(blocked.next()).toBe('after');
    expect(h.core.stats.errors.get('UNBLOCKED')).toBe(1);
  });

  it('answers 0 for clients that are not blocked and rejects bad arguments', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'UNBLOCK', '999')).toBe(0);
    expect(c.call('CLIENT', 'UNBLOCK', 'abc')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('CLIENT', 'UNBLOCK', '1', 'foo')).toEqual(
      new ErrorReply('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR'),
    );
    expect(c.call('CLIENT', 'UNBLOCK', '1', 'timeout', 'x')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."),
    );
  });
});

describe('CLIENT NO-EVICT, NO-TOUCH, SETINFO, HELP', () => {
  it('NO-EVICT shows as the e flag; NO-TOUCH is accepted; both take ON or OFF', () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'NO-EVICT', 'on')).toEqual(OK_REPLY);
    expect(fields(String(c.call('CLIENT', 'INFO')).trim()).flags).toBe('e');
    expect(c.call('CLIENT', 'NO-EVICT', 'OFF')).toEqual(OK_REPLY);
    expect(fields(String(c.call('CLIENT', 'INFO')).trim()).flags).toBe('N');
    expect(c.call('CLIENT', 'NO-EVICT', 'maybe')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('CLIENT', 'NO-TOUCH', 'on')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'NO-TOUCH', 'x')).toEqual(new ErrorReply('ERR syntax error'));
  });

  it('SETINFO records the library name and version', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'redis-py')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'SETINFO', 'lib-ver', '5.0.1')).toEqual(OK_REPLY);
    expect([c.client.libName, c.client.libVer]).toEqual(['redis-py', '5.0.1']);
    expect(c.call('CLIENT', 'SETINFO', 'lib-name', 'a b')).toEqual(
      new ErrorReply('ERR lib-name cannot contain spaces, newlines or special characters.'),
    );
    expect(c.call('CLIENT', 'SETINFO', 'color', 'red')).toEqual(new ErrorReply("ERR Unrecognized option 'color'"));
  });

  it('HELP starts with the usage line and unknown subcommands point to it', () => {
    const c = createHarness().client();
    const help = c.call('CLIENT', 'HELP') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help).toContainEqual(new SimpleString('UNBLOCK <clientid> [TIMEOUT|ERROR]'));
    expect(c.call('CLIENT', 'FOO')).toEqual(new ErrorReply("ERR unknown subcommand 'FOO'. Try CLIENT HELP."));
  });
});

describe('COMMAND', () => {
  it('COUNT is the size of the command table and COMMAND lists every command', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('COMMAND', 'COUNT')).toBe(h.core.commands.size);
    const all = c.call('COMMAND') as Reply[][];
    expect(all).toHaveLength(h.core.commands.size);
    expect(all.map((e) => e[0])).toContain('client');
  });

  it('INFO get reports arity, flags, keys, categories and key specs like Redis 7.0', () => {
    const c = createHarness().client();
    const [get] = c.call('COMMAND', 'INFO', 'get') as Reply[][];
    expect(get).toEqual([
      'get',
      2,
      [new SimpleString('readonly'), new SimpleString('fast')],
      1,
      1,
      1,
      [new SimpleString('@read'), new SimpleString('@string'), new SimpleString('@fast')],
      [],
      [
        [
          'flags',
          [new SimpleString('RO'), new SimpleString('access')],
          'begin_search',
          ['type', 'index', 'spec', ['index', 1]],
          'find_keys',
          ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]],
        ],
      ],
      [],
    ]);
  });

  it('INFO finds subcommands by full name, nests them under their container, and answers null when unknown', () => {
    const c = createHarness().client();
    const [cfgGet, none] = c.call('COMMAND', 'INFO', 'CONFIG|GET', 'nosuch') as Reply[][];
    expect(cfgGet.slice(0, 7)).toEqual([
      'config|get',
      -3,
      ['admin', 'noscript', 'loading', 'stale'].map((f) => new SimpleString(f)),
      0,
      0,
      0,
      ['@admin', '@slow', '@dangerous'].map((f) => new SimpleString(f)),
    ]);
    expect(none).toBe(null);
    const [cfg] = c.call('COMMAND', 'INFO', 'config') as Reply[][];
    expect(cfg[6]).toEqual([new SimpleString('@slow')]);
    expect((cfg[9] as Reply[][]).map((s) => s[0])).toContain('config|set');
    const [cmd] = c.call('COMMAND', 'INFO', 'command') as Reply[][];
    expect((cmd[9] as Reply[][]).map((s) => s[0])).toContain('command|count');
  });

  it('uses RESP3 sets for flags and categories', () => {
    const c = createHarness().client();
    c.call('HELLO', '3');
    const [get] = c.call('COMMAND', 'INFO', 'get') as Reply[][];
    expect(get[2]).toEqual(new SetReply([new SimpleString('readonly'), new SimpleString('fast')]));
    expect(get[9]).toEqual(new SetReply([]));
  });

  it('LIST names commands and subcommands, with FILTERBY', () => {
    const c = createHarness().client();
    const all = c.call('COMMAND', 'LIST') as string[];
    expect(all).toContain('get');
    expect(all).toContain('config|get');
    expect(c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*')).toEqual([
      'config',
      'config|get',
      'config|set',
      'config|rewrite',
      'config|help',
      'config|resetstat',
    ]);
    const admin = c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'admin') as string[];
    expect(admin).toContain('config|set');
    expect(admin).not.toContain('get');
    expect(c.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x')).toEqual([]);
    expect(c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch')).toEqual([]);
    expect(c.call('COMMAND', 'LIST', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('COMMAND', 'LIST', 'FILTERBY', 'colour', 'x')).toEqual(new ErrorReply('ERR syntax error'));
  });

  it('DOCS gives summary, since and group, with subcommands for containers', () => {
    const c = createHarness().client();
    c.call('HELLO', '3');
    const docs = c.call('COMMAND', 'DOCS', 'get', 'nosuch', 'config') as MapReply;
    expect(docs.entries.map(([k]) => k)).toEqual(['get', 'config']);
    const get = docs.entries[0][1] as MapReply;
    expect(get.entries.map(([k]) => k)).toEqual(['summary', 'since', 'group']);
    expect(get.entries[2][1]).toBe('string');
    const cfg = docs.entries[1][1] as MapReply;
    const subs = cfg.entries.find(([k]) => k === 'subcommands')![1] as MapReply;
    expect(subs.entries.map(([k]) => k)).toContain('config|get');
  });

  it('GETKEYS and GETKEYSANDFLAGS find the keys of a full command', () => {
    const c = createHarness().client();
    expect(c.call('COMMAND', 'GETKEYS', 'SET', 'a', 'b')).toEqual(['a']);
    expect(c.call('COMMAND', 'GETKEYS', 'mset', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
    const flags = (...f: string[]) => f.map((x) => new SimpleString(x));
    expect(c.call('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b')).toEqual([['a', flags('OW', 'update')]]);
    expect(c.call('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET')).toEqual([['a', flags('RW', 'access', 'update')]]);
    expect(c.call('COMMAND', 'GETKEYSANDFLAGS', 'zunionstore', 'd', '2', 'a', 'b')).toEqual([
      ['d', flags('OW', 'update')],
      ['a', flags('RO', 'access')],
      ['b', flags('RO', 'access')],
    ]);
  });

  it('GETKEYS reports the Redis errors', () => {
    const c = createHarness().client();
    expect(c.call('COMMAND', 'GETKEYS', 'nosuch', 'a')).toEqual(new ErrorReply('ERR Invalid command specified'));
    expect(c.call('COMMAND', 'GETKEYS', 'ping', 'x')).toEqual(new ErrorReply('ERR The command has no key arguments'));
    expect(c.call('COMMAND', 'GETKEYS', 'config', 'get', 'x')).toEqual(new ErrorReply('ERR The command has no key arguments'));
    expect(c.call('COMMAND', 'GETKEYS', 'set', 'a')).toEqual(
      new ErrorReply('ERR Invalid number of arguments specified for command'),
    );
    expect(c.call('COMMAND', 'GETKEYS', 'get')).toEqual(
      new ErrorReply("ERR wrong number of arguments for 'command|getkeys' command"),
    );
  });

  it('HELP, unknown subcommands and wrong arity', () => {
    const c = createHarness().client();
    const help = c.call('COMMAND', 'HELP') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help[1]).toEqual(new SimpleString('(no subcommand)'));
    expect(c.call('COMMAND', 'FOO')).toEqual(new ErrorReply("ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
    expect(c.call('COMMAND', 'COUNT', 'x')).toEqual(new ErrorReply("ERR wrong number of arguments for 'command|count' command"));
  });
});

describe('TIME, LASTSAVE, SAVE, BGSAVE', () => {
  it('TIME gives seconds and microseconds as bulk strings', () => {
    const c = createHarness({ now: NOW }).client();
    expect(c.call('TIME')).toEqual(['1700000000', '123000']);
  });

  it('LASTSAVE is the start time in seconds', () => {
    const h = createHarness({ now: NOW });
    h.clock.advance(60_000);
    expect(h.client().call('LASTSAVE')).toBe(1_700_000_000);
  });

  it('SAVE and BGSAVE say that nothing is written to disk', () => {
    const c = createHarness().client();
    expect(c.call('SAVE')).toEqual(
      new ErrorReply('ERR SAVE is not supported: this server keeps data in memory only and does not write RDB or AOF files'),
    );
    expect(c.call('BGSAVE', 'SCHEDULE')).toEqual(
      new ErrorReply('ERR BGSAVE is not supported: this server keeps data in memory only and does not write RDB or AOF files'),
    );
    expect(c.call('BGSAVE', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

describe('SHUTDOWN', () => {
  it('asks the host to stop and sends no reply', () => {
    let stopped = 0;
    const { client } = hostedCore({ shutdown: () => stopped++ });
    const c = client();
    c.send('SHUTDOWN', 'NOSAVE');
    expect(stopped).toBe(1);
    expect(c.next()).toBeUndefined();
  });

  it('fails when the runtime cannot stop, or when asked to save', () => {
    let stopped = 0;
    expect(createHarness().client().call('SHUTDOWN')).toEqual(new ErrorReply('ERR Errors trying to SHUTDOWN. Check logs.'));
    const c = hostedCore({ shutdown: () => stopped++ }).client();
    expect(c.call('SHUTDOWN', 'SAVE')).toEqual(new ErrorReply('ERR Errors trying to SHUTDOWN. Check logs.'));
    expect(stopped).toBe(0);
  });

  it('checks its options like Redis', () => {
    const c = createHarness().client();
    expect(c.call('SHUTDOWN', 'ABORT')).toEqual(new ErrorReply('ERR No shutdown in progress.'));
    expect(c.call('SHUTDOWN', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'SAVE', 'NOSAVE')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'ABORT', 'NOW')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

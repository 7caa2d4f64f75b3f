import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { RespConnection } from './helpers/resp-connection.js';
import { freePort, run, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

describe('node server: real clients over TCP and WebSocket', () => {
  let server: ServerProcess;
  let redis: Redis;

  beforeAll(async () => {
    server = await startServer();
    redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('serves ioredis: strings, pipelines, transactions, pub/sub', async () => {
    expect(await redis.set('greeting', 'hello')).toBe('OK');
    expect(await redis.get('greeting')).toBe('hello');
    expect(await redis.incr('counter')).toBe(1);
    const results = await redis.pipeline().set('a', '1').incrby('a', 41).get('a').exec();
    expect(results?.map(([, v]) => v)).toEqual(['OK', 42, '42']);
    expect(await redis.multi().set('t', 'x').get('t').exec()).toEqual([[null, 'OK'], [null, 'x']]);
    const sub = redis.duplicate();
    const got = new Promise<[string, string]>((resolve) => sub.on('message', (ch, msg) => resolve([ch, msg])));
    await sub.subscribe('news');
    expect(await redis.publish('news', 'flash')).toBe(1);
    expect(await got).toEqual(['news', 'flash']);
    sub.disconnect();
    await expect(redis.call('nosuchcommand', 'x')).rejects.toThrow(
      "ERR unknown command 'nosuchcommand', with args beginning with: 'x' ",
    );
  });

  it('serves redis-cli: commands, INFO and an inline session on stdin', async () => {
    const cli = (...args: string[]) => run('redis-cli', ['-p', String(server.port), ...args]);
    expect((await cli('SET', 'cli:k', 'v')).stdout.trim()).toBe('OK');
    expect((await cli('GET', 'cli:k')).stdout.trim()).toBe('v');
    const info = await cli('INFO', 'server');
    expect(info.stdout).toContain('# Server');
    expect(info.stdout).toContain(`tcp_port:${server.port}`);
    const piped = await run('redis-cli', ['-p', String(server.port)], 'SET cli:p "a b"\nGET cli:p\nDBSIZE\n');
    expect(piped.stdout.split('\n').slice(0, 2)).toEqual(['OK', 'a b']);
  });

  it('carries the same RESP bytes over a WebSocket on the HTTP port, split anywhere', async () => {
    const ws = await RespConnection.websocket(`ws://127.0.0.1:${server.httpPort}/`);
    const bytes = '*3\r\n$3\r\nSET\r\n$5\r\nws:k1\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$5\r\nws:k1\r\nPING\r\n';
    for (let i = 0; i < bytes.length; i += 3) ws.sendRaw(bytes.slice(i, i + 3));
    expect(await ws.next()).toEqual(new SimpleString('OK'));
    expect(await ws.next()).toBe('v1');
    expect(await ws.next()).toEqual(new SimpleString('PONG'));
    // The same keyspace as TCP.
    expect(await redis.get('ws:k1')).toBe('v1');
    ws.close();
  });

  it('answers GET /health and GET /info over HTTP', async () => {
    const health = await fetch(`http://127.0.0.1:${server.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', role: 'master' });
    const info = await (await fetch(`http://127.0.0.1:${server.httpPort}/info`)).text();
    expect(info).toContain('# Server');
    expect(info).toContain('redis_version:');
  });

  it('closes only the connection that sent malformed RESP, with Redis error text', async () => {
    const good = await RespConnection.tcp(server.port);
    expect(await good.call('SET', 'safe', 'kept')).toEqual(new SimpleString('OK'));
    const cases: Array<[string, string]> = [
      ['*1\r\nfoo\r\n', "ERR Protocol error: expected '$', got 'f'"],
      ['*1\r\n$-5\r\n', 'ERR Protocol error: invalid bulk length'],
      ['*1\r\n$999999999999\r\n', 'ERR Protocol error: invalid bulk length'],
      ['*abc\r\n', 'ERR Protocol error: invalid multibulk length'],
      ['SET "unbalanced\r\n', 'ERR Protocol error: unbalanced quotes in request'],
    ];
    for (const [input, message] of cases) {
      const bad = await RespConnection.tcp(server.port);
      bad.sendRaw(input);
      expect(await bad.next()).toEqual(new ErrorReply(message));
      await bad.waitClosed();
    }
    expect(await good.call('GET', 'safe')).toBe('kept');
    good.close();
  });

  it('replies with Redis errors for wrong arity, wrong type and non-integers, and keeps going', async () => {
    const c = await RespConnection.tcp(server.port);
    expect(await c.call('GET')).toEqual(new ErrorReply("ERR wrong number of arguments for 'get' command"));
    await c.call('LPUSH', 'err:list', 'x');
    expect(await c.call('GET', 'err:list')).toEqual(
      new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
    );
    await c.call('SET', 'err:s', 'abc');
    expect(await c.call('INCR', 'err:s')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(await c.call('GET', 'err:s')).toBe('abc');
    c.close();
  });

  it('runs redis-benchmark to completion without errors', async () => {
    const r = await run(
      'redis-benchmark',
      ['-p', String(server.port), '-q', '-n', '2000', '-c', '10', '-t', 'set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset'],
      undefined,
      120_000,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error/i);
    for (const t of ['SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'MSET']) {
      expect(r.stdout).toMatch(new RegExp(`(?:^|[\\r\\n ])${t}(?: \\(10 keys\\))?: [\\d.]+ requests per second`));
    }
    expect(r.stdout).toMatch(/LRANGE_100 \(first 100 elements\): [\d.]+ requests per second/);
  });
});

describe('node server: configuration, auth and lifecycle', () => {
  it('requires AUTH with requirepass, on TCP and WebSocket', async () => {
    const server = await startServer(['--requirepass', 's3cret']);
    try {
      for (const c of [await RespConnection.tcp(server.port), await RespConnection.websocket(`ws://127.0.0.1:${server.httpPort}/`)]) {
        expect(await c.call('GET', 'k')).toEqual(new ErrorReply('NOAUTH Authentication required.'));
        expect(await c.call('AUTH', 'wrong')).toEqual(
          new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.'),
        );
        expect(await c.call('AUTH', 's3cret')).toEqual(new SimpleString('OK'));
        expect(await c.call('PING')).toEqual(new SimpleString('PONG'));
        c.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('reads a redis.conf file, with flags overriding it, and rejects unknown directives', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'conf-'));
    const file = path.join(dir, 'redis.conf');
    writeFileSync(file, '# a comment\ndatabases 4\nrequirepass "from file"\nhz 20\n');
    const server = await startServer(['--requirepass', 'from-flag'], { configFile: file });
    try {
      const c = await RespConnection.tcp(server.port);
      expect(await c.call('AUTH', 'from-flag')).toEqual(new SimpleString('OK'));
      expect(await c.call('SELECT', '4')).toEqual(new ErrorReply('ERR DB index is out of range'));
      expect(await c.call('CONFIG', 'GET', 'hz')).toEqual(['hz', '20']);
      c.close();
    } finally {
      await server.stop();
    }
    writeFileSync(file, 'no-such-directive yes\n');
    const bad = await run(process.execPath, ['--import', 'tsx', 'server/main.ts', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("*** FATAL CONFIG FILE ERROR *** line 1: Bad directive or wrong number of arguments: 'no-such-directive'");
  });

  it('reports a port in use in one line and exits 1', async () => {
    const server = await startServer();
    try {
      const httpPort = await freePort();
      const dir = mkdtempSync(path.join(tmpdir(), 'port-in-use-'));
      const r = await run(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', String(server.port), '--bind', '127.0.0.1', '--http-port', String(httpPort), '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Could not create server TCP listening socket 127.0.0.1:${server.port}: bind: Address already in use`);
    } finally {
      await server.stop();
    }
  });

  it('shuts down gracefully on SIGTERM and on SHUTDOWN', async () => {
    const a = await startServer();
    expect(await a.stop()).toBe(0);
    expect(a.output()).toContain('Received SIGTERM scheduling shutdown');
    const b = await startServer();
    const c = await RespConnection.tcp(b.port);
    c.send('SHUTDOWN', 'NOSAVE');
    await c.waitClosed();
    await waitFor(() => b.proc.exitCode !== null, 10_000, 'exit after SHUTDOWN');
    expect(b.proc.exitCode).toBe(0);
  });
});

import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

describe('startup directives of redis.conf', () => {
  it('listens on unixsocket with unixsocketperm, writes the pidfile, and logs its pid as Redis does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'startup-'));
    const socketPath = path.join(dir, 'redis.sock');
    const pidfile = path.join(dir, 'redis.pid');
    const s = await startServer(['--unixsocket', socketPath, '--unixsocketperm', '700', '--pidfile', pidfile, '--always-show-logo', 'yes']);
    servers.push(s);
    const c = await RespConnection.unix(socketPath);
    try {
      expect(await c.call('PING')).toEqual({ value: 'PONG' });
      const list = (await c.call('CLIENT', 'LIST')) as string;
      expect(list).toContain(`addr=${socketPath}:0`);
    } finally {
      c.close();
    }
    expect(statSync(socketPath).mode & 0o777).toBe(0o700);
    const pid = s.proc.pid!;
    expect(readFileSync(pidfile, 'utf8')).toBe(`${pid}\n`);
    // Redis's test suite finds a server's pid in its log as " PID: <pid>" (the logo always-show-logo prints).
    expect(s.output()).toContain(` PID: ${pid}`);
    expect(s.output()).toMatch(new RegExp(`Redis version=\\S+, bits=64, commit=\\S+, modified=0, pid=${pid}, just started`));
    await s.stop();
    servers.length = 0;
    expect(existsSync(pidfile)).toBe(false);
  });
});

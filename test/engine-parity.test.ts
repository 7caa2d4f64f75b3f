import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config } from '../shared/engine/config.js';
import { NodeServer } from '../server/node-server.js';
import { freePort, run, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * Connection behaviours Redis's own test suite checks, against the Node server over real sockets.
 */
describe('node server: connection behaviours as Redis', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  /**
   * Connects with half-open allowed (so our side keeps writing after the server's FIN), sends `prefix`, then
   * keeps sending bytes until a write fails; resolves with what was received by then.
   */
  function sendUntilReset(prefix: string): Promise<{ received: string; error: string }> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
      let received = '';
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        s.destroy();
        reject(new Error(`connection still writable after 10 s; received ${JSON.stringify(received)}`));
      }, 10_000);
      s.on('data', (d) => (received += d.toString('latin1')));
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ received, error: e.code ?? e.message });
      });
      s.on('connect', () => {
        s.write(prefix, 'latin1');
        const chunk = Buffer.from('payload'.repeat(1024));
        const pump = () => {
          if (done || s.destroyed) return;
          s.write(chunk, () => setImmediate(pump));
        };
        pump();
      });
    });
  }

  it.each([
    ['\x00', 'ERR Protocol error: too big inline request'],
    ['*\x00', 'ERR Protocol error: too big mbulk count string'],
    ['$\x00', 'ERR Protocol error: too big inline request'],
  ])('closes the connection for good after a protocol desync (%j), so the peer cannot keep writing', async (prefix, text) => {
    const { received, error } = await sendUntilReset(prefix);
    expect(['EPIPE', 'ECONNRESET']).toContain(error);
    // The reply may be lost to the reset on the peer's side; when it arrived, it is Redis's text.
    if (received !== '') expect(received).toBe(`-${text}\r\n`);
  });
});

describe('node server: moving the listener', () => {
  it('a port that cannot be bound leaves the server on its old port (restored, and logged)', async () => {
    const [first, http] = [await freePort(), await freePort()];
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as net.AddressInfo).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-'));
    const config = new Config({ port: String(first), 'http-port': String(http), bind: '127.0.0.1', dir, save: '' });
    const server = new NodeServer({ config });
    await server.start();
    try {
      expect((await run('redis-cli', ['-p', String(first), 'CONFIG', 'SET', 'port', String(busy)])).stdout.trim()).toBe('OK');
      await waitFor(async () => server.tcpPort === first && config.int('port') === first, 5000, 'the old port to be restored');
      expect((await run('redis-cli', ['-p', String(first), 'PING'])).stdout.trim()).toBe('PONG');
    } finally {
      await server.stop();
      blocker.close();
    }
  });

  it('a change of port closes the old listener and binds the new one; connected clients stay', async () => {
    const [first, second, http] = [await freePort(), await freePort(), await freePort()];
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-'));
    const config = new Config({ port: String(first), 'http-port': String(http), bind: '127.0.0.1', dir, save: '' });
    const server = new NodeServer({ config });
    await server.start();
    try {
      const ping = (port: number) => run('redis-cli', ['-p', String(port), 'PING']);
      expect((await ping(first)).stdout.trim()).toBe('PONG');
      expect((await run('redis-cli', ['-p', String(first), 'CONFIG', 'SET', 'port', String(second)])).stdout.trim()).toBe('OK');
      await waitFor(async () => server.tcpPort === second, 5000, 'the listener to move');
      expect(server.tcpPort).toBe(second);
      expect((await ping(second)).stdout.trim()).toBe('PONG');
      expect((await ping(first)).stdout).not.toContain('PONG');
    } finally {
      await server.stop();
    }
  });
});

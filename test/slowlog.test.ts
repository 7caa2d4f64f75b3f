import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleString } from '../shared/resp/reply.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer(['--slowlog-log-slower-than', '20000']);
});
afterAll(async () => {
  await server?.stop();
});

describe('SLOWLOG on the Node server', () => {
  it('times commands with the monotonic clock: DEBUG SLEEP 0.05 is logged at 50 ms or more, a fast GET is not', async () => {
    const c = await RespConnection.tcp(server.port);
    try {
      expect(await c.call('GET', 'k')).toBeNull();
      expect(await c.call('DEBUG', 'SLEEP', '0.05')).toEqual(new SimpleString('OK'));
      const entries = (await c.call('SLOWLOG', 'GET')) as Array<[number, number, number, string[], string, string]>;
      expect(entries).toHaveLength(1);
      const [, time, micros, argv] = entries[0];
      expect(argv).toEqual(['DEBUG', 'SLEEP', '0.05']);
      expect(micros).toBeGreaterThanOrEqual(50_000);
      expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      c.close();
    }
  });
});

import { Hono } from 'hono';
import { infoText } from '../shared/commands/info.js';
import type { ServerCore } from '../shared/engine/server-core.js';

/**
 * The HTTP routes beside the RESP WebSocket (which the Node server attaches to the same HTTP server):
 * `GET /health` for load balancers and `GET /info` for humans and scrapers.
 */
export function createHttpApp(core: ServerCore): Hono {
  const app = new Hono();
  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      role: core.isReplica() ? 'replica' : 'master',
      uptime_in_seconds: Math.floor((core.now() - core.startedAt) / 1000),
      connected_clients: core.clients.size,
    }),
  );
  app.get('/info', (c) => {
    const sections = (c.req.query('section') ?? '').split(',').filter(Boolean);
    return c.text(infoText(core, sections.length ? sections : ['default']));
  });
  app.get('/info/:section', (c) => c.text(infoText(core, [c.req.param('section')])));
  return app;
}

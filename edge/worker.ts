import { Hono, type Context } from 'hono';
import type { Env } from './env.js';

export { StoreObject } from './store-object.js';

/** Store names route to Durable Objects: URL-safe, up to 128 characters. */
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const USAGE = `redis-replica-ts edge master
  GET  /store/<name>            WebSocket upgrade: RESP, as a Redis connection (clients and replicas)
  POST /store/<name>            one command: JSON ["SET","k","v"], or a RESP body
  POST /store/<name>/pipeline   JSON [["SET","k","v"],["GET","k"]]
  Authorization: Bearer <AUTH_SECRET> authenticates HTTP commands; WebSocket clients send AUTH.
`;

type AppContext = Context<{ Bindings: Env }>;

/**
 * Forwards the request, untouched, to the store's Durable Object. A WebSocket upgrade must reach the object
 * as the original request: the object accepts the socket with the Hibernation API (hono's upgradeWebSocket
 * would accept it here, in the Worker, which keeps the connection out of the object's hands).
 */
async function toStore(c: AppContext): Promise<Response> {
  const name = c.req.param('name') ?? '';
  if (!STORE_NAME.test(name)) return c.text('Invalid store name: use letters, digits and . _ : - (up to 128)\n', 400);
  if (!c.env.AUTH_SECRET) {
    return c.text('AUTH_SECRET is not set: `npx wrangler secret put AUTH_SECRET` (locally: AUTH_SECRET=... in .dev.vars)\n', 503);
  }
  const stub = c.env.STORE.get(c.env.STORE.idFromName(name));
  return stub.fetch(c.req.raw);
}

/** The Worker: routes `/store/:name` to one Durable Object per store name. */
export const app = new Hono<{ Bindings: Env }>();

app.get('/', (c) => c.text(USAGE));
app.get('/health', (c) => c.json({ status: 'ok' }));
app.get('/store/:name', async (c) => {
  if ((c.req.header('upgrade') ?? '').toLowerCase() !== 'websocket') {
    return c.text('Expected a WebSocket upgrade: this endpoint speaks RESP over WebSocket\n', 426);
  }
  return toStore(c);
});
app.post('/store/:name', toStore);
app.post('/store/:name/pipeline', toStore);

export default app;

/**
 * Runs the edge Worker locally in workerd, as `wrangler dev` does, from the project's wrangler.toml, for the
 * edge tests. Unlike `wrangler dev` it does not reload when source files change (a reload would drop the
 * sockets under a test). Usage: start-edge.ts <port> <persist-dir> <secret> [store-config]
 * Prints "edge ready on <url>" when it accepts requests; SIGINT or SIGTERM stops workerd and exits.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_startWorker } from 'wrangler';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const [port, persist, secret, storeConfig] = process.argv.slice(2);

const worker = await unstable_startWorker({
  config: path.join(ROOT, 'wrangler.toml'),
  bindings: {
    AUTH_SECRET: { type: 'secret_text', value: secret },
    ...(storeConfig ? { STORE_CONFIG: { type: 'plain_text', value: storeConfig } } : {}),
  },
  sendMetrics: false,
  dev: {
    watch: false,
    persist,
    inspector: false,
    server: { hostname: '127.0.0.1', port: Number(port) },
    logLevel: 'log',
  },
});
await worker.ready;
process.stdout.write(`edge ready on ${String(await worker.url)}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void worker.dispose().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type InlineConfig, type Plugin } from 'vite';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Prints each emitted JS chunk's minified and min+gzip sizes (the SDK's budget is stated in bytes gzipped). */
export function sizeReport(): Plugin {
  return {
    name: 'size-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [file, out] of Object.entries(bundle)) {
        if (out.type !== 'chunk') continue;
        const min = Buffer.byteLength(out.code);
        const gz = gzipSync(out.code, { level: 9 }).length;
        this.info(`${file}: ${(min / 1024).toFixed(1)} KB min, ${(gz / 1024).toFixed(1)} KB min+gzip`);
        // Plain console too: vite prints plugin info only at some log levels.
        console.log(`[size] ${file}: ${min} bytes min, ${gz} bytes min+gzip`);
      }
    },
  };
}

/** The SDK as one ESM library file (dist/sdk/redis-replica.js), idb bundled in. */
export function sdkBuildConfig(outDir = path.join(ROOT, 'dist/sdk')): InlineConfig {
  return {
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      // Vite keeps whitespace in ES library output (to keep pure annotations); the SDK ships as it is built,
      // so minify the emitted file completely.
      rolldownOptions: { output: { minify: true } },
      lib: {
        entry: path.join(ROOT, 'client/index.ts'),
        formats: ['es'],
        fileName: () => 'redis-replica.js',
      },
    },
    plugins: [sizeReport()],
  };
}

/** The demo page (client/demo), served by `npm run demo` or built to dist/demo. */
export function demoConfig(outDir = path.join(ROOT, 'dist/demo')): InlineConfig {
  return {
    configFile: false,
    root: path.join(ROOT, 'client/demo'),
    base: './',
    logLevel: 'warn',
    server: { host: '127.0.0.1' },
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  };
}

// `vite build` builds the SDK; `vite --mode demo` / `vite build --mode demo` serve / build the demo.
export default defineConfig(({ mode }) => (mode === 'demo' ? demoConfig() : sdkBuildConfig()));

import { unlinkSync, writeFileSync } from 'node:fs';
import { ConfigFileError } from '../shared/engine/config.js';
import { SERVER_VERSION } from '../shared/commands/connection.js';
import { parseCommandLine } from './command-line.js';
import { ListenError, NodeServer } from './node-server.js';
import { RdbLoadError } from './rdb-file.js';
import { AclStartupError } from './acl-file.js';
import { AofLoadError } from './aof-loader.js';
import { TlsStartupError } from './tls-support.js';

const USAGE = `Usage: npm start -- [/path/to/redis.conf] [--directive value ...]
Examples:
  npm start                                  (RESP on port 6379, HTTP + WebSocket on 7379)
  npm start -- --port 7000 --http-port 7001
  npm start -- /etc/redis/6379.conf --requirepass secret
  npm start -- --replicaof 127.0.0.1 6379
Directives have redis.conf's names; see README.md for the list and defaults.`;

async function main(): Promise<void> {
  let cli;
  try {
    cli = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(`*** FATAL CONFIG FILE ERROR *** ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  if (cli.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (cli.version) {
    process.stdout.write(`Redis server v=${SERVER_VERSION} (TypeScript, node ${process.version})\n`);
    return;
  }
  let server: NodeServer;
  try {
    server = new NodeServer({ config: cli.config, configFile: cli.configFile, onShutdown: () => process.exit(0) });
  } catch (e) {
    if (e instanceof RdbLoadError || e instanceof AclStartupError || e instanceof TlsStartupError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // Redis's first lines, which tools watching a log rely on (the pid, the version, the mode and port).
  server.logger.log('notice', 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
  server.logger.log('notice', `Redis version=${SERVER_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`);
  server.logger.log('notice', cli.configFile ? 'Configuration loaded' : 'No config file specified, using the default config.');
  const config = cli.config;
  const mode = config.bool('cluster-enabled') ? 'cluster' : 'standalone';
  if (config.bool('always-show-logo')) {
    server.logger.log('notice', `Redis ${SERVER_VERSION} (TypeScript, Node ${process.version}) 64 bit, ${mode} mode, Port: ${config.int('port')}, PID: ${process.pid}`);
  } else {
    server.logger.log('notice', `Running mode=${mode}, port=${config.int('port')}.`);
  }
  try {
    await server.start();
  } catch (e) {
    if (e instanceof ListenError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const pidfile = config.str('pidfile');
  if (pidfile !== '') {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
      process.on('exit', () => {
        try {
          unlinkSync(pidfile);
        } catch {
          // already gone
        }
      });
    } catch (e) {
      server.logger.log('warning', `Failed to write PID file: ${(e as Error).message}`);
    }
  }
  let signalled = false;
  // As Redis: a signal shuts down like SHUTDOWN with shutdown-on-sigterm / shutdown-on-sigint's options, waiting
  // for lagging replicas unless told NOW; if the final save fails the server keeps running and a later signal
  // tries again. A second SIGINT while a shutdown waits exits at once, as Redis's sigShutdownHandler.
  const onSignal = (sig: 'SIGTERM' | 'SIGINT') => {
    const inProgress = server.shutdownInProgress();
    // A wait that was aborted (or a save that failed) leaves no signal pending, as Redis's cancelShutdown.
    if (!inProgress) signalled = false;
    if (signalled && sig === 'SIGINT') {
      server.logger.log('warning', 'You insist... exiting now.');
      process.exit(1);
    }
    server.logger.log('warning', `Received ${sig} scheduling shutdown...`);
    signalled = true;
    // A shutdown already waiting for replicas (SHUTDOWN, an earlier signal) goes on as it is.
    if (inProgress) return;
    // 'finished' and 'waiting' end through onShutdown; 'failed' was logged and the server goes on.
    server.shutdownOnSignal(sig);
  };

  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

void main();

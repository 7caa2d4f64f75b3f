import { readFileSync } from 'node:fs';
import { Config, ConfigFileError, applyDirectives, parseConfigText } from '../shared/engine/config.js';

/** What the command line asked for. */
export interface CommandLine {
  config: Config;
  configFile?: string;
  help?: boolean;
  version?: boolean;
}

/**
 * Parses redis-server's command line: `[configfile] [--directive value ...]`. As in Redis, each `--name` starts a
 * directive whose values are the following arguments up to the next `--name`, and the result is applied after
 * the config file, so flags override it. (node:util parseArgs cannot express multi-value options such as
 * `--replicaof host port` or `--save ''`, so this follows Redis's own loop.)
 */
export function parseCommandLine(argv: string[]): CommandLine {
  let i = 0;
  let configFile: string | undefined;
  if (argv[0] === '-h' || argv[0] === '--help') return { config: new Config(), help: true };
  if (argv[0] === '-v' || argv[0] === '--version') return { config: new Config(), version: true };
  if (argv.length > 0 && !argv[0].startsWith('--')) {
    configFile = argv[0];
    i = 1;
  }
  const directives: Array<{ name: string; args: string[]; line: number }> = [];
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--') && a.length > 2) {
      directives.push({ name: a.slice(2).toLowerCase(), args: [], line: directives.length + 1 });
    } else if (directives.length === 0) {
      throw new ConfigFileError(`Invalid argument '${a}': directives start with --`);
    } else {
      directives[directives.length - 1].args.push(a);
    }
  }
  const config = new Config();
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigFileError(`Fatal error, can't open config file '${configFile}': ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    applyDirectives(config, parseConfigText(text));
  }
  for (const d of directives) {
    if (d.args.length === 0 && d.name !== 'save') {
      throw new ConfigFileError(`command line argument --${d.name}: missing value`);
    }
  }
  try {
    applyDirectives(config, directives);
  } catch (e) {
    throw new ConfigFileError((e as Error).message.replace(/^line \d+: /, 'command line: '));
  }
  return { config, configFile };
}

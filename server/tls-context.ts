import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CIPHERS, createSecureContext, type ConnectionOptions, type SecureVersion, type TlsOptions } from 'node:tls';
import { constants as cryptoConstants } from 'node:crypto';
import type { Config } from '../shared/engine/config.js';

/** The config parameters that make up the TLS context (Redis's redisTLSContextConfig plus the auth mode). */
export const TLS_CONTEXT_PARAMS = [
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-client-key-file-pass',
  'tls-dh-params-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-session-cache-size',
  'tls-session-cache-timeout',
  'tls-auth-clients',
  'tls-replication',
  'tls-cluster',
] as const;

/** Why a TLS context could not be built: Redis's log line (tlsConfigure, createSSLContext). */
export class TlsConfigError extends Error {}

/** TLS is set up at startup, and kept up by CONFIG SET, only when something uses it (Redis's isTlsConfigured). */
export function tlsWanted(config: Config): boolean {
  return config.int('tls-port') !== 0 || config.bool('tls-replication') || config.bool('tls-cluster');
}

/** Everything a listener and an outgoing connection need, checked once so a connection cannot fail on it. */
export interface TlsContexts {
  /** Options for a tls.Server (certificates as bytes, already validated). */
  server: TlsOptions;
  /** Options for tls.connect (a replica to its master, the cluster bus). */
  client: ConnectionOptions;
  /** tls-auth-clients: 'yes' refuses a client without a valid certificate, 'optional' only a bad one. */
  authClients: 'no' | 'yes' | 'optional';
  /** tls-session-cache-size (0: unbounded, as OpenSSL reads it). */
  sessionCacheSize: number;
  sessionCaching: boolean;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
};

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && STRERROR[code]) || (e as Error).message;
}

/** Reads a file as OpenSSL's BIO would fail on it: "error:80000002:system library::No such file or directory". */
function readPem(file: string, at: (f: string) => string, what: string): Buffer {
  try {
    return readFileSync(at(file));
  } catch (e) {
    throw new TlsConfigError(`${what}: ${file}: error:80000002:system library::${strerror(e)}`);
  }
}

/**
 * OpenSSL's error as Redis prints it (ERR_error_string_n of OpenSSL 3: "error:0A0000C7:SSL routines::peer did not
 * return a certificate"), from Node's longer form, which adds the function, source file and line.
 */
export function opensslText(e: unknown): string {
  const m = /error:([0-9A-Fa-f]+):([^:]*):[^:]*:([^:]*)/.exec((e as Error).message);
  return m ? `error:${m[1]}:${m[2]}::${m[3]}` : (e as Error).message;
}

const PROTOCOLS: Record<string, SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};
const ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * tls-protocols as Redis's parseProtocolsConfig reads it (space-separated, case-insensitive; empty: TLSv1.2 and
 * TLSv1.3). Node takes a range, so a set with a gap (TLSv1 TLSv1.3) allows the versions between as well.
 */
export function parseProtocols(text: string): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const tokens = text.split(' ').filter((t) => t !== '');
  if (tokens.length === 0) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const versions = tokens.map((t) => PROTOCOLS[t.toLowerCase()]);
  if (versions.some((v) => v === undefined)) {
    throw new TlsConfigError("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  }
  const idx = versions.map((v) => ORDER.indexOf(v));
  return { minVersion: ORDER[Math.min(...idx)], maxVersion: ORDER[Math.max(...idx)] };
}

/**
 * tls-ca-cert-dir: OpenSSL looks certificates up by subject hash (c_rehash's links); Node takes the list, so every
 * file in the directory holding PEM certificates is trusted, which is what the hashed links point at.
 */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: error:80000002:system library::${strerror(e)}`);
  }
  const out: Buffer[] = [];
  for (const n of names.sort()) {
    const f = path.join(dir, n);
    try {
      if (!statSync(f).isFile()) continue;
      const b = readFileSync(f);
      if (b.includes('-----BEGIN CERTIFICATE-----')) out.push(b);
    } catch {
      // An unreadable entry is skipped, as OpenSSL's directory lookup skips it.
    }
  }
  return out;
}

/** The cipher string Node wants: TLSv1.3 suites (TLS_*) and the TLSv1.2 list, each Redis's or Node's default. */
function cipherString(ciphers: string, suites: string): string {
  const defaults = DEFAULT_CIPHERS.split(':');
  const list = ciphers || defaults.filter((c) => !c.startsWith('TLS_')).join(':');
  const tls13 = suites || defaults.filter((c) => c.startsWith('TLS_')).join(':');
  return `${tls13}:${list}`;
}

function tryContext(options: Parameters<typeof createSecureContext>[0], fail: (text: string) => string): void {
  try {
    createSecureContext(options);
  } catch (e) {
    throw new TlsConfigError(fail(opensslText(e)));
  }
}

/**
 * Builds the server and client TLS settings from the config as Redis's tlsConfigure does, checking every file
 * and option up front. Throws TlsConfigError with the line Redis logs when something is wrong.
 */
export function buildTlsContexts(config: Config): TlsContexts {
  // Redis has chdir'ed to `dir` by the time it reads these files: a relative name is relative to it.
  const dir = config.str('dir');
  const at = (f: string) => path.resolve(dir, f);
  const certFile = config.str('tls-cert-file');
  const keyFile = config.str('tls-key-file');
  if (certFile === '') throw new TlsConfigError('No tls-cert-file configured!');
  if (keyFile === '') throw new TlsConfigError('No tls-key-file configured!');
  const authClients = config.str('tls-auth-clients') as TlsContexts['authClients'];
  const caFile = config.str('tls-ca-cert-file');
  const caDir = config.str('tls-ca-cert-dir');
  if ((authClients !== 'no' || config.bool('tls-cluster') || config.bool('tls-replication')) && caFile === '' && caDir === '') {
    throw new TlsConfigError(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
    );
  }
  const versions = parseProtocols(config.str('tls-protocols'));

  const keyPair = (cf: string, kf: string, pass: string) => {
    const cert = readPem(cf, at, 'Failed to load certificate');
    tryContext({ cert }, (t) => `Failed to load certificate: ${cf}: ${t}`);
    const key = readPem(kf, at, 'Failed to load private key');
    const passphrase = pass === '' ? undefined : pass;
    tryContext({ cert, key, passphrase }, (t) => `Failed to load private key: ${kf}: ${t}`);
    return { cert, key, passphrase };
  };
  const serverPair = keyPair(certFile, keyFile, config.str('tls-key-file-pass'));

  let ca: Buffer[] | undefined;
  if (caFile !== '' || caDir !== '') {
    ca = [];
    if (caFile !== '') {
      let b: Buffer;
      try {
        b = readFileSync(at(caFile));
      } catch (e) {
        throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: error:80000002:system library::${strerror(e)}`);
      }
      ca.push(b);
    }
    if (caDir !== '') ca.push(...readCaDir(at(caDir)));
    tryContext({ ca }, (t) => `Failed to configure CA certificate(s) file/directory: ${t}`);
  }

  const ciphers = config.str('tls-ciphers');
  if (ciphers !== '') tryContext({ ciphers }, () => `Failed to configure ciphers: ${ciphers}`);
  const suites = config.str('tls-ciphersuites');
  if (suites !== '') {
    tryContext({ ciphers: cipherString('', suites) }, () => `Failed to configure ciphersuites: ${suites}`);
  }
  const cipherText = cipherString(ciphers, suites);

  let dhparam: Buffer | undefined;
  const dhFile = config.str('tls-dh-params-file');
  if (dhFile !== '') {
    try {
      dhparam = readFileSync(at(dhFile));
    } catch (e) {
      throw new TlsConfigError(`Failed to load ${dhFile}: ${strerror(e)}`);
    }
    if (!/-----BEGIN (X9\.42 )?DH PARAMETERS-----/.test(dhparam.toString('latin1'))) {
      throw new TlsConfigError(`${dhFile}: failed to read DH params.`);
    }
    tryContext({ dhparam }, (t) => `Failed to load DH params file: ${dhFile}: ${t}`);
  }

  const sessionCaching = config.bool('tls-session-caching');
  // Redis turns OpenSSL's session cache off; Node also resumes through session tickets, so those go off too.
  const secureOptions = sessionCaching ? 0 : cryptoConstants.SSL_OP_NO_TICKET;
  const common = { ...versions, ca, ciphers: cipherText };
  const server: TlsOptions = {
    ...common,
    ...serverPair,
    dhparam,
    honorCipherOrder: config.bool('tls-prefer-server-ciphers'),
    secureOptions,
    sessionTimeout: config.int('tls-session-cache-timeout'),
    sessionIdContext: 'redis',
    requestCert: authClients !== 'no',
    // 'optional' verifies a certificate only when one is given: checked after the handshake (tls-listener.ts).
    rejectUnauthorized: authClients === 'yes',
  };
  tryContext({ ...common, ...serverPair, dhparam, honorCipherOrder: server.honorCipherOrder, secureOptions }, (t) => t);

  // Outgoing connections present the client certificate when both halves are set, else the server's (as Redis).
  const clientCert = config.str('tls-client-cert-file');
  const clientKey = config.str('tls-client-key-file');
  const clientPair =
    clientCert !== '' && clientKey !== '' ? keyPair(clientCert, clientKey, config.str('tls-client-key-file-pass')) : serverPair;
  const client: ConnectionOptions = {
    ...common,
    ...clientPair,
    // Redis verifies the peer's chain against the CA but not its name (7.0 has no hostname check).
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
  return { server, client, authClients, sessionCacheSize: config.int('tls-session-cache-size'), sessionCaching };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { freePort, run, runServerToExit, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/** Throwaway certificates: a CA, a server certificate for 127.0.0.1/localhost, a second one, a client one. */
let certs: string;
const f = (name: string) => path.join(certs, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

/** A key and a certificate signed by the test CA, with the given common name. */
function issue(name: string, cn: string, ext?: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  const extArgs = ext ? ['-extfile', ext] : [];
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...extArgs);
}

beforeAll(() => {
  certs = mkdtempSync(path.join(tmpdir(), 'tls-certs-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test CA');
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  issue('server', 'server-one', 'san.cnf');
  issue('server2', 'server-two', 'san.cnf');
  issue('client', 'client');
  // A client certificate no configured CA vouches for.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue');
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Our server with a tls-port beside its plain port, using the test certificates. */
async function ours(args: string[] = []): Promise<ServerProcess & { tlsPort: number }> {
  const tlsPort = await freePort();
  const s = await startServer([
    '--tls-port', String(tlsPort),
    '--tls-cert-file', f('server.crt'),
    '--tls-key-file', f('server.key'),
    '--tls-ca-cert-file', f('ca.crt'),
    ...args,
  ]);
  cleanups.push(() => s.stop());
  return Object.assign(s, { tlsPort });
}

async function stock(args: string[]): Promise<StockRedis> {
  const s = await startStockRedis(args);
  cleanups.push(() => s.stop());
  return s;
}

/** redis-cli over TLS: with the client certificate unless `withCert` is false. */
function cliTls(port: number, args: string[], withCert = true) {
  const certArgs = withCert ? ['--cert', f('client.crt'), '--key', f('client.key')] : [];
  return run('redis-cli', ['-p', String(port), '--tls', '--cacert', f('ca.crt'), ...certArgs, ...args]);
}

function cli(port: number, args: string[]) {
  return run('redis-cli', ['-p', String(port), ...args]);
}

/** Connects with node:tls (the client certificate unless told otherwise); resolves once secure. */
function secureConnect(port: number, opts: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(f('ca.crt')),
      cert: readFileSync(f('client.crt')),
      key: readFileSync(f('client.key')),
      checkServerIdentity: () => undefined,
      ...opts,
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one command over a TLS socket and resolves with the first reply bytes, or '' when the server hangs up. */
function roundTrip(s: TLSSocket, command: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d) => resolve(d.toString()));
    s.once('close', () => resolve(''));
    s.once('error', () => resolve(''));
    s.write(command);
  });
}

/** Whether a second connection resumes the TLS session of a first one. */
async function resumes(port: number): Promise<boolean> {
  const first = await secureConnect(port, { maxVersion: 'TLSv1.2' });
  const session = first.getSession();
  first.end();
  const second = await secureConnect(port, { maxVersion: 'TLSv1.2', session });
  const reused = second.isSessionReused();
  second.end();
  return reused;
}

/** The common name of the certificate a fresh TLS connection to `port` is shown. */
async function servedCommonName(port: number): Promise<string> {
  const s = await secureConnect(port);
  const cn = s.getPeerCertificate().subject.CN;
  s.end();
  return String(cn);
}

describe('TLS clients', () => {
  it('redis-cli --tls runs PING, SET and GET on the tls-port while the plain port keeps working', async () => {
    const s = await ours();
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    expect((await cliTls(s.tlsPort, ['SET', 'k', 'over tls'])).stdout).toBe('OK\n');
    expect((await cliTls(s.tlsPort, ['GET', 'k'])).stdout).toBe('over tls\n');
    // The same keyspace on the plain port: a TLS client is a normal client.
    expect((await cli(s.port, ['GET', 'k'])).stdout).toBe('over tls\n');
    expect((await cli(s.port, ['CONFIG', 'GET', 'tls-port'])).stdout).toBe(`tls-port\n${s.tlsPort}\n`);
  });

  it('tls-auth-clients yes (the default) refuses a client without a certificate and accepts one with it', async () => {
    const s = await ours();
    const refused = await cliTls(s.tlsPort, ['PING'], false);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain('PONG');
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    await waitFor(() => /Error accepting a client connection: error:0A0000C7:SSL routines::peer did not return a certificate/.test(s.output()));
  });

  it('tls-auth-clients optional admits a client without a certificate; no does too', async () => {
    const s = await ours(['--tls-auth-clients', 'optional']);
    expect((await cliTls(s.tlsPort, ['PING'], false)).stdout).toBe('PONG\n');
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-auth-clients', 'no'])).stdout).toBe('OK\n');
    expect((await cliTls(s.tlsPort, ['PING'], false)).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-auth-clients', 'yes'])).stdout).toBe('OK\n');
    expect((await cliTls(s.tlsPort, ['PING'], false)).stdout).not.toContain('PONG');
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-auth-clients', 'maybe'])).stdout.trim()).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be one of the following: no, yes, optional",
    );
  });

  it('tls-auth-clients optional still refuses a certificate the CA did not sign', async () => {
    const s = await ours(['--tls-auth-clients', 'optional']);
    // Under TLSv1.3 the client's handshake may end before the server has checked its certificate: either way
    // the connection never gets a reply.
    const rogue = await secureConnect(s.tlsPort, { cert: readFileSync(f('rogue.crt')), key: readFileSync(f('rogue.key')) }).catch(() => null);
    expect(rogue ? await roundTrip(rogue, 'PING\r\n') : '').toBe('');
    await waitFor(() => /Error accepting a client connection: /.test(s.output()), 10_000, 'the refusal to be logged');
    const good = await secureConnect(s.tlsPort);
    expect(await roundTrip(good, 'PING\r\n')).toBe('+PONG\r\n');
    good.end();
  });

  it('ioredis connects with tls options, and is refused without a client certificate', async () => {
    const s = await ours();
    const client = new Redis({
      host: '127.0.0.1',
      port: s.tlsPort,
      lazyConnect: true,
      tls: { ca: readFileSync(f('ca.crt')), cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')) },
    });
    cleanups.push(() => client.disconnect());
    await client.connect();
    expect(await client.set('io', 'redis')).toBe('OK');
    expect(await client.get('io')).toBe('redis');
    expect(await client.incr('n')).toBe(1);
    const anonymous = new Redis({
      host: '127.0.0.1',
      port: s.tlsPort,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      tls: { ca: readFileSync(f('ca.crt')) },
    });
    anonymous.on('error', () => {});
    cleanups.push(() => anonymous.disconnect());
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow();
  });

  it('port 0 with a tls-port serves TLS only', async () => {
    const s = await ours(['--port', '0']);
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['PING'])).code).not.toBe(0);
    expect((await cliTls(s.tlsPort, ['CONFIG', 'GET', 'port'])).stdout).toBe('port\n0\n');
  });

  it('INFO server has no TLS field, as Redis 7.0', async () => {
    const s = await ours();
    const info = (await cliTls(s.tlsPort, ['INFO', 'server'])).stdout;
    expect(info).toContain(`tcp_port:${s.port}`);
    expect(info).not.toMatch(/tls/i);
  });
});

describe('TLS configuration', () => {
  it('CONFIG SET tls-cert-file serves new connections with the new certificate', async () => {
    const s = await ours();
    expect(await servedCommonName(s.tlsPort)).toBe('server-one');
    // Certificate and key change together: the intermediate mismatch does not fail the command.
    const r = await cli(s.port, ['CONFIG', 'SET', 'tls-cert-file', f('server2.crt'), 'tls-key-file', f('server2.key')]);
    expect(r.stdout).toBe('OK\n');
    expect(await servedCommonName(s.tlsPort)).toBe('server-two');
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['CONFIG', 'GET', 'tls-cert-file'])).stdout).toBe(`tls-cert-file\n${f('server2.crt')}\n`);
  });

  it('CONFIG SET tls-port moves the TLS listener', async () => {
    const s = await ours();
    const next = await freePort();
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-port', String(next)])).stdout).toBe('OK\n');
    await waitFor(async () => (await cliTls(next, ['PING'])).stdout === 'PONG\n', 10_000, 'the new tls-port');
    expect((await cliTls(s.tlsPort, ['PING'])).code).not.toBe(0);
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-port', '0'])).stdout).toBe('OK\n');
    await waitFor(async () => (await cliTls(next, ['PING'])).code !== 0, 10_000, 'the tls-port to close');
  });

  it('CONFIG SET tls-port on a server without TLS settings fails as Redis', async () => {
    const s = await startServer([]);
    cleanups.push(() => s.stop());
    const r = await cli(s.port, ['CONFIG', 'SET', 'tls-port', String(await freePort())]);
    expect(r.stdout.trim()).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update TLS configuration. Check server logs.",
    );
    expect((await cli(s.port, ['CONFIG', 'GET', 'tls-port'])).stdout).toBe('tls-port\n0\n');
    expect(s.output()).toContain('No tls-cert-file configured!');
  });

  it('tls-session-caching resumes sessions; turned off it does not', async () => {
    const s = await ours();
    expect(await resumes(s.tlsPort)).toBe(true);
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-session-caching', 'no'])).stdout).toBe('OK\n');
    expect(await resumes(s.tlsPort)).toBe(false);
  });

  it('a CONFIG SET that breaks the context fails with Redis error and keeps the old settings', async () => {
    const s = await ours();
    const missing = await cli(s.port, ['CONFIG', 'SET', 'tls-cert-file', f('missing.crt')]);
    expect(missing.stdout.trim()).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
    );
    expect((await cli(s.port, ['CONFIG', 'GET', 'tls-cert-file'])).stdout).toBe(`tls-cert-file\n${f('server.crt')}\n`);
    await waitFor(() => s.output().includes(`Failed to load certificate: ${f('missing.crt')}: error:80000002:system library::No such file or directory`));
    expect(s.output()).toContain('Failed applying new configuration. Possibly related to new tls-cert-file setting. Restoring previous settings.');
    const protocols = await cli(s.port, ['CONFIG', 'SET', 'tls-protocols', 'SSLv3']);
    expect(protocols.stdout.trim()).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs.",
    );
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.2'])).stdout).toBe('OK\n');
    expect((await cliTls(s.tlsPort, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['CONFIG', 'SET', 'tls-session-cache-size', '-1'])).stdout.trim()).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-session-cache-size') - argument must be between 0 and 2147483647 inclusive",
    );
    expect(await servedCommonName(s.tlsPort)).toBe('server-one');
  });

  it('CONFIG GET tls-* lists the parameters with Redis 7.0 defaults', async () => {
    const s = await startServer([]);
    cleanups.push(() => s.stop());
    const out = (await cli(s.port, ['CONFIG', 'GET', 'tls-*'])).stdout.split('\n');
    const got = new Map<string, string>();
    for (let i = 0; i + 1 < out.length; i += 2) got.set(out[i], out[i + 1]);
    expect(Object.fromEntries(got)).toEqual({
      'tls-port': '0',
      'tls-cert-file': '',
      'tls-key-file': '',
      'tls-key-file-pass': '',
      'tls-client-cert-file': '',
      'tls-client-key-file': '',
      'tls-client-key-file-pass': '',
      'tls-dh-params-file': '',
      'tls-ca-cert-file': '',
      'tls-ca-cert-dir': '',
      'tls-auth-clients': 'yes',
      'tls-replication': 'no',
      'tls-cluster': 'no',
      'tls-protocols': '',
      'tls-ciphers': '',
      'tls-ciphersuites': '',
      'tls-prefer-server-ciphers': 'no',
      'tls-session-caching': 'yes',
      'tls-session-cache-size': '20480',
      'tls-session-cache-timeout': '300',
    });
  });

  it('a missing certificate stops the start with Redis lines', async () => {
    const port = await freePort();
    const r = await runServerToExit([
      '--port', String(port), '--http-port', '0', '--tls-port', String(await freePort()),
      '--tls-cert-file', f('missing.crt'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.crt'),
    ]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`Failed to load certificate: ${f('missing.crt')}: error:80000002:system library::No such file or directory`);
    expect(out).toContain('Failed to configure TLS. Check logs for more info.');
  });

  it('tls-auth-clients without a CA stops the start with Redis lines', async () => {
    const r = await runServerToExit([
      '--port', String(await freePort()), '--http-port', '0', '--tls-port', String(await freePort()),
      '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
    );
  });

  it('a certificate that does not match its key stops the start', async () => {
    const r = await runServerToExit([
      '--port', String(await freePort()), '--http-port', '0', '--tls-port', String(await freePort()),
      '--tls-cert-file', f('server.crt'), '--tls-key-file', f('client.key'), '--tls-auth-clients', 'no',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      `Failed to load private key: ${f('client.key')}: error:05800074:x509 certificate routines::key values mismatch`,
    );
  });

  it('a tls-port that cannot be bound stops the start with Redis lines', async () => {
    const s = await startServer([]);
    cleanups.push(() => s.stop());
    const r = await runServerToExit([
      '--port', String(await freePort()), '--http-port', '0', '--bind', '127.0.0.1', '--tls-port', String(s.port),
      '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.crt'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`Warning: Could not create server TCP listening socket 127.0.0.1:${s.port}: bind: Address already in use`);
    expect(r.stdout + r.stderr).toContain(`Failed listening on port ${s.port} (TLS), aborting.`);
  });

  it('the TLS parameters come from a config file too', async () => {
    const tlsPort = await freePort();
    const conf = path.join(certs, 'tls.conf');
    writeFileSync(
      conf,
      [
        `tls-port ${tlsPort}`,
        `tls-cert-file ${f('server.crt')}`,
        `tls-key-file ${f('server.key')}`,
        `tls-ca-cert-file ${f('ca.crt')}`,
        'tls-auth-clients optional',
        'tls-protocols "TLSv1.2 TLSv1.3"',
        'tls-prefer-server-ciphers yes',
        '',
      ].join('\n'),
    );
    const s = await startServer([], { configFile: conf });
    cleanups.push(() => s.stop());
    expect((await cliTls(tlsPort, ['PING'], false)).stdout).toBe('PONG\n');
    expect((await cli(s.port, ['CONFIG', 'GET', 'tls-protocols'])).stdout).toBe('tls-protocols\nTLSv1.2 TLSv1.3\n');
  });
});

describe('replication over TLS with a stock redis-server 7.0.15', () => {
  it('a stock replica with tls-replication yes syncs from our master on its tls-port', async () => {
    const m = await ours(['--repl-diskless-sync-delay', '0']);
    await cli(m.port, ['SET', 'before', 'sync']);
    const r = await stock([
      '--tls-replication', 'yes',
      '--tls-cert-file', f('client.crt'),
      '--tls-key-file', f('client.key'),
      '--tls-ca-cert-file', f('ca.crt'),
      '--replicaof', '127.0.0.1', String(m.tlsPort),
    ]);
    await waitFor(async () => (await cli(r.port, ['GET', 'before'])).stdout === 'sync\n', 15_000, 'full sync over TLS');
    await cli(m.port, ['RPUSH', 'list', 'a', 'b']);
    await waitFor(async () => (await cli(r.port, ['LRANGE', 'list', '0', '-1'])).stdout === 'a\nb\n', 15_000, 'stream over TLS');
    expect((await cli(r.port, ['INFO', 'replication'])).stdout).toContain('master_link_status:up');
  });

  it('our replica with tls-replication yes syncs from a stock TLS master', async () => {
    const tlsPort = await freePort();
    const m = await stock([
      '--tls-port', String(tlsPort),
      '--tls-cert-file', f('server.crt'),
      '--tls-key-file', f('server.key'),
      '--tls-ca-cert-file', f('ca.crt'),
      '--repl-diskless-sync-delay', '0',
    ]);
    await cli(m.port, ['SET', 'before', 'sync']);
    const r = await startServer([
      '--tls-replication', 'yes',
      '--tls-cert-file', f('client.crt'),
      '--tls-key-file', f('client.key'),
      '--tls-ca-cert-file', f('ca.crt'),
      '--replicaof', '127.0.0.1', String(tlsPort),
    ]);
    cleanups.push(() => r.stop());
    await waitFor(async () => (await cli(r.port, ['GET', 'before'])).stdout === 'sync\n', 15_000, 'full sync over TLS');
    await cli(m.port, ['HSET', 'h', 'f', 'v']);
    await waitFor(async () => (await cli(r.port, ['HGET', 'h', 'f'])).stdout === 'v\n', 15_000, 'stream over TLS');
    // The master lists our replica under the port it announced: its plain one, as it has no tls-port.
    expect((await cli(m.port, ['INFO', 'replication'])).stdout).toMatch(new RegExp(`slave0:ip=127.0.0.1,port=${r.port},state=online`));
  });

  it('our replica with a tls-port and tls-replication announces its tls-port to the master', async () => {
    const tlsPort = await freePort();
    const m = await stock([
      '--tls-port', String(tlsPort),
      '--tls-cert-file', f('server.crt'),
      '--tls-key-file', f('server.key'),
      '--tls-ca-cert-file', f('ca.crt'),
      '--repl-diskless-sync-delay', '0',
    ]);
    const r = await ours(['--tls-replication', 'yes', '--replicaof', '127.0.0.1', String(tlsPort)]);
    await waitFor(
      async () => new RegExp(`slave0:ip=127.0.0.1,port=${r.tlsPort},state=online`).test((await cli(m.port, ['INFO', 'replication'])).stdout),
      15_000,
      'the replica online under its tls-port',
    );
  });

  it('a replica without tls-replication cannot sync from a TLS-only master', async () => {
    const m = await ours(['--port', '0']);
    const r = await startServer(['--replicaof', '127.0.0.1', String(m.tlsPort)]);
    cleanups.push(() => r.stop());
    await waitFor(() => /Error accepting a client connection/.test(m.output()), 15_000, 'the master to refuse the plain link');
    expect((await cli(r.port, ['INFO', 'replication'])).stdout).toContain('master_link_status:down');
  });
});

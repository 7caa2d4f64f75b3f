import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Config } from '../shared/engine/config.js';
import { freePort } from '../test/helpers/server-process.js';
import { TlsStartupError, TlsSupport } from './tls-support.js';

let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tls-support-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Unit CA');
  for (const name of ['one', 'two']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: TlsSupport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

/** A TlsSupport over a config with certificate "one", collecting its log lines and secure sockets. */
function setup(overrides: Record<string, string> = {}) {
  const config = new Config({
    'tls-port': '6390',
    'tls-cert-file': f('one.crt'),
    'tls-key-file': f('one.key'),
    'tls-ca-cert-file': f('ca.crt'),
    'tls-auth-clients': 'no',
    ...overrides,
  });
  const logs: string[] = [];
  const secure: TLSSocket[] = [];
  const tls = new TlsSupport(config, (_level, m) => logs.push(m), (s) => secure.push(s));
  open.push(tls);
  return { config, logs, secure, tls };
}

/** The common name a new connection to `port` is shown. */
function servedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: readFileSync(f('ca.crt')), checkServerIdentity: () => undefined });
    s.once('secureConnect', () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.end();
    });
    s.once('error', reject);
  });
}

const flush = () => new Promise<void>((r) => queueMicrotask(r));

describe('TlsSupport', () => {
  it('refuses to start with an unusable context, logging Redis lines', () => {
    const logs: string[] = [];
    const config = new Config({ 'tls-port': '6390', 'tls-cert-file': f('one.crt') });
    expect(() => new TlsSupport(config, (_l, m) => logs.push(m), () => {})).toThrow(TlsStartupError);
    expect(logs).toEqual(['No tls-key-file configured!', 'Failed to configure TLS. Check logs for more info.']);
  });

  it('does not read the files while nothing uses TLS', () => {
    const config = new Config({ 'tls-cert-file': f('missing.crt') });
    const t = new TlsSupport(config, () => {}, () => {});
    expect(t.clientOptions()).toBeNull();
    config.set('tls-key-file', f('missing.key'));
    expect(config.getText('tls-key-file')).toBe(f('missing.key'));
  });

  it('a failing CONFIG SET throws the reason CONFIG SET reports and restores the previous value', () => {
    const { config, logs } = setup();
    expect(() => config.set('tls-cert-file', f('missing.crt'))).toThrow('Unable to update TLS configuration. Check server logs.');
    expect(config.getText('tls-cert-file')).toBe(f('one.crt'));
    expect(logs).toEqual([
      `Failed to load certificate: ${f('missing.crt')}: error:80000002:system library::No such file or directory`,
      'Failed applying new configuration. Possibly related to new tls-cert-file setting. Restoring previous settings.',
    ]);
  });

  it('certificate and key set one after the other pass through a mismatch without failing', async () => {
    const { config, tls } = setup();
    config.set('tls-cert-file', f('two.crt'));
    config.set('tls-key-file', f('two.key'));
    await flush();
    expect(config.getText('tls-cert-file')).toBe(f('two.crt'));
    expect(tls.clientOptions()?.cert).toEqual(readFileSync(f('two.crt')));
  });

  it('a mismatch left at the end of the command is rolled back', async () => {
    const { config, logs, tls } = setup();
    config.set('tls-cert-file', f('two.crt'));
    await flush();
    expect(config.getText('tls-cert-file')).toBe(f('one.crt'));
    expect(tls.clientOptions()?.cert).toEqual(readFileSync(f('one.crt')));
    expect(logs[0]).toBe(`Failed to load private key: ${f('one.key')}: error:05800074:x509 certificate routines::key values mismatch`);
  });

  it('serves new connections with a certificate set at runtime; the listener hands secure sockets on', async () => {
    const port = await freePort();
    const { config, secure, tls } = setup({ 'tls-port': String(port) });
    await tls.listen();
    expect(tls.port).toBe(port);
    expect(await servedName(port)).toBe('one');
    // Under TLSv1.3 the client may finish its handshake before the server has.
    await vi.waitFor(() => expect(secure).toHaveLength(1));
    config.set('tls-key-file', f('two.key'));
    config.set('tls-cert-file', f('two.crt'));
    await flush();
    expect(await servedName(port)).toBe('two');
    for (const s of secure) s.destroy();
  });
});

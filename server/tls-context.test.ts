import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../shared/engine/config.js';
import { TlsConfigError, buildTlsContexts, opensslText, parseProtocols, tlsWanted } from './tls-context.js';

let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tls-context-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Unit CA');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2');
  }
  mkdirSync(f('cadir'));
  copyFileSync(f('ca.crt'), f('cadir/ca.pem'));
  writeFileSync(f('cadir/README'), 'not a certificate');
  writeFileSync(f('garbage.pem'), 'garbage');
  openssl('dhparam', '-dsaparam', '-out', 'dh.pem', '2048');
  // The server key again, encrypted with a passphrase.
  openssl('pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:secret', '-out', 'server-enc.key');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config with the unit certificates, plus overrides. */
function config(overrides: Record<string, string> = {}): Config {
  return new Config({
    'tls-port': '6380',
    'tls-cert-file': f('server.crt'),
    'tls-key-file': f('server.key'),
    'tls-ca-cert-file': f('ca.crt'),
    ...overrides,
  });
}

function failure(overrides: Record<string, string>): string {
  try {
    buildTlsContexts(config(overrides));
  } catch (e) {
    expect(e).toBeInstanceOf(TlsConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a TlsConfigError');
}

describe('parseProtocols', () => {
  it('defaults to TLSv1.2 and TLSv1.3, as Redis', () => {
    expect(parseProtocols('')).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });
  it('reads names case-insensitively and takes the range they span', () => {
    expect(parseProtocols('tlsv1.3')).toEqual({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    expect(parseProtocols('TLSv1.1 TLSv1.2')).toEqual({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.2' });
  });
  it("rejects an unknown name with Redis's log line", () => {
    expect(() => parseProtocols('TLSv1.2 SSLv3')).toThrow(
      "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
    );
  });
});

describe('buildTlsContexts', () => {
  it('builds server and client settings; the client presents the server certificate when no client pair is set', () => {
    const c = buildTlsContexts(config());
    expect(c.authClients).toBe('yes');
    expect(c.server.requestCert).toBe(true);
    expect(c.server.rejectUnauthorized).toBe(true);
    expect(c.server.honorCipherOrder).toBe(false);
    expect(c.server.sessionTimeout).toBe(300);
    expect(c.client.cert).toEqual(readFileSync(f('server.crt')));
    expect(c.client.rejectUnauthorized).toBe(true);
    expect(c.client.checkServerIdentity?.('anything', {} as never)).toBeUndefined();
  });

  it('uses tls-client-cert-file and tls-client-key-file for outgoing connections when both are set', () => {
    const c = buildTlsContexts(config({ 'tls-client-cert-file': f('client.crt'), 'tls-client-key-file': f('client.key') }));
    expect(c.client.cert).toEqual(readFileSync(f('client.crt')));
    expect(c.server.cert).toEqual(readFileSync(f('server.crt')));
  });

  it('maps tls-auth-clients to requesting and requiring a certificate', () => {
    const optional = buildTlsContexts(config({ 'tls-auth-clients': 'optional' }));
    expect([optional.server.requestCert, optional.server.rejectUnauthorized]).toEqual([true, false]);
    const no = buildTlsContexts(config({ 'tls-auth-clients': 'no' }));
    expect([no.server.requestCert, no.server.rejectUnauthorized]).toEqual([false, false]);
  });

  it('reads relative file names from dir, where Redis has chdir-ed', () => {
    const c = buildTlsContexts(config({ dir, 'tls-cert-file': 'server.crt', 'tls-key-file': 'server.key', 'tls-ca-cert-file': 'ca.crt' }));
    expect(c.server.cert).toEqual(readFileSync(f('server.crt')));
  });

  it('trusts the certificates found in tls-ca-cert-dir', () => {
    const c = buildTlsContexts(config({ 'tls-ca-cert-file': '', 'tls-ca-cert-dir': f('cadir') }));
    expect(c.server.ca).toEqual([readFileSync(f('ca.crt'))]);
  });

  it("fails with Redis's log lines", () => {
    expect(failure({ 'tls-cert-file': '' })).toBe('No tls-cert-file configured!');
    expect(failure({ 'tls-key-file': '' })).toBe('No tls-key-file configured!');
    expect(failure({ 'tls-ca-cert-file': '' })).toBe(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
    );
    expect(failure({ 'tls-cert-file': f('nope.crt') })).toBe(
      `Failed to load certificate: ${f('nope.crt')}: error:80000002:system library::No such file or directory`,
    );
    expect(failure({ 'tls-cert-file': f('garbage.pem') })).toBe(
      `Failed to load certificate: ${f('garbage.pem')}: error:0480006C:PEM routines::no start line`,
    );
    expect(failure({ 'tls-key-file': f('client.key') })).toBe(
      `Failed to load private key: ${f('client.key')}: error:05800074:x509 certificate routines::key values mismatch`,
    );
    expect(failure({ 'tls-ciphers': 'BOGUS' })).toBe('Failed to configure ciphers: BOGUS');
    expect(failure({ 'tls-ciphersuites': 'TLS_BOGUS' })).toBe('Failed to configure ciphersuites: TLS_BOGUS');
    expect(failure({ 'tls-dh-params-file': f('nope.pem') })).toBe(`Failed to load ${f('nope.pem')}: No such file or directory`);
    expect(failure({ 'tls-dh-params-file': f('garbage.pem') })).toBe(`${f('garbage.pem')}: failed to read DH params.`);
    expect(failure({ 'tls-protocols': 'TLSv9' })).toMatch(/^Invalid tls-protocols specified/);
  });

  it('decrypts the key with tls-key-file-pass', () => {
    const c = buildTlsContexts(config({ 'tls-key-file': f('server-enc.key'), 'tls-key-file-pass': 'secret' }));
    expect(c.server.passphrase).toBe('secret');
    expect(failure({ 'tls-key-file': f('server-enc.key'), 'tls-key-file-pass': 'wrong' })).toMatch(
      new RegExp(`^Failed to load private key: ${f('server-enc.key')}: error:`),
    );
  });

  it('loads tls-dh-params-file', () => {
    const c = buildTlsContexts(config({ 'tls-dh-params-file': f('dh.pem') }));
    expect(c.server.dhparam).toEqual(readFileSync(f('dh.pem')));
  });

  it('needs no CA when nothing verifies a peer', () => {
    expect(() => buildTlsContexts(config({ 'tls-ca-cert-file': '', 'tls-auth-clients': 'no' }))).not.toThrow();
  });

  it('accepts a valid cipher list and suites', () => {
    const c = buildTlsContexts(config({ 'tls-ciphers': 'ECDHE-RSA-AES128-GCM-SHA256', 'tls-ciphersuites': 'TLS_AES_128_GCM_SHA256' }));
    expect(c.server.ciphers).toBe('TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256');
  });
});

describe('tlsWanted and opensslText', () => {
  it('TLS is configured when a tls-port, tls-replication or tls-cluster uses it', () => {
    expect(tlsWanted(new Config())).toBe(false);
    expect(tlsWanted(new Config({ 'tls-port': '6380' }))).toBe(true);
    expect(tlsWanted(new Config({ 'tls-replication': 'yes' }))).toBe(true);
    expect(tlsWanted(new Config({ 'tls-cluster': 'yes' }))).toBe(true);
  });

  it("prints OpenSSL errors as Redis's ERR_error_string_n", () => {
    const node = new Error(
      'C0D7:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:../deps/openssl/ssl/statem/statem_srvr.c:3517:',
    );
    expect(opensslText(node)).toBe('error:0A0000C7:SSL routines::peer did not return a certificate');
    expect(opensslText(new Error('error:05800074:x509 certificate routines::key values mismatch'))).toBe(
      'error:05800074:x509 certificate routines::key values mismatch',
    );
  });
});

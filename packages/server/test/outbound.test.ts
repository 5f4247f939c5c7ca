// The SSRF guard of the one outbound client: every special-purpose range, IPv4 hidden in
// IPv6, DNS names resolving to them, and redirects never followed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { embeddedIPv4, isSpecialPurposeAddress } from '../src/outbound/address-policy.js';
import * as oauth from 'oauth4webapi';
import { failureFromException } from '../src/oauth/failure.js';
import { OutboundBlockedError, OutboundRequestError } from '../src/outbound/errors.js';
import { createGuardedFetch } from '../src/outbound/guarded-fetch.js';

describe('special-purpose addresses', () => {
  test.each([
    '0.0.0.0', '10.1.2.3', '100.64.0.1', '127.0.0.1', '127.255.255.254', '169.254.169.254', '172.16.0.1', '172.31.255.255',
    '192.0.0.8', '192.0.2.1', '192.88.99.1', '192.168.1.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '224.0.0.1',
    '240.0.0.1', '255.255.255.255',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '2001:db8::1', '100::1', '64:ff9b:1::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::10.0.0.1',
    '64:ff9b::a00:1', '2002:7f00:1::', '2002:c0a8:101::1', 'fe80::1%eth0', 'not-an-ip',
  ])('%s is refused', (address) => {
    expect(isSpecialPurposeAddress(address)).toBe(true);
  });

  test.each(['8.8.8.8', '1.1.1.1', '13.110.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is allowed', (address) => {
    expect(isSpecialPurposeAddress(address)).toBe(false);
  });

  test('finds IPv4 inside IPv6 in every spelling', () => {
    expect(embeddedIPv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIPv4('::ffff:0a00:0001')).toBe('10.0.0.1');
    expect(embeddedIPv4('0:0:0:0:0:ffff:7f00:0001')).toBe('127.0.0.1');
    expect(embeddedIPv4('2002:0a00:0001::')).toBe('10.0.0.1');
    expect(embeddedIPv4('2606:4700::1')).toBeNull();
  });
});

describe('the guarded fetch', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body })));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('refuses loopback by IP and by a name that resolves to it, unless allowed', async () => {
    const strict = createGuardedFetch({ allowPrivateNetwork: false }, { timeoutMs: 1000 });
    await expect(strict(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(strict(`http://[::1]:${port}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(strict(`http://[::ffff:127.0.0.1]:${port}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(strict(`http://localhost:${port}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    const listed = createGuardedFetch({ allowPrivateNetwork: ['127.0.0.0/8'] }, { timeoutMs: 1000 });
    expect((await listed(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const byName = createGuardedFetch({ allowPrivateNetwork: ['localhost'] }, { timeoutMs: 1000 });
    expect((await byName(`http://localhost:${port}/`)).status).toBe(200);
  });

  test('sends bodies, never follows redirects, and times out saying whether the request was sent', async () => {
    const open = createGuardedFetch({ allowPrivateNetwork: true }, { timeoutMs: 300 });
    const posted = await open(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(await posted.json()).toEqual({ method: 'POST', body: 'a=1' });
    const redirect = await open(`http://127.0.0.1:${port}/redirect`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toContain('/elsewhere');
    await expect(open(`http://127.0.0.1:${port}/slow`)).rejects.toMatchObject({ kind: 'timeout', requestSent: true });
  });
});

describe('what a refused or failed call becomes (oauth/failure.ts)', () => {
  const kindOf = (error: unknown) => {
    const f = failureFromException(error, 'refresh_token');
    return { kind: f.kind, requestSent: f.requestSent, httpStatus: f.httpStatus, error: f.error };
  };

  test('a destination the policy refuses is `blocked`, never sent', () => {
    expect(kindOf(new OutboundBlockedError('127.0.0.1'))).toEqual({ kind: 'blocked', requestSent: false, httpStatus: null, error: null });
  });

  test('a plain http:// URL refused because private networks are not allowed is `blocked` too', () => {
    const refused = new oauth.OperationProcessingError('only requests to HTTPS are allowed', { code: oauth.HTTP_REQUEST_FORBIDDEN });
    expect(kindOf(refused)).toEqual({ kind: 'blocked', requestSent: false, httpStatus: null, error: null });
    // Another oauth4webapi refusal is not a policy decision.
    expect(kindOf(new oauth.OperationProcessingError('bad', { code: oauth.RESPONSE_IS_NOT_JSON })).kind).toBe('network_error');
  });

  test('transport failures keep saying whether the request went out', () => {
    expect(kindOf(new OutboundRequestError('slow', 'timeout', true))).toMatchObject({ kind: 'timeout', requestSent: true });
    expect(kindOf(new OutboundRequestError('reset', 'network_error', false))).toMatchObject({ kind: 'network_error', requestSent: false });
    expect(kindOf(new Error('anything else'))).toMatchObject({ kind: 'network_error', requestSent: false });
  });

  test('a real refresh against a loopback token URL is refused before it is sent', async () => {
    const strict = createGuardedFetch({ allowPrivateNetwork: false }, { timeoutMs: 1000 });
    // Refused before connecting, so nothing needs to listen there.
    const as = { issuer: 'http://127.0.0.1:9', token_endpoint: 'http://127.0.0.1:9/token' };
    const attempt = (options: { [oauth.allowInsecureRequests]?: boolean }) =>
      oauth.refreshTokenGrantRequest(as, { client_id: 'c' }, oauth.None(), 'rt', { [oauth.customFetch]: strict, ...options }).then(
        () => null,
        (error: unknown) => kindOf(error).kind,
      );
    // Without the insecure-requests allowance (private networks off): refused by scheme.
    expect(await attempt({})).toBe('blocked');
    // With it (a host list): refused by address.
    expect(await attempt({ [oauth.allowInsecureRequests]: true })).toBe('blocked');
  });
});

describe('configuration', () => {
  test('reports every bad value at once, and requires keys with PostgreSQL', async () => {
    const { loadConfig, ConfigError } = await import('../src/config.js');
    expect(() => loadConfig({ GRANTKEEPER_PORT: 'http', GRANTKEEPER_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    try {
      loadConfig({ GRANTKEEPER_PORT: 'http', GRANTKEEPER_LOG_LEVEL: 'loud', GRANTKEEPER_DATABASE_URL: 'postgres://x/y' });
    } catch (error) {
      const problems = (error as InstanceType<typeof ConfigError>).problems.join('\n');
      expect(problems).toMatch(/GRANTKEEPER_PORT/);
      expect(problems).toMatch(/GRANTKEEPER_LOG_LEVEL/);
      expect(problems).toMatch(/GRANTKEEPER_SECRET_KEY is required/);
      expect(problems).toMatch(/GRANTKEEPER_ENCRYPTION_KEYS is required/);
    }
    const config = loadConfig({ GRANTKEEPER_PORT: '', GRANTKEEPER_TOKEN_TIMEOUT_MS: '500' });
    expect(config.port).toBe(4280);
    expect(config.refresh.leaseTtlMs).toBe(30_500);
    expect(config.databaseUrl).toBeNull();
  });
});

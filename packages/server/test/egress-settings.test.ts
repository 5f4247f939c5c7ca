// The egress settings on their own (pure): proxy URLs (parsed, masked, never echoed when
// refused), the exclusion list, which route a call takes, and the configuration errors.
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { chooseRoute, isExcluded, type EgressSettings } from '../src/outbound/egress-route.js';
import { maskedProxyUrl, parseProxyUrl, proxyAuthorization, proxyLabel } from '../src/outbound/proxy-url.js';

const SECRET = 'pa55-w0rd';

describe('proxy URLs', () => {
  test('parsed with decoded credentials, labelled and masked without them', () => {
    const parsed = parseProxyUrl(`http://gk%40corp:${encodeURIComponent('p@ss:word')}@proxy.internal:3128`);
    expect(parsed).toEqual({ ok: true, proxy: { host: 'proxy.internal', port: 3128, username: 'gk@corp', password: 'p@ss:word' } });
    if (!parsed.ok) return;
    expect(proxyLabel(parsed.proxy)).toBe('proxy.internal:3128');
    expect(maskedProxyUrl(parsed.proxy)).toBe('http://gk%40corp:****@proxy.internal:3128');
    expect(proxyAuthorization(parsed.proxy)).toBe(`Basic ${Buffer.from('gk@corp:p@ss:word').toString('base64')}`);
    const v6 = parseProxyUrl('http://[fd00::5]:8080');
    expect(v6.ok && proxyLabel(v6.proxy)).toBe('[fd00::5]:8080');
    expect(v6.ok && proxyAuthorization(v6.proxy)).toBeNull();
  });

  test.each([
    `https://u:${SECRET}@proxy:3128`,
    `socks5://u:${SECRET}@proxy:1080`,
    `http://u:${SECRET}@proxy`,
    `http://u:${SECRET}@proxy:3128/path`,
    `http://u:${SECRET}@proxy:3128/?q=1`,
    `http://:${SECRET}@proxy:3128`,
    `proxy:3128 ${SECRET}`,
  ])('refused without repeating the value: %s', (value) => {
    const parsed = parseProxyUrl(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).not.toContain(SECRET);
  });
});

describe('routes', () => {
  const proxy = { host: '10.0.0.5', port: 3128, username: '', password: '' };
  const own = { host: '10.0.0.9', port: 8080, username: 'u', password: 'p' };
  const settings: EgressSettings = { proxy, exclude: ['idp.internal', '192.168.0.0/16', '::1'] };

  test('the integration wins, then the exclusion list, then the instance proxy', () => {
    expect(chooseRoute(settings, { kind: 'direct' }, 'login.salesforce.com')).toEqual({ kind: 'direct', source: 'integration' });
    expect(chooseRoute(settings, { kind: 'proxy', proxy: own }, 'idp.internal')).toEqual({ kind: 'proxy', source: 'integration', proxy: own, trusted: false });
    expect(chooseRoute(settings, { kind: 'inherit' }, 'sso.idp.internal')).toEqual({ kind: 'direct', source: 'excluded' });
    expect(chooseRoute(settings, { kind: 'inherit' }, 'login.salesforce.com')).toEqual({ kind: 'proxy', source: 'instance', proxy, trusted: true });
    expect(chooseRoute({ proxy: null, exclude: [] }, { kind: 'inherit' }, 'login.salesforce.com')).toEqual({ kind: 'direct', source: 'none' });
  });

  test('exclusions match names and their subdomains, IP literals and CIDRs, never by resolution', () => {
    const list = ['example.com', '*.corp.test', '.lan', '10.0.0.0/8', 'fd00::/8', '203.0.113.7'];
    for (const host of ['example.com', 'a.b.example.com', 'x.corp.test', 'corp.test', 'printer.lan', '10.2.3.4', '[fd00::1]', '203.0.113.7', 'EXAMPLE.com.']) {
      expect(isExcluded(list, host), host).toBe(true);
    }
    for (const host of ['notexample.com', 'example.com.evil.test', '11.0.0.1', 'fe80::1', '203.0.113.8', 'lan.example.org']) {
      expect(isExcluded(list, host), host).toBe(false);
    }
    expect(isExcluded(['*'], 'anything.test')).toBe(true);
  });
});

describe('configuration', () => {
  const base = { GRANTKEEPER_PORT: '0' };

  test('reads the proxy and its exclusions', () => {
    const config = loadConfig({ ...base, GRANTKEEPER_OUTBOUND_PROXY: `http://gk:${SECRET}@egress.internal:3128`, GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: 'idp.internal, 10.0.0.0/8' });
    expect(config.outboundProxy).toEqual({ proxy: { host: 'egress.internal', port: 3128, username: 'gk', password: SECRET }, exclude: ['idp.internal', '10.0.0.0/8'] });
    expect(loadConfig(base).outboundProxy).toEqual({ proxy: null, exclude: [] });
  });

  test('a bad value stops the start, naming the variable and never the password', () => {
    let error: unknown;
    try {
      loadConfig({ ...base, GRANTKEEPER_OUTBOUND_PROXY: `https://gk:${SECRET}@egress.internal:3128`, GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: '10.0.0.0/99,bad host' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.some((p) => p.startsWith('GRANTKEEPER_OUTBOUND_PROXY must use http://'))).toBe(true);
    expect(problems.filter((p) => p.startsWith('GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE'))).toHaveLength(2);
    expect((error as Error).message).not.toContain(SECRET);
  });
});

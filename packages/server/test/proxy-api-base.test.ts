// Where the proxy sends a connection's calls (providers/registry.ts apiBaseUrl), read from the
// real catalog: a fixed API URL, a template rendered from the connection's values, the grant's
// instance URL for per-account hosts, and a custom integration's own api_base_url.
import { describe, expect, test } from 'vitest';
import { listProviders } from '../src/providers/catalog/catalog.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { checkProxyPath, proxiedUrl } from '../src/proxy/target-path.js';

const registry = new ProviderRegistry();
const settings = (provider: string, extra: { authBaseUrl?: string | null; apiBaseUrl?: string | null } = {}) => ({
  provider,
  clientId: 'c',
  scopes: [],
  authBaseUrl: extra.authBaseUrl ?? null,
  providerConfig: extra.apiBaseUrl === undefined ? {} : { api_base_url: extra.apiBaseUrl },
});

describe('the API base of a connection', () => {
  test('every catalog api_base_url renders from its variables’ examples to an https URL', () => {
    const templated = listProviders().filter((entry) => typeof entry.api_base_url === 'string');
    expect(templated.length).toBeGreaterThan(0);
    for (const entry of templated) {
      const config = Object.fromEntries(
        Object.entries(entry.template_variables).filter(([, v]) => v.from === 'connection_config').map(([name, v]) => [name, v.example]),
      );
      const base = registry.apiBaseUrl(settings(entry.key), config, null);
      // A template naming a variable the entry does not declare has no base (catalog data to fix), never a crash.
      const declared = [...entry.api_base_url!.matchAll(/\{([^{}]*)\}/g)].every((m) => m[1]! in entry.template_variables);
      if (declared) expect(base, entry.key).toMatch(/^https:\/\/[^/{}]+/);
      else expect(base, entry.key).toBeNull();
    }
  });

  test('a template takes the connection’s values; without them there is no base (never a half-rendered URL)', () => {
    expect(registry.apiBaseUrl(settings('gorgias'), { subdomain: 'acme' }, null)).toBe('https://acme.gorgias.com/api');
    expect(registry.apiBaseUrl(settings('brex'), {}, null)).toBe('https://api.brex.com');
    expect(registry.apiBaseUrl(settings('gorgias'), {}, null)).toBeNull();
    // A value cannot move the host (the template's own checks).
    expect(registry.apiBaseUrl(settings('gorgias'), { subdomain: 'evil.example/x' }, null)).toBeNull();
  });

  test('a provider whose API host is per account uses the grant’s instance URL; a custom integration its own base', () => {
    expect(registry.apiBaseUrl(settings('salesforce', { authBaseUrl: 'https://login.salesforce.com' }), {}, 'https://acme.my.salesforce.com')).toBe('https://acme.my.salesforce.com');
    expect(registry.apiBaseUrl(settings('oauth2', { apiBaseUrl: 'https://api.example.com/v2' }), {}, null)).toBe('https://api.example.com/v2');
    expect(registry.apiBaseUrl(settings('oauth2'), {}, null)).toBeNull();
  });

  test('Google has a default base; an integration’s own api_base_url overrides any catalog base', () => {
    expect(registry.apiBaseUrl(settings('google'), {}, null)).toBe('https://www.googleapis.com');
    expect(registry.apiBaseUrl(settings('google', { apiBaseUrl: 'https://gmail.googleapis.com' }), {}, null)).toBe('https://gmail.googleapis.com');
    // DocuSign has no catalog base: the integration gives its account's base_uri.
    expect(registry.apiBaseUrl(settings('docusign'), {}, null)).toBeNull();
    expect(registry.apiBaseUrl(settings('docusign', { apiBaseUrl: 'https://na4.docusign.net/restapi' }), {}, null)).toBe('https://na4.docusign.net/restapi');
    // The override wins over a grant's instance URL and a rendered template too.
    expect(registry.apiBaseUrl(settings('salesforce', { apiBaseUrl: 'https://other.example' }), {}, 'https://acme.my.salesforce.com')).toBe('https://other.example');
    expect(registry.apiBaseUrl(settings('gorgias', { apiBaseUrl: 'https://other.example' }), { subdomain: 'acme' }, null)).toBe('https://other.example');
  });

  test('every catalog entry has a base, or says where it comes from: the token response, a module, or the integration', () => {
    for (const entry of listProviders()) {
      const fact = entry.facts['/api_base_url']!;
      const named = typeof entry.api_base_url === 'string' || entry.api_base_from_token !== undefined || entry.module !== undefined;
      expect(named || fact.confidence === 'unknown' || /per (connection|integration|account)/i.test(fact.note ?? ''), entry.key).toBe(true);
    }
  });
});

describe('an API base named by the token response', () => {
  const context = { receivedAt: new Date('2026-01-01T00:00:00Z'), accessTokenTtlS: 3600, clientSecret: 's' };
  const read = (provider: string, body: Record<string, unknown>, reg = registry) =>
    reg.interpretTokenResponse(provider, { access_token: 'a', refresh_token: 'r', ...body }, context).instanceUrl;

  test('Pipedrive’s and Zoho’s api_domain and Gong’s api_base_url_for_customer become the grant’s instance URL', () => {
    expect(read('pipedrive', { api_domain: 'https://acme.pipedrive.com/' })).toBe('https://acme.pipedrive.com');
    expect(read('zoho', { api_domain: 'https://www.zohoapis.eu' })).toBe('https://www.zohoapis.eu');
    expect(read('gong', { api_base_url_for_customer: 'https://us-4711.api.gong.io' })).toBe('https://us-4711.api.gong.io');
    // Absent: leave the stored one (undefined), as Salesforce's module does without instance_url.
    expect(read('pipedrive', {})).toBeUndefined();
    // A provider without the rule ignores the field.
    expect(read('brex', { api_domain: 'https://evil.example' })).toBeUndefined();
  });

  test('an answer off the provider’s hosts, not https, or with credentials, query, fragment or port is not kept', () => {
    const hostile = [
      'https://evil.example',
      'https://acme.pipedrive.com.evil.example',
      'https://evil.example/acme.pipedrive.com',
      'http://acme.pipedrive.com',
      'https://user:pw@acme.pipedrive.com',
      'https://acme.pipedrive.com?x=1',
      'https://acme.pipedrive.com#x',
      'https://acme.pipedrive.com:8443',
      'https://a.b.pipedrive.com',
      'javascript:alert(1)',
      'acme.pipedrive.com',
      42,
      null,
    ];
    for (const value of hostile) expect(read('pipedrive', { api_domain: value }), String(value)).toBeUndefined();
    expect(read('zoho', { api_domain: 'https://www.zohoapis.evil' })).toBeUndefined();
  });

  test('a host override (development, tests) sends the checked base to its origin', () => {
    const local = new ProviderRegistry({ hostOrigins: new Map([['acme.pipedrive.com', 'http://127.0.0.1:4999']]) });
    expect(read('pipedrive', { api_domain: 'https://acme.pipedrive.com/v1' }, local)).toBe('http://127.0.0.1:4999/v1');
    expect(local.checkImportedInstanceUrl('pipedrive', 'https://acme.pipedrive.com')).toEqual({ ok: true, url: 'http://127.0.0.1:4999' });
    expect(registry.checkImportedInstanceUrl('pipedrive', 'https://evil.example').ok).toBe(false);
    expect(registry.checkImportedInstanceUrl('salesforce', 'https://acme.my.salesforce.com')).toEqual({ ok: true, url: 'https://acme.my.salesforce.com' });
  });
});

describe('a proxied path', () => {
  test('a checked path stays below the base', () => {
    const under = (base: string, tail: string) => {
      const checked = checkProxyPath(tail);
      return checked.ok ? proxiedUrl(base, checked)?.href ?? null : null;
    };
    expect(under('https://api.example.com/v2', '/items?x=1')).toBe('https://api.example.com/v2/items?x=1');
    expect(under('https://api.example.com/v2', '')).toBe('https://api.example.com/v2');
    expect(under('https://api.example.com', '?q=1')).toBe('https://api.example.com/?q=1');
    expect(under('https://api.example.com/v2', '/..')).toBeNull();
    expect(under('https://api.example.com/v2', '/@evil.example')).toBe('https://api.example.com/v2/@evil.example');
  });
});

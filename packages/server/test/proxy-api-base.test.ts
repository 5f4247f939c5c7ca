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

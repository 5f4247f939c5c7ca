// How the engine reads the catalog, without a database: endpoints rendered with a
// connection's config (Shopify, Zendesk, Microsoft, Okta, Zoho), the generic token-response
// module (expires_in, rotation, refresh-token expiry), provider-derived integration defaults,
// and which diagnosis texts explain a provider's failures.
import { describe, expect, it } from 'vitest';
import type { DiagnosisCode } from '../src/domain/diagnosis.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from '../src/providers/salesforce/texts.js';
import { GENERIC_DIAGNOSIS_TEXTS } from '../src/providers/generic/texts.js';
import { providerRefreshDefaults } from '../src/model/integrations.js';
import { listProviders, TemplateError } from '../src/providers/catalog/catalog.js';
import { OAUTH2_CLASSIFICATION_RULES } from '../src/providers/classify.js';
import { genericModule } from '../src/providers/generic/module.js';
import { moduleFor, providerModule } from '../src/providers/modules.js';
import { SALESFORCE_CLASSIFICATION_RULES } from '../src/providers/salesforce/classification.js';
import { salesforceModule } from '../src/providers/salesforce/module.js';
import type { IntegrationProviderSettings } from '../src/providers/provider.js';
import { ProviderRegistry } from '../src/providers/registry.js';

const registry = new ProviderRegistry();
const settings = (provider: string, extra: Partial<IntegrationProviderSettings> = {}): IntegrationProviderSettings => ({
  provider,
  clientId: 'client',
  scopes: [],
  authBaseUrl: null,
  providerConfig: {},
  ...extra,
});

describe('endpoints rendered with a connection config', () => {
  it('puts the shop, subdomain, tenant, Okta domain and Zoho data centre into the URLs', () => {
    const shop = registry.endpoints(settings('shopify'), { shop: 'acme-store' });
    expect(shop.tokenUrl).toBe('https://acme-store.myshopify.com/admin/oauth/access_token');
    expect(shop.authorizationUrl).toBe('https://acme-store.myshopify.com/admin/oauth/authorize');
    expect(shop.revokeUrl).toBeNull();

    expect(registry.endpoints(settings('zendesk'), { subdomain: 'acme' }).tokenUrl).toBe('https://acme.zendesk.com/oauth/tokens');

    expect(registry.endpoints(settings('microsoft'), {}).tokenUrl).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(registry.endpoints(settings('microsoft'), { tenant: 'contoso.onmicrosoft.com' }).tokenUrl).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );

    const okta = registry.endpoints(settings('okta'), { okta_domain: 'dev-123456.okta.com' });
    expect(okta.tokenUrl).toBe('https://dev-123456.okta.com/oauth2/default/v1/token');
    expect(okta.revokeUrl).toBe('https://dev-123456.okta.com/oauth2/default/v1/revoke');

    expect(registry.endpoints(settings('zoho'), { dc: 'com.au' }).revokeUrl).toBe('https://accounts.zoho.com.au/oauth/v2/token/revoke');
    expect(registry.endpoints(settings('zoho'), {}).tokenUrl).toBe('https://accounts.zoho.com/oauth/v2/token');
  });

  it('takes Salesforce endpoints from the integration base URL', () => {
    const sf = registry.endpoints(settings('salesforce', { authBaseUrl: 'http://127.0.0.1:4290' }));
    expect(sf.tokenUrl).toBe('http://127.0.0.1:4290/services/oauth2/token');
    expect(sf.revokeUrl).toBe('http://127.0.0.1:4290/services/oauth2/revoke');
  });

  it('never lets a value move a token request to another host', () => {
    const hostile = [
      { shop: 'evil.com/x' },
      { shop: 'evil.com#' },
      { shop: 'a@evil.com' },
      { shop: 'acme.evil' },
      { shop: '' },
      { shop: 'ACME' },
      { shop: '..' },
      { shop: 'acme:443' },
      { shop: 'acme%2eevil' },
      { shop: 'ácme' },
      {},
      { shop: 'acme', extra: 'x' },
    ];
    for (const config of hostile) {
      expect(() => registry.endpoints(settings('shopify'), config as Record<string, string>), JSON.stringify(config)).toThrow(TemplateError);
    }
    expect(() => registry.endpoints(settings('okta'), { okta_domain: 'evil.com' })).toThrow(TemplateError);
    expect(() => registry.endpoints(settings('okta'), { okta_domain: 'dev-1.okta.com.evil.com' })).toThrow(TemplateError);
    expect(() => registry.endpoints(settings('zoho'), { dc: 'evil.com' })).toThrow(TemplateError);
    expect(() => registry.endpoints(settings('microsoft'), { tenant: 'a/../../evil' })).toThrow(TemplateError);
  });

  it('checks connection_config for catalog and custom providers alike', () => {
    expect(registry.checkConnectionConfig({ provider: 'shopify', authBaseUrl: null }, { shop: 'acme' })).toEqual({ ok: true, values: { shop: 'acme' } });
    const missing = registry.checkConnectionConfig({ provider: 'shopify', authBaseUrl: null }, {});
    expect(missing.ok).toBe(false);
    expect(registry.checkConnectionConfig({ provider: 'microsoft', authBaseUrl: null }, undefined)).toEqual({ ok: true, values: { tenant: 'common' } });
    expect(registry.checkConnectionConfig({ provider: 'oauth2', authBaseUrl: null }, {})).toEqual({ ok: true, values: {} });
    expect(registry.checkConnectionConfig({ provider: 'oauth2', authBaseUrl: null }, undefined)).toEqual({ ok: true, values: {} });
    const custom = registry.checkConnectionConfig({ provider: 'oauth2', authBaseUrl: null }, { shop: 'x' });
    expect(custom).toEqual({ ok: false, problems: [{ variable: 'shop', message: 'not a connection_config variable of provider oauth2' }] });
    expect(registry.checkConnectionConfig({ provider: 'oauth2', authBaseUrl: null }, ['x']).ok).toBe(false);
  });
});

describe('entries the generic engine drives through data, or marks unsupported', () => {
  it('sends TikTok\'s client_key as the integration\'s client id, in the authorization and token requests', () => {
    const tiktok = registry.endpoints(settings('tiktok', { clientId: 'aw1234key' }));
    expect(tiktok.authorizationParams).toMatchObject({ client_key: 'aw1234key' });
    expect(tiktok.tokenParams).toEqual({ client_key: 'aw1234key' });
    expect(registry.describe('tiktok')).toBeDefined();
  });

  it('keeps providers the engine cannot refresh out of the usable list, with the reason in the data', () => {
    const unsupported = listProviders().filter((e) => e.unsupported?.refresh);
    expect(unsupported.map((e) => e.key).sort()).toEqual(['basecamp', 'smartsheet', 'withings', 'wrike']);
    for (const entry of unsupported) expect(registry.describe(entry.key)).toBeUndefined();
    // Connect-only limits leave refresh usable (grants are imported).
    expect(listProviders().find((e) => e.key === 'amazon-sp-api')!.unsupported).toEqual({ connect: expect.any(String) });
    expect(registry.describe('amazon-sp-api')).toBeDefined();
    const usable = listProviders().filter((e) => registry.describe(e.key) !== undefined);
    expect(usable.length).toBeGreaterThanOrEqual(100);
  });
});

describe('generic token responses', () => {
  const receivedAt = new Date('2026-01-01T00:00:00.000Z');
  const context = { receivedAt, accessTokenTtlS: 7200, clientSecret: 's' };

  it('honours expires_in from our receive time, else the assumed lifetime', () => {
    const at = (body: Record<string, unknown>) => genericModule.interpretTokenResponse({ access_token: 'a', ...body }, context).expiresAt.toISOString();
    expect(at({ expires_in: 900 })).toBe('2026-01-01T00:15:00.000Z');
    expect(at({ expires_in: '60' })).toBe('2026-01-01T00:01:00.000Z');
    expect(at({})).toBe('2026-01-01T02:00:00.000Z');
    expect(at({ expires_in: 0 })).toBe('2026-01-01T02:00:00.000Z');
    expect(at({ expires_in: -5 })).toBe('2026-01-01T02:00:00.000Z');
    expect(at({ expires_in: 'soon' })).toBe('2026-01-01T02:00:00.000Z');
    // An absurd lifetime is capped rather than producing an unrepresentable date.
    expect(at({ expires_in: 1e300 })).toBe('2035-12-30T00:00:00.000Z'); // 3650 days
  });

  it('keeps a rotated refresh token and leaves the stored one when none is sent', () => {
    expect(genericModule.interpretTokenResponse({ access_token: 'a', refresh_token: 'rt-2' }, context).refreshToken).toBe('rt-2');
    expect(genericModule.interpretTokenResponse({ access_token: 'a' }, context).refreshToken).toBeNull();
    expect(genericModule.interpretTokenResponse({ access_token: 'a', refresh_token: '' }, context).refreshToken).toBeNull();
  });

  it('records the refresh token expiry the provider states, else authorization + a known absolute lifetime', () => {
    const expiry = (body: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      genericModule.interpretTokenResponse({ access_token: 'a', ...body }, { ...context, ...extra }).refreshTokenExpiresAt?.toISOString();
    expect(expiry({ refresh_token_expires_in: 15_897_600 })).toBe('2026-07-04T00:00:00.000Z'); // 184 days
    const authorizedAt = new Date('2025-06-01T00:00:00.000Z');
    expect(expiry({}, { authorizedAt, refreshTokenAbsoluteTtlS: 31_536_000 })).toBe('2026-06-01T00:00:00.000Z');
    // The stated value wins over the catalog's lifetime.
    expect(expiry({ refresh_token_expires_in: 86_400 }, { authorizedAt, refreshTokenAbsoluteTtlS: 31_536_000 })).toBe('2026-01-02T00:00:00.000Z');
    // Unknown authorization time or no known lifetime: nothing is claimed.
    expect(expiry({}, { authorizedAt: null, refreshTokenAbsoluteTtlS: 31_536_000 })).toBeUndefined();
    expect(expiry({}, { authorizedAt, refreshTokenAbsoluteTtlS: null })).toBeUndefined();
    expect(expiry({ refresh_token_expires_in: 'never' })).toBeUndefined();
  });

  it('classifies generic providers with the RFC 6749 rules and Salesforce with its own', () => {
    expect(providerModule('oauth2').classificationRules).toBe(OAUTH2_CLASSIFICATION_RULES);
    expect(providerModule('shopify').classificationRules).toBe(OAUTH2_CLASSIFICATION_RULES);
    expect(providerModule('salesforce').classificationRules).toBe(SALESFORCE_CLASSIFICATION_RULES);
    expect(providerModule('salesforce-sandbox').classificationRules).toBe(SALESFORCE_CLASSIFICATION_RULES);
  });

  it('classifies through the registry with the provider\'s module rules', () => {
    const concurrent = {
      kind: 'oauth_error', grantType: 'refresh_token', httpStatus: 400, error: 'invalid_grant',
      errorDescription: 'expired authorization code', bodyWasJson: true, requestSent: true,
    } as const;
    expect(registry.classify('salesforce', concurrent)).toMatchObject({ class: 'transient', reason: 'concurrent_refresh' });
    // RFC 6749 knows no such signature: a plain dead grant.
    expect(registry.classify('google', concurrent)).toMatchObject({ class: 'permanent', reason: 'invalid_grant' });
    expect(registry.classify('oauth2', concurrent)).toMatchObject({ class: 'permanent', reason: 'invalid_grant' });
  });
});

describe('the module each catalog entry names', () => {
  it('is the entry\'s `module`, generic when it names none (and for the custom oauth2 provider)', () => {
    for (const entry of listProviders()) {
      expect(moduleFor(entry), entry.key).toBe(entry.module ?? 'generic');
      expect(providerModule(entry.key), entry.key).toBe(entry.module === 'salesforce' ? salesforceModule : genericModule);
    }
    expect(moduleFor(undefined)).toBe('generic');
    expect(providerModule('oauth2')).toBe(genericModule);
    expect(registry.module('oauth2')).toBe(genericModule);
  });

  it('only the Salesforce entries name the Salesforce module', () => {
    const named = listProviders().filter((e) => e.module !== undefined && e.module !== 'generic').map((e) => `${e.key}:${e.module}`);
    expect(named.sort()).toEqual(['salesforce-sandbox:salesforce', 'salesforce:salesforce']);
  });

  it('a module is chosen by the data, not the key', () => {
    expect(moduleFor({ module: 'salesforce' })).toBe('salesforce');
    expect(moduleFor({})).toBe('generic');
  });
});

describe('whether a provider rotates', () => {
  it('follows the entry\'s refresh_model: rotating (also when rotation is unknown) or static', () => {
    for (const entry of listProviders()) {
      const description = registry.describe(entry.key);
      if (entry.refresh_model === 'none' || entry.unsupported?.refresh) continue;
      expect(description!.rotating, entry.key).toBe(entry.refresh_model === 'rotating');
      // The catalog makes an unknown rotation `rotating`, the safe handling.
      if (entry.tokens.rotation.rotates === null) expect(description!.rotating, entry.key).toBe(true);
      if (entry.tokens.rotation.rotates === 'never') expect(description!.rotating, entry.key).toBe(false);
    }
  });

  it('is true for Salesforce and the custom oauth2 provider (its rotation is unknown)', () => {
    expect(registry.describe('salesforce')!.rotating).toBe(true);
    expect(registry.describe('salesforce-sandbox')!.rotating).toBe(true);
    expect(registry.describe('oauth2')!.rotating).toBe(true);
  });

  it('has both answers in the catalog', () => {
    const answers = new Set(listProviders().filter((e) => e.refresh_model !== 'none' && !e.unsupported?.refresh).map((e) => registry.describe(e.key)!.rotating));
    expect([...answers].sort()).toEqual([false, true]);
  });
});

describe('provider-derived integration defaults', () => {
  it('takes the documented access-token lifetime and the keepalive from the idle lifetime', () => {
    expect(providerRefreshDefaults(registry.describe('hubspot')!)).toMatchObject({ access_token_ttl_s: 1800, keepalive_s: 86_400 });
    expect(providerRefreshDefaults(registry.describe('oauth2')!)).toMatchObject({ access_token_ttl_s: 7200, keepalive_s: 86_400 });
    expect(providerRefreshDefaults({ keepaliveS: 1000, accessTokenTtlS: null })).toMatchObject({ keepalive_s: 1000, access_token_ttl_s: 7200 });
    expect(registry.describe('linkedin')!.refreshTokenAbsoluteTtlS).toBe(31_536_000);
    expect(registry.describe('salesforce')!.refreshTokenAbsoluteTtlS).toBeNull();
  });

  it('offers every refreshable entry, and no entry without refresh tokens or that the engine cannot refresh', () => {
    for (const entry of listProviders()) {
      const description = registry.describe(entry.key);
      if (entry.refresh_model === 'none' || entry.unsupported?.refresh) expect(description, entry.key).toBeUndefined();
      else {
        expect(description, entry.key).toBeDefined();
        const defaults = providerRefreshDefaults(description!);
        // The API's rules (margin < access TTL, keepalive ≥ margin) hold for every default.
        expect(defaults.margin_s, entry.key).toBeLessThan(defaults.access_token_ttl_s);
        expect(defaults.keepalive_s, entry.key).toBeGreaterThanOrEqual(defaults.margin_s);
        if (entry.tokens.refresh_token_idle_ttl_s !== null) expect(defaults.keepalive_s * 3).toBeLessThanOrEqual(entry.tokens.refresh_token_idle_ttl_s);
      }
    }
  });
});

describe('diagnosis texts per provider', () => {
  const codes = Object.keys(SALESFORCE_DIAGNOSIS_TEXTS) as DiagnosisCode[];

  it('uses the Salesforce texts only for Salesforce providers', () => {
    expect(providerModule('salesforce').diagnosisTexts).toBe(SALESFORCE_DIAGNOSIS_TEXTS);
    expect(providerModule('salesforce-sandbox').diagnosisTexts).toBe(SALESFORCE_DIAGNOSIS_TEXTS);
    for (const key of ['oauth2', 'google', 'shopify', 'microsoft']) expect(providerModule(key).diagnosisTexts).toBe(GENERIC_DIAGNOSIS_TEXTS);
  });

  it('has a provider-neutral text for every code, with the same who_fixes', () => {
    expect(Object.keys(GENERIC_DIAGNOSIS_TEXTS).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const text = GENERIC_DIAGNOSIS_TEXTS[code]({ provider: 'Acme' });
      const all = [text.summary, ...text.causes, ...text.fix, ...text.prevention.map((p) => p.step)].join('\n');
      expect(all, code).not.toMatch(/salesforce|Setup →|connected app|consumer (key|secret)|org admin/i);
      expect(text.summary.length, code).toBeGreaterThan(20);
      expect(text.fix.length, code).toBeGreaterThan(0);
      expect(text.who_fixes, code).toBe(SALESFORCE_DIAGNOSIS_TEXTS[code]({ provider: 'Salesforce' }).who_fixes);
    }
    expect(GENERIC_DIAGNOSIS_TEXTS.revoked({ provider: 'Shopify' }).summary).toContain('Shopify');
  });
});

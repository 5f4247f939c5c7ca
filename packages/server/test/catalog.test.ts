import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ProviderEntrySchema, REQUIRED_FACTS } from '../src/providers/catalog/schema.js';
import {
  CATALOG_DIR,
  CatalogError,
  TemplateError,
  defaultKeepaliveS,
  getFact,
  getProvider,
  listProviders,
  loadCatalog,
  parseEntry,
  renderEndpoints,
  templateVariables,
  validateConnectionConfig,
  type ProviderEntry,
} from '../src/providers/catalog/catalog.js';
import { renderProvidersDoc, renderReadmeProviders, withReadmeProviders } from '../scripts/generate-providers-doc.js';

const files = readdirSync(CATALOG_DIR).filter((f) => f.endsWith('.json'));
const raw = (file: string): unknown => JSON.parse(readFileSync(new URL(file, CATALOG_DIR), 'utf8'));
const salesforce = (): ProviderEntry => structuredClone(getProvider('salesforce')!);

function valueAt(root: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root);
}

describe('catalog files', () => {
  it.each(files)('%s matches the schema', (file) => {
    const errors = Value.Errors(ProviderEntrySchema, raw(file));
    expect(errors.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it('loads, with salesforce and salesforce-sandbox first', () => {
    const entries = listProviders();
    expect(entries.length).toBe(files.length);
    expect(entries.slice(0, 2).map((e) => e.key)).toEqual(['salesforce', 'salesforce-sandbox']);
  });

  it('has unique keys, each equal to its file name', () => {
    const keys = files.map((f) => (raw(f) as { key: string }).key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const file of files) expect(`${(raw(file) as { key: string }).key}.json`).toBe(file);
  });

  it('has at least 100 providers that refresh and that the engine can refresh', () => {
    expect(listProviders().filter((e) => e.refresh_model !== 'none' && !e.unsupported?.refresh).length).toBeGreaterThanOrEqual(100);
  });

  it.each(files)('%s: every URL is https, with documentation and a backed api_base_url', (file) => {
    const entry = raw(file) as ProviderEntry;
    const urls: string[] = [];
    // Every URL-valued field (prose in notes may quote URLs with words around them).
    const walk = (node: unknown): void => {
      if (typeof node === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(node)) urls.push(node);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) if (!['notes', 'note', 'description'].includes(k)) walk(v);
      }
    };
    walk(entry);
    for (const url of urls) expect(url, file).toMatch(/^https:\/\/\S+$/);
    expect(entry.docs_url).toMatch(/^https:\/\//);
    expect(entry).toHaveProperty('api_base_url');
    expect(entry.facts['/api_base_url'], `${file} /api_base_url`).toBeDefined();
    // A null base is either per connection (a known fact that says so) or unknown.
    if (entry.api_base_url === null) expect(entry.facts['/api_base_url']!.note ?? entry.facts['/api_base_url']!.confidence).toBeTruthy();
    // A base read from the token response is checked against the provider's own hosts.
    if (entry.api_base_from_token) expect(entry.api_base_from_token.host_pattern, file).toMatch(/^\^.*\$$/);
    expect(entry.grant_types.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every known fact has an https source, every unknown one a null value', (file) => {
    const entry = raw(file) as ProviderEntry;
    for (const pointer of REQUIRED_FACTS) expect(entry.facts, pointer).toHaveProperty([pointer]);
    for (const [pointer, fact] of Object.entries(entry.facts)) {
      if (fact.confidence === 'unknown') {
        expect(valueAt(entry, pointer), `${file} ${pointer}`).toBeNull();
      } else {
        expect(fact.source, `${file} ${pointer}`).toMatch(/^https:\/\/\S+$/);
      }
    }
  });

  it.each(files)('%s: template variables are anchored and forbid host-changing characters', (file) => {
    const entry = raw(file) as ProviderEntry;
    for (const v of templateVariables(entry)) {
      expect(v.pattern.startsWith('^') && v.pattern.endsWith('$')).toBe(true);
      if (v.kind === 'value') {
        const re = new RegExp(v.pattern);
        for (const bad of ['', 'a/b', 'a.evil.com/x', 'a@evil.com', 'a:1', 'a?b', 'a#b', '..', 'a b', 'a\\b', 'a%2f']) {
          // A host label must not take a dot; a path segment may (tenant domains), but never `..` alone.
          expect(re.test(bad), `${file} {${v.name}} accepts ${JSON.stringify(bad)}`).toBe(false);
        }
      }
      // A variable in a host position must not accept another host.
      const inHost = Object.values(entry.auth).some(
        (u) => typeof u === 'string' && new RegExp(`^https://[^/]*\\{${v.name}\\}`).test(u),
      );
      if (inHost) expect(new RegExp(v.pattern).test('evil.com'), `${file} {${v.name}}`).toBe(false);
    }
  });

  it('the salesforce entries derive every URL from auth_base_url', () => {
    for (const key of ['salesforce', 'salesforce-sandbox']) {
      const entry = getProvider(key)!;
      expect(entry.module).toBe('salesforce');
      expect(entry.auth.token_url).toBe('{auth_base_url}/services/oauth2/token');
      expect(entry.template_variables['auth_base_url']).toMatchObject({ from: 'integration', kind: 'base_url' });
      expect(entry.tokens.max_grants_per_user).toMatchObject({ limit: 5, eviction: 'oldest' });
      expect(entry.tokens.returns_expires_in).toBe(false);
    }
    expect(renderEndpoints(getProvider('salesforce')!).token_url).toBe('https://login.salesforce.com/services/oauth2/token');
    expect(renderEndpoints(getProvider('salesforce-sandbox')!).token_url).toBe('https://test.salesforce.com/services/oauth2/token');
  });
});

describe('loadCatalog errors', () => {
  const withEntry = (mutate: (e: Record<string, any>) => void, file = 'salesforce.json'): URL => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-catalog-'));
    const entry = salesforce() as unknown as Record<string, any>;
    mutate(entry);
    writeFileSync(join(dir, file), JSON.stringify(entry));
    return pathToFileURL(dir + '/');
  };
  const failure = (dir: URL): CatalogError => {
    try {
      loadCatalog(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(CatalogError);
      return err as CatalogError;
    }
    throw new Error('expected loadCatalog to throw');
  };

  it('names the file and field of a schema violation', () => {
    const err = failure(withEntry((e) => (e.tokens.access_token_ttl_s = 'two hours')));
    expect(err.file).toBe('salesforce.json');
    expect(err.pointer).toBe('/tokens/access_token_ttl_s');
    expect(err.message).toContain('salesforce.json');
  });

  it('refuses a guessed value under an unknown fact', () => {
    const err = failure(withEntry((e) => (e.facts['/tokens/access_token_ttl_s'] = { source: null, confidence: 'unknown' })));
    expect(err.pointer).toBe('/tokens/access_token_ttl_s');
  });

  it('refuses a known fact without a source, a missing fact, a fact about no field', () => {
    expect(failure(withEntry((e) => (e.facts['/auth/pkce'].source = null))).message).toMatch(/source/);
    expect(failure(withEntry((e) => delete e.facts['/auth/pkce'])).message).toMatch(/missing fact/);
    expect(failure(withEntry((e) => (e.facts['/tokens/nope'] = { source: null, confidence: 'unknown' }))).message).toMatch(/no field/);
  });

  it('refuses undeclared or unused template variables, a key not matching its file, bad JSON', () => {
    expect(failure(withEntry((e) => (e.auth.revoke_url = 'https://{host}/revoke'))).message).toMatch(/undeclared/);
    expect(failure(withEntry((e) => (e.api_base_url = 'https://{instance}.example.com'))).pointer).toBe('/api_base_url');
    expect(failure(withEntry((e) => delete e.api_base_url)).message).toMatch(/api_base_url/);
    expect(failure(withEntry((e) => (e.template_variables.shop = { ...e.template_variables.auth_base_url, from: 'connection_config', kind: 'value', pattern: '^a$', example: 'a', default: undefined }))).message).toMatch(/not used/);
    expect(failure(withEntry(() => {}, 'other.json')).pointer).toBe('/key');
    expect(() => parseEntry('x.json', '{')).toThrow(/x\.json.*not JSON/);
  });

  it('refuses a revoke URL without RFC 7009 revocation, and a revoke style under an unknown fact', () => {
    expect(failure(withEntry((e) => (e.auth.revoke_style = 'custom'))).pointer).toBe('/auth/revoke_style');
    const unknown = failure(
      withEntry((e) => {
        e.auth.revoke_url = null;
        e.auth.revoke_style = 'none';
        e.facts['/auth/revoke_url'] = { source: null, confidence: 'unknown' };
      }),
    );
    expect(unknown.message).toMatch(/unknown/);
  });

  it('refuses a refresh model that does not follow the rotation fact', () => {
    // Unknown rotation must be handled as rotating, never silently as static.
    const err = failure(withEntry((e) => (e.refresh_model = 'static')));
    expect(err.pointer).toBe('/refresh_model');
    expect(err.message).toMatch(/must be rotating/);
    const never = failure(
      withEntry((e) => {
        e.tokens.rotation.rotates = 'never';
      }),
    );
    expect(never.message).toMatch(/must be static/);
  });

  it('reads an API base from the token response only where the catalog has none, with a fact and an anchored host rule', () => {
    const fromToken = { field: 'api_domain', host_pattern: '^[a-z]+\\.example\\.com$' };
    const fact = { source: 'https://example.com/docs', confidence: 'doc' };
    const ok = loadCatalog(withEntry((e) => Object.assign(e, { api_base_from_token: fromToken }, { facts: { ...e.facts, '/api_base_from_token': fact } })));
    expect(ok.byKey.get('salesforce')!.api_base_from_token).toEqual(fromToken);
    expect(failure(withEntry((e) => (e.api_base_from_token = fromToken))).message).toMatch(/missing fact/);
    const withFact = (mutate: (e: Record<string, any>) => void) => withEntry((e) => {
      e.facts['/api_base_from_token'] = fact;
      mutate(e);
    });
    expect(failure(withFact((e) => Object.assign(e, { api_base_url: 'https://api.example.com', api_base_from_token: fromToken }))).pointer).toBe('/api_base_from_token');
    expect(failure(withFact((e) => (e.api_base_from_token = { ...fromToken, host_pattern: 'example\\.com' }))).pointer).toBe('/api_base_from_token/host_pattern');
    expect(failure(withFact((e) => (e.api_base_from_token = { ...fromToken, host_pattern: '^(example$' }))).message).toMatch(/not a regular expression/);
  });

  it('takes a module Grantkeeper ships, or none (generic)', () => {
    const err = failure(withEntry((e) => (e.module = 'acme')));
    expect(err.pointer).toBe('/module');
    expect(failure(withEntry((e) => (e.module = null))).pointer).toBe('/module');
    expect(loadCatalog(withEntry((e) => (e.module = 'generic'))).byKey.get('salesforce')!.module).toBe('generic');
    expect(loadCatalog(withEntry((e) => delete e.module)).byKey.get('salesforce')!.module).toBeUndefined();
  });
});

describe('connection_config and URL rendering', () => {
  // A synthetic entry so these tests do not depend on one provider's data.
  const tenanted = (): ProviderEntry => {
    const e = salesforce();
    e.key = 'tenanted';
    e.auth.authorization_url = 'https://{shop}.example-shop.com/admin/oauth/authorize';
    e.auth.token_url = 'https://login.example.com/{tenant}/oauth2/token';
    e.auth.revoke_url = null;
    e.template_variables = {
      shop: { description: 'shop', pattern: '^[a-z0-9][a-z0-9-]*$', from: 'connection_config', kind: 'value', example: 'acme' },
      tenant: { description: 'tenant', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*$', from: 'connection_config', kind: 'value', example: 'contoso.onmicrosoft.com' },
    };
    return e;
  };

  it('lists the variables', () => {
    expect(templateVariables(tenanted()).map((v) => v.name)).toEqual(['shop', 'tenant']);
    expect(templateVariables(getProvider('salesforce')!).map((v) => v.name)).toEqual(['auth_base_url', 'login_host']);
  });

  it('renders good inputs, refresh_url falling back to token_url', () => {
    const urls = renderEndpoints(tenanted(), { connection_config: { shop: 'acme-2', tenant: 'contoso.onmicrosoft.com' } });
    expect(urls).toEqual({
      authorization_url: 'https://acme-2.example-shop.com/admin/oauth/authorize',
      token_url: 'https://login.example.com/contoso.onmicrosoft.com/oauth2/token',
      refresh_url: 'https://login.example.com/contoso.onmicrosoft.com/oauth2/token',
      revoke_url: null,
    });
  });

  it('requires every variable and refuses unknown keys and non-objects', () => {
    const check = validateConnectionConfig(tenanted(), { connection_config: { shop: 'acme', extra: 'x' } });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems.map((p) => p.variable).sort()).toEqual(['extra', 'tenant']);
    expect(validateConnectionConfig(tenanted(), { connection_config: 'acme' }).ok).toBe(false);
    expect(validateConnectionConfig(tenanted(), { connection_config: { shop: 1, tenant: 'a' } }).ok).toBe(false);
  });

  it.each([
    'evil.com/',
    'evil.com#',
    'acme.evil.com',
    'a@evil.com',
    'acme:443',
    'acme/../x',
    'ACME',
    '%65vil',
    'acme\u0000',
    'acme\n',
    '',
  ])('refuses the hostile shop %j', (shop) => {
    expect(() => renderEndpoints(tenanted(), { connection_config: { shop, tenant: 'common' } })).toThrow(TemplateError);
  });

  it.each(['..', '.', '../evil', 'a/b', 'a?x=1', 'a#x', '@evil.com'])('refuses the hostile tenant %j', (tenant) => {
    expect(() => renderEndpoints(tenanted(), { connection_config: { shop: 'acme', tenant } })).toThrow(TemplateError);
  });

  it('percent-encodes and then refuses a value that a loose pattern lets through', () => {
    const e = tenanted();
    e.template_variables['tenant']!.pattern = '^.+$';
    // Encoded, a slash stays inside the path segment; the host cannot change.
    expect(renderEndpoints(e, { connection_config: { shop: 'acme', tenant: 'a/b?c' } }).token_url).toBe(
      'https://login.example.com/a%2Fb%3Fc/oauth2/token',
    );
    // Dot segments would be normalised away: refused.
    expect(() => renderEndpoints(e, { connection_config: { shop: 'acme', tenant: '..' } })).toThrow(/normalised/);
    const loose = tenanted();
    loose.template_variables['shop']!.pattern = '^.+$';
    expect(() => renderEndpoints(loose, { connection_config: { shop: 'evil.com/x', tenant: 'common' } })).toThrow(TemplateError);
    expect(() => renderEndpoints(loose, { connection_config: { shop: 'a.b', tenant: 'common' } })).not.toThrow();
  });

  it('takes the Salesforce base URL from the integration, normalised to an origin', () => {
    const sf = getProvider('salesforce')!;
    expect(renderEndpoints(sf, { auth_base_url: 'https://acme.my.salesforce.com/' }).token_url).toBe(
      'https://acme.my.salesforce.com/services/oauth2/token',
    );
    expect(renderEndpoints(sf, { auth_base_url: 'http://127.0.0.1:8443' }).revoke_url).toBe('http://127.0.0.1:8443/services/oauth2/revoke');
    for (const bad of ['https://acme.my.salesforce.com/path', 'https://u:p@acme.com', 'https://acme.com?x=1', 'ftp://acme.com', 'javascript:alert(1)', 'acme.com']) {
      expect(() => renderEndpoints(sf, { auth_base_url: bad }), bad).toThrow(TemplateError);
    }
    // auth_base_url is not a connection_config key.
    expect(validateConnectionConfig(sf, { connection_config: { auth_base_url: 'https://evil.com' } }).ok).toBe(false);
  });

  it.each(files)('%s renders with its example values', (file) => {
    const entry = getProvider((raw(file) as { key: string }).key)!;
    const config: Record<string, string> = {};
    let base: string | undefined;
    for (const v of templateVariables(entry)) {
      if (v.from === 'integration') base = v.example;
      else config[v.name] = v.example;
    }
    const urls = renderEndpoints(entry, { connection_config: config, auth_base_url: base });
    expect(urls.token_url).toMatch(/^https:\/\//);
    expect(urls.authorization_url).toMatch(/^https:\/\//);
  });
});

describe('engine helpers', () => {
  it('derives the keepalive from the idle lifetime', () => {
    const e = salesforce();
    e.tokens.refresh_token_idle_ttl_s = null;
    expect(defaultKeepaliveS(e)).toBe(86_400);
    e.tokens.refresh_token_idle_ttl_s = 30 * 86_400;
    expect(defaultKeepaliveS(e)).toBe(86_400);
    e.tokens.refresh_token_idle_ttl_s = 7_200;
    expect(defaultKeepaliveS(e)).toBe(2_400);
    e.tokens.refresh_token_idle_ttl_s = 2;
    expect(defaultKeepaliveS(e)).toBe(1);
  });

  it('gives every catalog entry a keepalive between 1 s and a day', () => {
    for (const entry of listProviders()) {
      const keepalive = defaultKeepaliveS(entry);
      expect(keepalive).toBeGreaterThanOrEqual(1);
      expect(keepalive).toBeLessThanOrEqual(86_400);
    }
  });

  it('looks up providers and facts', () => {
    expect(getProvider('nope')).toBeUndefined();
    expect(getFact(getProvider('salesforce')!, '/tokens/rotation/reuse_revokes_family')?.confidence).toBe('doc');
    expect(loadCatalog()).toBe(loadCatalog());
  });
});

describe('docs/providers.md and the README provider section', () => {
  it('docs/providers.md is up to date with the catalog (npm run docs:providers)', () => {
    const doc = readFileSync(new URL('../../../docs/providers.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderProvidersDoc(listProviders()));
  });

  it('the README section between its markers is up to date with the catalog (npm run docs:providers)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(withReadmeProviders(readme, listProviders())).toBe(readme);
    expect(readme).toContain(renderReadmeProviders(listProviders()));
    // No count left outside the generated part can go stale.
    const outside = readme.replace(renderReadmeProviders(listProviders()), '');
    expect(outside).not.toMatch(/\b\d+ (OAuth )?providers\b/);
  });

  it('counts the catalog by category and by confidence', () => {
    const doc = renderProvidersDoc(listProviders());
    const hr = listProviders().filter((e) => e.category === 'hr').length;
    expect(doc).toMatch(new RegExp(`\\| HR and payroll \\| ${hr} \\|`));
    const unknown = listProviders().reduce((n, e) => n + Object.values(e.facts).filter((f) => f.confidence === 'unknown').length, 0);
    expect(doc).toContain(`| not found (unknown) | ${unknown} |`);
    expect(() => withReadmeProviders('# no markers', listProviders())).toThrow(/markers/);
  });
});

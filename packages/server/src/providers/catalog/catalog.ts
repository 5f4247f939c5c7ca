// The provider catalog: reads packages/server/providers/*.json once, validates every entry
// (schema + the cross-field rules below), and renders tenant-specific endpoint URLs.
// Provider quirks live in the data; the refresh engine asks this module, never a switch.
import { readdirSync, readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { checkEntryRules, URL_FIELDS, type UrlField } from './entry-rules.js';
import { ProviderEntrySchema, type Fact, type ProviderEntry, type TemplateVariable } from './schema.js';

export type { Fact, ProviderEntry, TemplateVariable } from './schema.js';

// Resolves to packages/server/providers/ from both src/providers/catalog/ and dist/providers/catalog/.
export const CATALOG_DIR: URL = new URL('../../../providers/', import.meta.url);

/** A bad catalog file: names the file and the JSON pointer of the offending field. */
export class CatalogError extends Error {
  readonly file: string;
  readonly pointer: string;
  constructor(file: string, pointer: string, message: string) {
    super(`provider catalog: ${file}: ${pointer || '(root)'}: ${message}`);
    this.name = 'CatalogError';
    this.file = file;
    this.pointer = pointer;
  }
}

export interface Catalog {
  /** Entries sorted with salesforce and salesforce-sandbox first, then by key. */
  readonly entries: readonly ProviderEntry[];
  readonly byKey: ReadonlyMap<string, ProviderEntry>;
}

const FIRST_KEYS = ['salesforce', 'salesforce-sandbox'];

let cached: Catalog | undefined;

/**
 * Reads and validates every `*.json` in `dir` (default: the packaged catalog). The default
 * catalog is read once and cached; passing a `dir` always reads afresh (tests).
 * Throws CatalogError on the first bad entry.
 */
export function loadCatalog(dir?: URL): Catalog {
  if (dir === undefined && cached) return cached;
  const base = dir ?? CATALOG_DIR;
  const files = readdirSync(base)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const byKey = new Map<string, ProviderEntry>();
  for (const file of files) {
    const entry = parseEntry(file, readFileSync(new URL(file, base), 'utf8'));
    if (byKey.has(entry.key)) throw new CatalogError(file, '/key', `duplicate key "${entry.key}"`);
    byKey.set(entry.key, entry);
  }
  const entries = [...byKey.values()].sort(compareEntries);
  const catalog: Catalog = { entries, byKey };
  if (dir === undefined) cached = catalog;
  return catalog;
}

function compareEntries(a: ProviderEntry, b: ProviderEntry): number {
  const ia = FIRST_KEYS.indexOf(a.key);
  const ib = FIRST_KEYS.indexOf(b.key);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Parses and validates one catalog file's text; exported for tests of hostile entries. */
export function parseEntry(file: string, text: string): ProviderEntry {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(file, '', `not JSON (${(err as Error).message})`);
  }
  const first = Value.Errors(ProviderEntrySchema, data)[0];
  if (first) throw new CatalogError(file, first.instancePath, first.message);
  const entry = data as ProviderEntry;
  checkEntryRules(file, entry, (pointer, message) => {
    throw new CatalogError(file, pointer, message);
  });
  return entry;
}

/** Every entry of the packaged catalog, Salesforce first. */
export function listProviders(): readonly ProviderEntry[] {
  return loadCatalog().entries;
}

/** One entry of the packaged catalog, or undefined for an unknown key. */
export function getProvider(key: string): ProviderEntry | undefined {
  return loadCatalog().byKey.get(key);
}

/** The fact (source + confidence) behind a field, by JSON pointer (`/tokens/access_token_ttl_s`). */
export function getFact(entry: ProviderEntry, pointer: string): Fact | undefined {
  return entry.facts[pointer];
}

const DAY_S = 86_400;

/**
 * How often to refresh an idle connection so its refresh token never dies of idleness:
 * a third of the provider's idle lifetime (two chances to recover from a failed keepalive
 * before it lapses), capped at one day; one day when no idle limit is known.
 */
export function defaultKeepaliveS(entry: ProviderEntry): number {
  const idle = entry.tokens.refresh_token_idle_ttl_s;
  if (idle === null) return DAY_S;
  return Math.max(1, Math.min(DAY_S, Math.floor(idle / 3)));
}

// ---- Tenant-specific URLs -------------------------------------------------------------

export interface TemplateVariableInfo extends TemplateVariable {
  readonly name: string;
}

/** The variables an entry's URLs need (Shopify `shop`, Entra `tenant`, Salesforce `auth_base_url`…). */
export function templateVariables(entry: ProviderEntry): TemplateVariableInfo[] {
  return Object.entries(entry.template_variables).map(([name, v]) => ({ name, ...v }));
}

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

export type ConfigCheck =
  | { readonly ok: true; readonly values: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export interface TemplateInputs {
  /** The connection's `connection_config` (per-connection values such as `shop`). */
  readonly connection_config?: unknown;
  /** The integration's `auth_base_url` (Salesforce); the variable's default when absent. */
  readonly auth_base_url?: string | null | undefined;
  /**
   * Development and tests only (GRANTKEEPER_LOGIN_HOST_OVERRIDES): where calls for a host
   * variable's value go instead of https://<host>, e.g. a local emulator. The value itself is
   * validated as ever.
   */
  readonly host_origins?: ReadonlyMap<string, string>;
}

/**
 * Checks the inputs against the entry's template variables: each variable required (unless
 * it has a default), a string matching its pattern; a base URL must be a bare http(s)
 * origin. Unknown `connection_config` keys are refused, so a typo is not silently ignored.
 */
export function validateConnectionConfig(entry: ProviderEntry, inputs: TemplateInputs): ConfigCheck {
  const problems: ConfigProblem[] = [];
  const values: Record<string, string> = {};
  const config = inputs.connection_config ?? {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return { ok: false, problems: [{ variable: '', message: 'connection_config must be an object' }] };
  }
  const given = config as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    const variable = entry.template_variables[name];
    if (!variable || variable.from !== 'connection_config') {
      problems.push({ variable: name, message: `not a connection_config variable of provider ${entry.key}` });
    }
  }
  const hosts: [variable: TemplateVariable, host: string][] = [];
  for (const [name, variable] of Object.entries(entry.template_variables)) {
    if (variable.kind === 'host') {
      const host = readHost(variable, given[name]);
      if (host === undefined) continue;
      if ('problem' in host) problems.push({ variable: name, message: host.problem });
      else {
        values[name] = host.value;
        hosts.push([variable, host.value]);
      }
      continue;
    }
    const raw = variable.from === 'integration' ? inputs.auth_base_url : given[name];
    const value = raw ?? variable.default;
    if (value === undefined) {
      problems.push({ variable: name, message: 'required' });
      continue;
    }
    if (typeof value !== 'string') {
      problems.push({ variable: name, message: 'must be a string' });
      continue;
    }
    if (variable.kind === 'base_url') {
      const origin = normalizeOrigin(value);
      if (origin === null) {
        problems.push({ variable: name, message: 'must be a bare http(s) origin (scheme://host[:port]), no path, query or credentials' });
        continue;
      }
      if (!new RegExp(variable.pattern).test(origin)) {
        problems.push({ variable: name, message: `must match ${variable.pattern}` });
        continue;
      }
      values[name] = origin;
    } else {
      if (!new RegExp(variable.pattern).test(value)) {
        problems.push({ variable: name, message: `must match ${variable.pattern}` });
        continue;
      }
      values[name] = value;
    }
  }
  // A connection's own host replaces the integration's base URL for every endpoint.
  for (const [variable, host] of hosts) values[variable.replaces!] = inputs.host_origins?.get(host) ?? `https://${host}`;
  return problems.length ? { ok: false, problems } : { ok: true, values };
}

/** An optional host value: absent, valid (lower-cased: host names ignore case), or a problem. */
function readHost(variable: TemplateVariable, raw: unknown): { value: string } | { problem: string } | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return { problem: 'must be a string' };
  const value = raw.toLowerCase();
  if (value.length > 253 || !new RegExp(variable.pattern).test(value)) {
    return { problem: `must be ${variable.pattern_description ?? `a host matching ${variable.pattern}`}` };
  }
  return { value };
}

function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== '/' && url.pathname !== '') return null;
  // The raw text may end with one slash, nothing else may differ from the parsed origin.
  if (value.replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return null;
  return url.origin;
}

export type RenderedEndpoints = { readonly [K in UrlField]: string | null };

/** Thrown when inputs are missing, invalid, or would change the URL beyond its template. */
export class TemplateError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(provider: string, problems: readonly ConfigProblem[]) {
    super(`provider ${provider}: ${problems.map((p) => `${p.variable || 'connection_config'}: ${p.message}`).join('; ')}`);
    this.name = 'TemplateError';
    this.problems = problems;
  }
}

/**
 * The entry's endpoint URLs with every placeholder filled in. Values are validated, then
 * percent-encoded; the result must parse to exactly the text produced (no dot segments,
 * no case or escape normalisation) and keep the template's scheme and host, so no input
 * can redirect a token request to another host. `refresh_url` falls back to `token_url`.
 */
export function renderEndpoints(entry: ProviderEntry, inputs: TemplateInputs = {}): RenderedEndpoints {
  const check = validateConnectionConfig(entry, inputs);
  if (!check.ok) throw new TemplateError(entry.key, check.problems);
  const out = {} as Record<UrlField, string | null>;
  for (const field of URL_FIELDS) {
    const template = entry.auth[field];
    out[field] = template === null ? null : renderUrl(entry, template, check.values);
  }
  out.refresh_url ??= out.token_url;
  return out;
}

export function renderUrl(entry: ProviderEntry, template: string, values: Readonly<Record<string, string>>): string {
  const substitute = (encode: (v: string) => string) =>
    template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
      const variable = entry.template_variables[name]!;
      const value = values[name]!;
      return variable.kind === 'base_url' ? value : encode(value);
    });
  const rendered = substitute(encodeURIComponent);
  const refuse = (message: string): never => {
    throw new TemplateError(entry.key, [{ variable: '', message: `${message}: ${template}` }]);
  };
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    return refuse('the rendered URL does not parse');
  }
  if (url.href !== rendered) refuse('the rendered URL would be normalised into a different URL');
  if (url.username || url.password) refuse('the rendered URL carries credentials');
  // The host must be the template's own host text with the (pattern-checked) values put in
  // literally: a value cannot contribute a dot-separated label, a port or an `@`.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(substitute((v) => v))?.[1];
  if (authority === undefined || url.host !== authority.toLowerCase()) refuse('a value would change the URL host');
  const templateScheme = /^([a-z]+):/.exec(template)?.[1];
  if (templateScheme !== undefined && url.protocol !== `${templateScheme}:`) refuse('a value would change the URL scheme');
  return rendered;
}

/**
 * The URL of an entry's own revocation request (auth.revocation), rendered like the endpoints
 * with the client id filled in and TOKEN_SLOT left where a path token goes (the token is
 * stored apart, encrypted). A host in `host_origins` (development and tests) is sent there.
 */
export function renderRevocationUrl(entry: ProviderEntry, inputs: TemplateInputs, clientId: string, tokenSlot: string): string | null {
  const template = entry.auth.revocation?.url;
  if (template === undefined) return null;
  const check = validateConnectionConfig(entry, inputs);
  if (!check.ok) throw new TemplateError(entry.key, check.problems);
  const filled = template.replaceAll('{client_id}', encodeURIComponent(clientId)).replaceAll('{token}', tokenSlot);
  const url = new URL(renderUrl(entry, filled, check.values));
  const origin = inputs.host_origins?.get(url.host);
  return origin === undefined ? url.href : `${origin}${url.pathname}${url.search}`;
}

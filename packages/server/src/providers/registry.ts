// Provider lookup for the rest of the server: every catalog entry (providers/*.json),
// plus `oauth2`, a custom provider whose endpoints the integration supplies. Everything
// here is data; behaviour that data cannot express lives in the per-provider modules
// (./modules), named by each catalog entry's `module` — never by branching on a key.
import {
  defaultKeepaliveS,
  getProvider,
  listProviders,
  renderEndpoints,
  renderRevocationUrl,
  templateVariables,
  validateConnectionConfig,
  type ConfigCheck,
  type ProviderEntry,
} from './catalog/catalog.js';
import { renderApiBaseUrl } from './catalog/api-base.js';
import { apiBaseFromTokenResponse, checkedApiBaseFromToken } from './catalog/api-base-from-token.js';
import { classifyProviderFailure, type Classification, type ProviderFailure } from './classify.js';
import type { GrantUpdate, ProviderModule, TokenResponseContext } from './module-types.js';
import { providerModule } from './modules.js';
import { TOKEN_SLOT, type RevocationRequest } from './revocation/request.js';
import type { IntegrationProviderSettings, ProviderDescription, ProviderEndpoints } from './provider.js';

const CUSTOM_OAUTH2: ProviderDescription = {
  key: 'oauth2',
  name: 'Custom OAuth 2.0 provider',
  defaultScopes: [],
  refreshScopes: [],
  defaultAuthBaseUrl: null,
  usesAuthBaseUrl: false,
  returnsExpiresIn: true,
  templateVariables: [],
  grantLimit: null,
  refreshTokenIdleTtlS: null,
  refreshTokenAbsoluteTtlS: null,
  accessTokenTtlS: null,
  rotating: true,
  keepaliveS: 86_400,
  verifyOnConnect: false,
};

function describeEntry(entry: ProviderEntry): ProviderDescription {
  const variables = templateVariables(entry);
  const baseUrl = variables.find((v) => v.from === 'integration' && v.kind === 'base_url');
  const offlineScopes = entry.auth.offline?.scopes ?? [];
  const defaults = [...entry.auth.default_scopes];
  for (const s of offlineScopes) if (!defaults.includes(s)) defaults.push(s);
  const limit = entry.tokens.max_grants_per_user;
  return {
    key: entry.key,
    name: entry.name,
    defaultScopes: defaults,
    // Salesforce also accepts the synonym offline_access for refresh_token.
    refreshScopes: offlineScopes.includes('refresh_token') ? [...offlineScopes, 'offline_access'] : offlineScopes,
    defaultAuthBaseUrl: baseUrl?.default ?? null,
    usesAuthBaseUrl: baseUrl !== undefined,
    returnsExpiresIn: entry.tokens.returns_expires_in !== false,
    // Only the variables a connection must give (a host variable is optional).
    templateVariables: variables.filter((v) => v.from === 'connection_config' && v.kind !== 'host').map((v) => v.name),
    grantLimit: limit && limit.eviction !== null ? { limit: limit.limit, eviction: limit.eviction } : null,
    refreshTokenIdleTtlS: entry.tokens.refresh_token_idle_ttl_s ?? null,
    refreshTokenAbsoluteTtlS: entry.tokens.refresh_token_absolute_ttl_s ?? null,
    accessTokenTtlS: entry.tokens.access_token_ttl_s ?? null,
    rotating: entry.refresh_model === 'rotating',
    keepaliveS: defaultKeepaliveS(entry),
    verifyOnConnect: entry.verify_on_connect === true,
  };
}

export interface RegistryOptions {
  /**
   * Development and tests only: where calls for a connection's login host go instead of
   * https://<host> (GRANTKEEPER_LOGIN_HOST_OVERRIDES, e.g. a local emulator on 127.0.0.1).
   */
  hostOrigins?: ReadonlyMap<string, string>;
}

export class ProviderRegistry {
  private readonly byKey = new Map<string, ProviderDescription>();
  private readonly hostOrigins: ReadonlyMap<string, string>;

  constructor(options: RegistryOptions = {}) {
    this.hostOrigins = options.hostOrigins ?? new Map();
    // Usable: issues refresh tokens the engine can refresh.
    for (const entry of listProviders()) if (entry.refresh_model !== 'none' && !entry.unsupported?.refresh) this.byKey.set(entry.key, describeEntry(entry));
    this.byKey.set(CUSTOM_OAUTH2.key, CUSTOM_OAUTH2);
  }

  describe(key: string): ProviderDescription | undefined {
    return this.byKey.get(key);
  }

  list(): ProviderDescription[] {
    return [...this.byKey.values()];
  }

  entry(key: string): ProviderEntry | undefined {
    return getProvider(key);
  }

  /**
   * Checks a connection's `connection_config` (and the integration's `auth_base_url`)
   * against the provider's URL template variables: required, pattern, no unknown keys.
   * A custom `oauth2` provider has no variables, so only an empty config passes.
   */
  checkConnectionConfig(settings: Pick<IntegrationProviderSettings, 'provider' | 'authBaseUrl'>, connectionConfig: unknown): ConfigCheck {
    const entry = getProvider(settings.provider);
    if (entry) return validateConnectionConfig(entry, { connection_config: connectionConfig, auth_base_url: settings.authBaseUrl });
    if (connectionConfig === undefined || connectionConfig === null) return { ok: true, values: {} };
    if (typeof connectionConfig !== 'object' || Array.isArray(connectionConfig)) {
      return { ok: false, problems: [{ variable: '', message: 'connection_config must be an object' }] };
    }
    const keys = Object.keys(connectionConfig);
    if (keys.length === 0) return { ok: true, values: {} };
    return { ok: false, problems: keys.map((k) => ({ variable: k, message: `not a connection_config variable of provider ${settings.provider}` })) };
  }

  /** A provider's failure, classified by its module's rules. */
  classify(key: string, failure: ProviderFailure): Classification {
    return classifyProviderFailure(failure, providerModule(key).classificationRules);
  }

  /** The module for behaviour the provider's data cannot express. */
  module(key: string): ProviderModule {
    return providerModule(key);
  }

  /**
   * A successful token response read by the provider's module, plus the API base the catalog
   * says the response names (`api_base_from_token`), checked, as the grant's instance URL.
   */
  interpretTokenResponse(key: string, body: Record<string, unknown>, context: TokenResponseContext): GrantUpdate {
    const update = providerModule(key).interpretTokenResponse(body, context);
    const entry = getProvider(key);
    const base = entry && update.instanceUrl === undefined ? apiBaseFromTokenResponse(entry, body, this.hostOrigins) : undefined;
    return base === undefined ? update : { ...update, instanceUrl: base };
  }

  /**
   * An imported grant's instance URL for a provider whose API base comes from the token
   * response: the same check as a live answer. ok with the URL as given for other providers.
   */
  checkImportedInstanceUrl(key: string, url: string): { ok: true; url: string } | { ok: false; message: string } {
    const entry = getProvider(key);
    if (!entry?.api_base_from_token) return { ok: true, url };
    const checked = checkedApiBaseFromToken(entry, url, this.hostOrigins);
    return checked === null ? { ok: false, message: `must be an https URL on a ${entry.name} API host` } : { ok: true, url: checked };
  }

  /**
   * Where the API proxy sends a connection's calls, first known wins: the integration's own
   * `api_base_url` (for every provider: a custom one's API, or a catalog provider's per-account or
   * per-service host), the catalog's template rendered for this connection, then the instance
   * URL the grant carries (per-account hosts, from the token response). null: none known.
   */
  apiBaseUrl(settings: IntegrationProviderSettings, connectionConfig: Record<string, string>, grantInstanceUrl: string | null): string | null {
    const own = settings.providerConfig.api_base_url ?? null;
    if (own !== null) return own;
    const entry = getProvider(settings.provider);
    const fixed = entry ? renderApiBaseUrl(entry, { connection_config: connectionConfig, auth_base_url: settings.authBaseUrl, host_origins: this.hostOrigins }) : null;
    return fixed ?? grantInstanceUrl;
  }

  endpoints(settings: IntegrationProviderSettings, connectionConfig: Record<string, string> = {}): ProviderEndpoints {
    const entry = getProvider(settings.provider);
    if (!entry) {
      const config = settings.providerConfig;
      return {
        authorizationUrl: config.authorization_url ?? '',
        tokenUrl: config.token_url ?? '',
        revokeUrl: config.revoke_url ?? null,
        clientAuth: config.client_auth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
        revokeClientAuth: config.client_auth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
        authorizationParams: {},
        tokenParams: {},
      };
    }
    const rendered = renderEndpoints(entry, { connection_config: connectionConfig, auth_base_url: settings.authBaseUrl, host_origins: this.hostOrigins });
    return {
      authorizationUrl: rendered.authorization_url ?? '',
      tokenUrl: this.overridden(rendered.refresh_url ?? rendered.token_url ?? ''),
      revokeUrl: rendered.revoke_url === null ? null : this.overridden(rendered.revoke_url),
      clientAuth: entry.auth.client_auth ?? 'client_secret_post',
      revokeClientAuth: entry.auth.revoke_client_auth ?? 'none',
      authorizationParams: withClientId({ ...entry.auth.authorization_params, ...(entry.auth.offline?.authorization_params ?? {}) }, settings.clientId),
      tokenParams: withClientId({ ...entry.auth.token_params }, settings.clientId),
    };
  }

  /** A server-side call to a host in the overrides (development and tests) goes to its origin, path kept. */
  private overridden(url: string): string {
    if (this.hostOrigins.size === 0 || !URL.canParse(url)) return url;
    const parsed = new URL(url);
    const origin = this.hostOrigins.get(parsed.host);
    return origin === undefined ? url : `${origin}${parsed.pathname}${parsed.search}`;
  }

  /**
   * A catalog provider's own revocation request (revoke_style custom with auth.revocation):
   * its rendered URL (client id filled, TOKEN_SLOT for a path token) and the request shape.
   */
  revocationRequest(settings: IntegrationProviderSettings, connectionConfig: Record<string, string> = {}): { url: string; spec: RevocationRequest } | null {
    const entry = getProvider(settings.provider);
    const spec = entry?.auth.revocation ?? null;
    if (!entry || spec === null) return null;
    const inputs = { connection_config: connectionConfig, auth_base_url: settings.authBaseUrl, host_origins: this.hostOrigins };
    const url = renderRevocationUrl(entry, inputs, settings.clientId, TOKEN_SLOT);
    return url === null ? null : { url, spec };
  }

  /** The revocation request shape of a catalog provider, by key (the queue stores the key). */
  revocationSpec(key: string): RevocationRequest | null {
    return getProvider(key)?.auth.revocation ?? null;
  }
}

/** Extra parameters may name the client id as `{client_id}` (TikTok reads it as client_key). */
function withClientId(params: Record<string, string>, clientId: string): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, value.replaceAll('{client_id}', clientId)]));
}

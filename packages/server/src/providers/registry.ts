// Provider lookup for the rest of the server. Built-in: Salesforce (production and
// sandbox login hosts) and `oauth2`, a custom provider whose endpoints the integration
// supplies. The catalog (providers/*.json) adds the others.
import type { IntegrationProviderSettings, ProviderDescription, ProviderEndpoints } from './provider.js';

const SALESFORCE_BASE: Omit<ProviderDescription, 'key' | 'name' | 'defaultAuthBaseUrl'> = {
  defaultScopes: ['api', 'refresh_token'],
  refreshScopes: ['refresh_token', 'offline_access'],
  usesAuthBaseUrl: true,
  returnsExpiresIn: false,
  templateVariables: [],
  grantLimit: { limit: 5, eviction: 'oldest' },
  refreshTokenIdleTtlS: null,
};

const BUILT_IN: ProviderDescription[] = [
  { key: 'salesforce', name: 'Salesforce', defaultAuthBaseUrl: 'https://login.salesforce.com', ...SALESFORCE_BASE },
  { key: 'salesforce-sandbox', name: 'Salesforce (sandbox)', defaultAuthBaseUrl: 'https://test.salesforce.com', ...SALESFORCE_BASE },
  {
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
  },
];

export class ProviderRegistry {
  private readonly byKey = new Map<string, ProviderDescription>();

  constructor(extra: ProviderDescription[] = []) {
    for (const p of [...BUILT_IN, ...extra]) if (!this.byKey.has(p.key)) this.byKey.set(p.key, p);
  }

  describe(key: string): ProviderDescription | undefined {
    return this.byKey.get(key);
  }

  list(): ProviderDescription[] {
    return [...this.byKey.values()];
  }

  isSalesforce(key: string): boolean {
    return key === 'salesforce' || key === 'salesforce-sandbox';
  }

  endpoints(settings: IntegrationProviderSettings): ProviderEndpoints {
    const description = this.byKey.get(settings.provider);
    if (!description) throw new Error(`unknown provider "${settings.provider}"`);
    if (description.usesAuthBaseUrl) {
      const base = (settings.authBaseUrl ?? description.defaultAuthBaseUrl ?? '').replace(/\/+$/, '');
      return {
        authorizationUrl: `${base}/services/oauth2/authorize`,
        tokenUrl: `${base}/services/oauth2/token`,
        revokeUrl: `${base}/services/oauth2/revoke`,
        clientAuth: 'client_secret_post',
        authorizationParams: {},
        tokenParams: {},
      };
    }
    const config = settings.providerConfig;
    return {
      authorizationUrl: config.authorization_url ?? '',
      tokenUrl: config.token_url ?? '',
      revokeUrl: config.revoke_url ?? null,
      clientAuth: config.client_auth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
      authorizationParams: {},
      tokenParams: {},
    };
  }
}

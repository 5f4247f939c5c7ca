// What the providers room needs to know about an integration to render its endpoints.
import type { IntegrationRow } from '../db/types.js';
import type { IntegrationProviderSettings } from '../providers/provider.js';

export function providerSettingsOf(integration: IntegrationRow): IntegrationProviderSettings {
  return {
    provider: integration.provider,
    clientId: integration.client_id,
    scopes: integration.scopes,
    authBaseUrl: integration.auth_base_url,
    providerConfig: integration.provider_config,
  };
}

// The code exchange with the integration's client secrets: refused for its secret while a staged
// one exists (model/client-secrets.ts), it is made once more with the other secret — the provider
// checks the client before the code, so the code is still unused — and the one that works
// becomes current.
import type { AppContext } from '../context.js';
import type { IntegrationRow } from '../db/types.js';
import { clientSecretsOf, promoteFallbackSecret } from '../model/client-secrets.js';
import { oauthClient, type OAuthClient } from '../oauth/client.js';
import type { TokenOutcome } from '../oauth/refresh-grant.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { acceptsClientSecret, rejectsClientSecret } from '../providers/classify.js';
import type { ProviderEndpoints } from '../providers/provider.js';

export async function exchangeWithClientSecrets(
  ctx: AppContext,
  integration: IntegrationRow,
  fetch: GuardedFetch,
  endpoints: ProviderEndpoints,
  exchange: (client: OAuthClient) => Promise<TokenOutcome>,
): Promise<{ outcome: TokenOutcome; clientSecret: string | null }> {
  const secrets = clientSecretsOf(ctx.keyring, integration);
  const clientFor = (clientSecret: string | null) =>
    oauthClient({ endpoints, clientId: integration.client_id, clientSecret, fetch, allowInsecure: ctx.config.allowPrivateNetwork !== false });
  const first = await exchange(clientFor(secrets.current));
  const rules = ctx.providers.module(integration.provider).classificationRules;
  if (first.ok || secrets.fallback === null || !rejectsClientSecret(first.failure, rules)) return { outcome: first, clientSecret: secrets.current };
  const second = await exchange(clientFor(secrets.fallback));
  if (acceptsClientSecret(second, rules) && (await promoteFallbackSecret(ctx, integration))) {
    ctx.log.info({ integration: integration.key }, 'the other client secret worked where the current one was refused: it is now current');
  }
  return { outcome: second, clientSecret: secrets.fallback };
}

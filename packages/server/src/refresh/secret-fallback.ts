// A token call refused for its client secret while a staged one exists (model/client-secrets.ts):
// the first call is recorded as a confirming step (not an operation's outcome, not a failure a
// spike counts), the call is made once more with the other secret, and if the provider accepts
// that one (a token, or a refusal of something else) it becomes current. Only then does the
// answer count.
import type { AppContext } from '../context.js';
import { completeEvent } from '../db/refresh/intent.js';
import type { IntegrationRow } from '../db/types.js';
import { promoteFallbackSecret, type ClientSecrets } from '../model/client-secrets.js';
import { acceptsClientSecret, rejectsClientSecret } from '../providers/classify.js';
import { callOutcome } from './commit.js';
import { countRefresh } from './provider-call.js';
import type { ProviderCall } from './types.js';

export interface SecretCall {
  call: ProviderCall;
  /** The secret the answer that counts was obtained with (a provider may sign its answer with it). */
  secret: string | null;
}

export async function withSecretFallback(
  ctx: AppContext,
  integration: IntegrationRow,
  secrets: ClientSecrets,
  first: ProviderCall,
  retry: (secret: string) => Promise<ProviderCall>,
): Promise<SecretCall> {
  const rules = ctx.providers.module(integration.provider).classificationRules;
  const refused = !first.outcome.ok && rejectsClientSecret(first.outcome.failure, rules);
  if (!refused || first.outcome.ok || secrets.fallback === null) return { call: first, secret: secrets.current };
  // The refusal named a secret: nothing was done with the grant, so a second call is safe.
  await completeEvent(ctx.db.kysely, first.eventId, callOutcome(first, 'permanent_error', { confirming: true, client_secret: 'refused' }));
  countRefresh(ctx, integration, first.trigger, 'permanent_error', first.outcome.failure.error);
  const second = await retry(secrets.fallback);
  // Accepted even if the grant itself is refused: the secret is what this retry was about.
  if (acceptsClientSecret(second.outcome, rules) && (await promoteFallbackSecret(ctx, integration))) {
    ctx.log.info({ integration: integration.key }, 'the other client secret worked where the current one was refused: it is now current');
  }
  return { call: second, secret: secrets.fallback };
}

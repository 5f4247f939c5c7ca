// Staged client secrets: a provider lets a team stage a new consumer secret beside the current
// one and apply it later, so for a while either may be the one it accepts. Grantkeeper keeps the
// secret a change replaced for `client_secret_overlap_s`; a call refused with invalid_client is
// retried once with the other secret, and the one that worked becomes current. Both stay
// encrypted, each bound to its own column; neither is ever returned.
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import type { Keyring } from '../crypto/keyring.js';
import type { IntegrationRow } from '../db/types.js';
import { swapClientSecrets } from '../db/integrations/swap-client-secrets.js';
import type { AppContext } from '../context.js';
import { integrationSecretPlace } from './secret-places.js';

type SecretColumns = Pick<IntegrationRow, 'id' | 'client_secret_enc' | 'previous_client_secret_enc' | 'previous_client_secret_expires_at'>;

export interface ClientSecrets {
  /** The secret calls are made with; null for a public client. */
  current: string | null;
  /** The secret a change replaced, while its overlap lasts; null otherwise. */
  fallback: string | null;
}

export function clientSecretsOf(keyring: Keyring, integration: SecretColumns, now: Date = new Date()): ClientSecrets {
  const current = integration.client_secret_enc ? decryptSecret(keyring, integration.client_secret_enc, integrationSecretPlace(integration.id)) : null;
  const live = integration.previous_client_secret_enc !== null && integration.previous_client_secret_expires_at !== null && integration.previous_client_secret_expires_at > now;
  const fallback = live ? decryptSecret(keyring, integration.previous_client_secret_enc!, integrationSecretPlace(integration.id, 'previous_client_secret_enc')) : null;
  return { current, fallback: fallback === current ? null : fallback };
}

/**
 * The columns a change of `client_secret` writes: the new secret, and the replaced one kept for
 * `overlapS` seconds. Setting the current secret again leaves a kept one alone (a retried
 * request must not end an overlap); an overlap of 0 drops it at once.
 */
export function clientSecretChange(keyring: Keyring, integration: SecretColumns, secret: string, overlapS: number, now: Date = new Date()) {
  const { current } = clientSecretsOf(keyring, integration, now);
  const client_secret_enc = encryptSecret(keyring, secret, integrationSecretPlace(integration.id));
  if (overlapS === 0 || current === null) return { client_secret_enc, previous_client_secret_enc: null, previous_client_secret_expires_at: null };
  if (current === secret) return { client_secret_enc };
  return {
    client_secret_enc,
    previous_client_secret_enc: encryptSecret(keyring, current, integrationSecretPlace(integration.id, 'previous_client_secret_enc')),
    previous_client_secret_expires_at: new Date(now.getTime() + overlapS * 1000),
  };
}

/**
 * The fallback secret worked where the current one was refused: it becomes current, the other
 * becomes the fallback until the same expiry. False when another instance swapped first or the
 * secrets changed meanwhile.
 */
export async function promoteFallbackSecret(ctx: AppContext, integration: SecretColumns): Promise<boolean> {
  const { current, fallback } = clientSecretsOf(ctx.keyring, integration);
  if (current === null || fallback === null || !integration.client_secret_enc || !integration.previous_client_secret_enc) return false;
  const swapped = await swapClientSecrets(
    ctx.db.kysely,
    integration.id,
    { currentEnc: integration.client_secret_enc, previousEnc: integration.previous_client_secret_enc },
    {
      currentEnc: encryptSecret(ctx.keyring, fallback, integrationSecretPlace(integration.id)),
      previousEnc: encryptSecret(ctx.keyring, current, integrationSecretPlace(integration.id, 'previous_client_secret_enc')),
    },
  );
  return swapped !== undefined;
}

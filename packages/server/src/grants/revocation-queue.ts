// Revocation of grants we let go (deleted connections, replaced or refused grants) is
// queued in the caller's transaction and sent by the revocation worker. The revocation row
// keeps what it needs (endpoint, client, token — secrets re-encrypted for that row),
// because the integration itself may be deleted before the provider answers.
import type { AppContext } from '../context.js';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { insertRevocation } from '../db/revocations/insert-revocation.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import type { ConnectionConfig } from '../domain/grants.js';
import { newRowId } from '../model/ids.js';
import { providerSettingsOf } from '../model/integration-settings.js';
import { clientSecretOf, connectionSecretPlace, revocationSecretPlace } from '../model/secret-places.js';
import type { ProviderEndpoints } from '../providers/provider.js';

/** Queues the revocation of a connection's stored refresh token (nothing if it holds none). */
export async function queueRevocation(ctx: AppContext, trx: Executor, row: ConnectionRow, integration: IntegrationRow): Promise<void> {
  if (!row.refresh_token_enc) return;
  const refreshToken = decryptSecret(ctx.keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc'));
  await queueTokenRevocation(ctx, trx, { refreshToken, connectionId: row.id, connectionConfig: row.connection_config }, integration);
}

/** Queues the revocation of a refresh token given in plaintext (e.g. a new grant that is not kept). */
export async function queueTokenRevocation(
  ctx: AppContext,
  trx: Executor,
  grant: { refreshToken: string; connectionId: string | null; connectionConfig: ConnectionConfig },
  integration: IntegrationRow,
): Promise<void> {
  let endpoints: ProviderEndpoints;
  try {
    endpoints = ctx.providers.endpoints(providerSettingsOf(integration), grant.connectionConfig);
  } catch (error) {
    // A stored config the catalog no longer accepts: the delete goes on, unrevoked.
    ctx.log.warn({ err: { message: (error as Error).message } }, 'revoke URL could not be rendered; not revoking');
    return;
  }
  // No RFC 7009 endpoint (revoke_style none, custom or unknown): nothing to queue.
  if (!endpoints.revokeUrl) return;
  const clientSecret = clientSecretOf(ctx.keyring, integration);
  const id = newRowId();
  await insertRevocation(trx, {
    id,
    integration_id: integration.id,
    connection_id: grant.connectionId,
    token_enc: encryptSecret(ctx.keyring, grant.refreshToken, revocationSecretPlace(id, 'token_enc')),
    token_type_hint: 'refresh_token',
    revoke_url: endpoints.revokeUrl,
    client_id: integration.client_id,
    client_auth: endpoints.revokeClientAuth,
    client_secret_enc:
      clientSecret !== null && endpoints.revokeClientAuth !== 'none'
        ? encryptSecret(ctx.keyring, clientSecret, revocationSecretPlace(id, 'client_secret_enc'))
        : null,
    next_attempt_at: new Date(),
  });
}

// Revocation of grants we let go (deleted connections, replaced or refused grants) is
// queued in the caller's transaction and sent by the revocation worker. The revocation row
// keeps what it needs (endpoint, client, token — secrets re-encrypted for that row),
// because the integration itself may be deleted before the provider answers.
//
// Two kinds of row: RFC 7009 (`client_auth` is the client authentication method) and a
// provider's own API (`client_auth` is `provider:<catalog key>`: the worker sends the
// catalog's auth.revocation request to `revoke_url`, which never holds the token itself).
import type { AppContext } from '../context.js';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { insertRevocation } from '../db/revocations/insert-revocation.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import type { ConnectionConfig } from '../domain/grants.js';
import { newRowId } from '../model/ids.js';
import { providerSettingsOf } from '../model/integration-settings.js';
import { clientSecretOf, connectionSecretPlace, revocationSecretPlace } from '../model/secret-places.js';
import type { ProviderEndpoints } from '../providers/provider.js';

/** The `client_auth` marker of a row sent with a catalog provider's own revocation request. */
export const PROVIDER_REVOCATION_PREFIX = 'provider:';

interface GrantToRevoke {
  refreshToken: string;
  /** The grant's access token, for providers whose revocation API takes that one (read only then). */
  accessToken?: () => string | null;
  connectionId: string | null;
  connectionConfig: ConnectionConfig;
}

/** Queues the revocation of a connection's stored refresh token (nothing if it holds none). */
export async function queueRevocation(ctx: AppContext, trx: Executor, row: ConnectionRow, integration: IntegrationRow): Promise<void> {
  if (!row.refresh_token_enc) return;
  const refreshToken = decryptSecret(ctx.keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc'));
  const accessToken = () => (row.access_token_enc ? decryptSecret(ctx.keyring, row.access_token_enc, connectionSecretPlace(row.id, 'access_token_enc')) : null);
  await queueTokenRevocation(ctx, trx, { refreshToken, accessToken, connectionId: row.id, connectionConfig: row.connection_config }, integration);
}

/** Queues the revocation of a refresh token given in plaintext (e.g. a new grant that is not kept). */
export async function queueTokenRevocation(ctx: AppContext, trx: Executor, grant: GrantToRevoke, integration: IntegrationRow): Promise<void> {
  let endpoints: ProviderEndpoints;
  let provider: ReturnType<AppContext['providers']['revocationRequest']>;
  try {
    endpoints = ctx.providers.endpoints(providerSettingsOf(integration), grant.connectionConfig);
    provider = endpoints.revokeUrl ? null : ctx.providers.revocationRequest(providerSettingsOf(integration), grant.connectionConfig);
  } catch (error) {
    // A stored config the catalog no longer accepts: the delete goes on, unrevoked.
    ctx.log.warn({ err: { message: (error as Error).message } }, 'revoke URL could not be rendered; not revoking');
    return;
  }
  const clientSecret = clientSecretOf(ctx.keyring, integration);
  const id = newRowId();
  if (endpoints.revokeUrl) {
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
    return;
  }
  // No RFC 7009 endpoint: the provider's own API if the catalog describes it, else nothing.
  if (provider === null) return;
  const token = provider.spec.token === 'access_token' ? (grant.accessToken?.() ?? null) : grant.refreshToken;
  if (token === null) {
    ctx.log.warn({ integration: integration.id }, 'no access token stored for the provider revocation request; not revoking');
    return;
  }
  await insertRevocation(trx, {
    id,
    integration_id: integration.id,
    connection_id: grant.connectionId,
    token_enc: encryptSecret(ctx.keyring, token, revocationSecretPlace(id, 'token_enc')),
    token_type_hint: provider.spec.token,
    revoke_url: provider.url,
    client_id: integration.client_id,
    client_auth: `${PROVIDER_REVOCATION_PREFIX}${integration.provider}`,
    client_secret_enc:
      clientSecret !== null && provider.spec.client_auth !== 'none'
        ? encryptSecret(ctx.keyring, clientSecret, revocationSecretPlace(id, 'client_secret_enc'))
        : null,
    next_attempt_at: new Date(),
  });
}

// The one place a token result is built from a connection's row: the entry the fast path
// caches, keyed by (connection id, generation), with the integration's defaults beside it so
// a cache hit needs no other lookup.
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import type { ConnectionRow } from '../db/types.js';
import type { RefreshSettings } from '../domain/grants.js';
import { connectionSecretPlace } from '../model/secret-places.js';
import type { CachedToken } from './token-cache.js';

export type TokenRow = Pick<ConnectionRow, 'id' | 'generation' | 'access_token_enc' | 'access_token_expires_at' | 'instance_url'>;

/** The entry for an access token already in plaintext (a refresh just returned it). */
export function tokenEntry(row: Pick<TokenRow, 'id' | 'generation' | 'instance_url'>, accessToken: string, expiresAt: Date, settings: RefreshSettings): CachedToken {
  return {
    connectionId: row.id,
    generation: Number(row.generation),
    accessToken,
    expiresAt,
    instanceUrl: row.instance_url,
    marginS: settings.margin_s,
    accessTokenTtlS: settings.access_token_ttl_s,
    checkedAt: Date.now(),
  };
}

/**
 * The row's stored access token, or null when it holds none. The database just confirmed
 * this generation, so a cached entry of it is served (and re-confirmed) without decrypting.
 */
export function storedToken(ctx: AppContext, row: TokenRow, settings: RefreshSettings): CachedToken | null {
  if (!row.access_token_enc || !row.access_token_expires_at) return null;
  const confirmed = ctx.tokenCache.confirm(row.id, Number(row.generation));
  if (confirmed) return confirmed;
  const accessToken = decryptSecret(ctx.keyring, row.access_token_enc, connectionSecretPlace(row.id, 'access_token_enc'));
  return tokenEntry(row, accessToken, row.access_token_expires_at, settings);
}

// Where each secret lives. A ciphertext is bound to its place (table, column, row), so a
// value copied to another row or column does not decrypt: every caller names the place
// through these, never by spelling out table and column itself.
import { decryptSecret, encryptSecret, type SecretPlace } from '../crypto/envelope.js';
import { refreshTokenFingerprint } from '../crypto/hashing.js';
import type { Keyring } from '../crypto/keyring.js';
import type { IntegrationRow } from '../db/types.js';

export const connectionSecretPlace = (rowId: string, column: 'access_token_enc' | 'refresh_token_enc'): SecretPlace => ({
  table: 'connections',
  column,
  rowId,
});

export const integrationSecretPlace = (rowId: string, column: 'client_secret_enc' | 'previous_client_secret_enc' | 'private_key_enc' = 'client_secret_enc'): SecretPlace => ({
  table: 'integrations',
  column,
  rowId,
});

export const integrationProxyPlace = (rowId: string): SecretPlace => ({ table: 'integrations', column: 'outbound_proxy_enc', rowId });

export const revocationSecretPlace = (rowId: string, column: 'token_enc' | 'client_secret_enc'): SecretPlace => ({ table: 'revocations', column, rowId });

export const codeVerifierPlace = (rowId: string): SecretPlace => ({ table: 'connect_sessions', column: 'code_verifier_enc', rowId });

export const idempotentResponsePlace = (rowId: string): SecretPlace => ({ table: 'idempotency_keys', column: 'response_enc', rowId });

export const webhookSecretPlace = (rowId: string, column: 'secret_enc' | 'previous_secret_enc'): SecretPlace => ({
  table: 'webhook_endpoints',
  column,
  rowId,
});

/** The integration's client secret in plaintext; null for a public client. */
export function clientSecretOf(keyring: Keyring, integration: Pick<IntegrationRow, 'id' | 'client_secret_enc'>): string | null {
  return integration.client_secret_enc ? decryptSecret(keyring, integration.client_secret_enc, integrationSecretPlace(integration.id)) : null;
}

/** A connection's access token as stored: encrypted for its row. */
export function sealAccessToken(keyring: Keyring, rowId: string, accessToken: string): string {
  return encryptSecret(keyring, accessToken, connectionSecretPlace(rowId, 'access_token_enc'));
}

/** A connection's refresh token as stored: encrypted for its row, and its keyed fingerprint (duplicate detection). */
export function sealRefreshToken(keyring: Keyring, rowId: string, refreshToken: string): { enc: string; fp: string } {
  return { enc: encryptSecret(keyring, refreshToken, connectionSecretPlace(rowId, 'refresh_token_enc')), fp: refreshTokenFingerprint(keyring, refreshToken) };
}

/** A connection's current refresh token in plaintext (only for a caller that asked for it by name). */
export function openRefreshToken(keyring: Keyring, row: { id: string; refresh_token_enc: string | null }): string | null {
  return row.refresh_token_enc ? decryptSecret(keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc')) : null;
}

// The refresh_token kind: present the stored (rotation-aware) refresh token.
import { decryptSecret } from '../../crypto/envelope.js';
import { connectionSecretPlace } from '../../model/secret-places.js';
import { refreshGrant } from '../../oauth/refresh-grant.js';
import type { ProviderFailure } from '../../providers/classify.js';
import { clientSigningKey } from './client-key.js';
import type { GrantKind } from './types.js';

/** A refresh token the connection does not have: answered as the provider would, without a call. */
const NO_REFRESH_TOKEN: ProviderFailure = {
  kind: 'oauth_error',
  grantType: 'refresh_token',
  httpStatus: null,
  error: 'invalid_grant',
  errorDescription: 'no refresh token is stored for this connection',
  bodyWasJson: false,
  requestSent: false,
};

export const refreshTokenKind: GrantKind = {
  async prepare(ctx, row, integration) {
    if (!row.refresh_token_enc) return { ok: false, failure: NO_REFRESH_TOKEN };
    const refreshToken = decryptSecret(ctx.keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc'));
    return {
      ok: true,
      mint: {
        sendsClientSecret: true,
        clientSigningKey: await clientSigningKey(ctx, integration),
        request: (client, params) => refreshGrant(client, refreshToken, { params }),
      },
    };
  },
};

// RFC 7009 revocation at the provider's revoke endpoint. An `invalid_token` answer means
// the token is already dead: that counts as revoked.
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './client.js';
import { failureFromException, failureFromResponse } from './failure.js';

export type RevokeOutcome = { ok: true; alreadyInvalid: boolean } | { ok: false; retryable: boolean; reason: string };

export async function revokeToken(client: OAuthClient, token: string, tokenTypeHint: 'refresh_token' | 'access_token'): Promise<RevokeOutcome> {
  let response: Response;
  try {
    response = await oauth.revocationRequest(client.as, client.client, client.auth, token, {
      ...client.options,
      additionalParameters: { token_type_hint: tokenTypeHint },
    });
  } catch (error) {
    const failure = failureFromException(error, 'refresh_token');
    return { ok: false, retryable: true, reason: failure.kind };
  }
  if (response.status === 200 || response.status === 204) return { ok: true, alreadyInvalid: false };
  const failure = await failureFromResponse(response, 'refresh_token');
  if (failure.error === 'invalid_token') return { ok: true, alreadyInvalid: true };
  const retryable = response.status >= 500 || response.status === 429 || response.status === 408 || !failure.bodyWasJson;
  return { ok: false, retryable, reason: `${response.status} ${failure.error ?? ''} ${failure.errorDescription ?? ''}`.trim() };
}

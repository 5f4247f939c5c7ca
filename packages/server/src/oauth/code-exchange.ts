// The authorization_code grant: the code from the callback, the same redirect URI and the
// PKCE verifier, through oauth4webapi and the guarded fetch. The caller has already matched
// `state` to a flow it started (by hash, with the browser's cookie); the answer is read
// like a refresh answer, so every outcome is a token response or a ProviderFailure.
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './client.js';
import { failureFromException } from './failure.js';
import { readTokenResponse, type TokenOutcome } from './refresh-grant.js';

export async function exchangeCode(
  client: OAuthClient,
  input: { code: string; state: string; redirectUri: string; codeVerifier: string; params?: Record<string, string> },
): Promise<TokenOutcome> {
  let response: Response;
  try {
    // Only code and state go in: the provider's other callback parameters are not ours to trust.
    const callback = oauth.validateAuthResponse(client.as, client.client, new URLSearchParams({ code: input.code, state: input.state }), input.state);
    response = await oauth.authorizationCodeGrantRequest(client.as, client.client, client.auth, callback, input.redirectUri, input.codeVerifier, {
      ...client.options,
      additionalParameters: new URLSearchParams(input.params ?? {}),
    });
  } catch (error) {
    return { ok: false, failure: failureFromException(error, 'authorization_code') };
  }
  return readTokenResponse(client, response, 'authorization_code');
}

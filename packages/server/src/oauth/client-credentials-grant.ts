// The client_credentials grant (RFC 6749 §4.4): the app asks for a token on its own behalf,
// authenticated by its secret or a signed assertion (private_key_jwt). No refresh token.
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './client.js';
import { failureFromException } from './failure.js';
import { readTokenResponse, type TokenOutcome } from './refresh-grant.js';

export async function clientCredentialsGrant(client: OAuthClient, extra: { params?: Record<string, string> } = {}): Promise<TokenOutcome> {
  let response: Response;
  try {
    response = await oauth.clientCredentialsGrantRequest(client.as, client.client, client.auth, new URLSearchParams(extra.params ?? {}), client.options);
  } catch (error) {
    return { ok: false, failure: failureFromException(error, 'client_credentials') };
  }
  return readTokenResponse(client, response, 'client_credentials');
}

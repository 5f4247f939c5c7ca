// The authorization request of the code flow: a fresh `state` and PKCE S256 pair, the exact
// redirect URI, the integration's scopes and the provider's extra parameters (catalog data).
import * as oauth from 'oauth4webapi';

export interface AuthorizationRequestInput {
  authorizationUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  scopeSeparator: string;
  /** From the catalog (e.g. access_type=offline); never overrides the protocol parameters. */
  extraParams: Record<string, string>;
}

export interface AuthorizationRequest {
  url: string;
  /** Sent to the provider and echoed back; only its hash is stored. */
  state: string;
  /** Kept (encrypted) until the code is exchanged. */
  codeVerifier: string;
}

const PROTOCOL_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']);

export async function buildAuthorizationRequest(input: AuthorizationRequestInput): Promise<AuthorizationRequest> {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const url = new URL(input.authorizationUrl);
  for (const [name, value] of Object.entries(input.extraParams)) {
    if (!PROTOCOL_PARAMS.has(name)) url.searchParams.set(name, value);
  }
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  if (input.scopes.length > 0) url.searchParams.set('scope', input.scopes.join(input.scopeSeparator));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return { url: url.toString(), state, codeVerifier };
}

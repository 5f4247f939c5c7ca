// The oauth4webapi view of one integration: authorization server metadata built from the
// provider's endpoints (no discovery: some providers' issuer does not match their tenant hosts),
// the client, its authentication method, and the guarded fetch.
import * as oauth from 'oauth4webapi';
import type { ProviderEndpoints } from '../providers/provider.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';

export interface OAuthClientSettings {
  endpoints: ProviderEndpoints;
  clientId: string;
  clientSecret: string | null;
  /** Set: the client authenticates with a signed assertion (RFC 7523 private_key_jwt) instead of a secret. */
  signingKey?: oauth.CryptoKey | null;
  fetch: GuardedFetch;
  /** Plain http endpoints are allowed only when private networks are (tests, the emulator). */
  allowInsecure: boolean;
}

export interface OAuthClient {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: { [oauth.customFetch]: GuardedFetch; [oauth.allowInsecureRequests]?: boolean };
}

export function oauthClient(settings: OAuthClientSettings): OAuthClient {
  const { endpoints } = settings;
  const as: oauth.AuthorizationServer = {
    issuer: new URL(endpoints.tokenUrl).origin,
    authorization_endpoint: endpoints.authorizationUrl,
    token_endpoint: endpoints.tokenUrl,
    ...(endpoints.revokeUrl ? { revocation_endpoint: endpoints.revokeUrl } : {}),
  };
  const auth = settings.signingKey
    ? oauth.PrivateKeyJwt({ key: settings.signingKey })
    : settings.clientSecret === null
      ? oauth.None()
      : endpoints.clientAuth === 'client_secret_basic'
          ? oauth.ClientSecretBasic(settings.clientSecret)
          : oauth.ClientSecretPost(settings.clientSecret);
  return {
    as,
    client: { client_id: settings.clientId },
    auth,
    options: {
      [oauth.customFetch]: settings.fetch,
      ...(settings.allowInsecure ? { [oauth.allowInsecureRequests]: true } : {}),
    },
  };
}

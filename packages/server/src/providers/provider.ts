// What the rest of Grantkeeper knows about a provider: data from the catalog, plus a small
// module for behaviour data cannot express (Salesforce: no expires_in, identity URL,
// signature). Nothing outside `providers/` branches on a provider's key.
import type { CustomProviderConfig } from '../domain/grants.js';

export type ClientAuth = 'client_secret_basic' | 'client_secret_post';

export interface IntegrationProviderSettings {
  provider: string;
  clientId: string;
  scopes: string[];
  authBaseUrl: string | null;
  /** Custom `oauth2` providers: their endpoints and client authentication. */
  providerConfig: CustomProviderConfig;
}

export interface ProviderEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  revokeUrl: string | null;
  clientAuth: ClientAuth;
  /** How the revoke request authenticates (`none`: the token alone, as Salesforce allows). */
  revokeClientAuth: ClientAuth | 'none';
  /** Extra authorization-request parameters (e.g. access_type=offline). */
  authorizationParams: Record<string, string>;
  /** Extra token-request parameters. */
  tokenParams: Record<string, string>;
}

export interface ProviderDescription {
  key: string;
  name: string;
  /** Scopes used when an integration names none. */
  defaultScopes: string[];
  /** At least one of these must be among the scopes, or no refresh token is ever issued (400). */
  refreshScopes: string[];
  /** Default login host; null when the provider has fixed endpoints. */
  defaultAuthBaseUrl: string | null;
  /** Whether `auth_base_url` is meaningful for this provider. */
  usesAuthBaseUrl: boolean;
  /** Whether token responses carry expires_in; if not, access_token_ttl_s is assumed. */
  returnsExpiresIn: boolean;
  /** Template variables a connection must supply (connection_config), e.g. a shop name. */
  templateVariables: string[];
  /** The provider's live-grant limit per user per app, and which grant it evicts. */
  grantLimit: { limit: number; eviction: 'oldest' | 'least_recently_used' | 'refused' } | null;
  /** Known idle lifetime of a refresh token (seconds), when documented. */
  refreshTokenIdleTtlS: number | null;
  /** Known absolute lifetime of a refresh token from authorization (seconds), when documented. */
  refreshTokenAbsoluteTtlS: number | null;
  /** The documented access-token lifetime (seconds): the default `refresh.access_token_ttl_s`. */
  accessTokenTtlS: number | null;
  /** Whether a refresh may hand back a new refresh token that replaces the old (unknown counts as yes). */
  rotating: boolean;
  /** The default `refresh.keepalive_s`: a third of the idle lifetime, at most a day. */
  keepaliveS: number;
  /** Whether connect sessions verify the new grant (one refresh after the code exchange) unless told otherwise. */
  verifyOnConnect: boolean;
}

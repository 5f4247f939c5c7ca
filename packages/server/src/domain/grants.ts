// The stored vocabulary of integrations and connections: what the JSON columns hold and
// the statuses a row can be in. Types only; the database schema, the API and the engine
// all speak it.

export type ConnectionStatus = 'active' | 'refresh_failing' | 'needs_reauth';
export type IntegrationStatus = 'ok' | 'error';

/**
 * How an integration's connections get access tokens (API `grant_type`): an end user's
 * authorization and its refresh token, or a server-to-server grant minted by the app itself.
 */
export type IntegrationGrantType = 'authorization_code' | 'client_credentials' | 'jwt_bearer';

/** An integration's refresh policy (API `refresh`), defaults applied. */
export interface RefreshSettings {
  margin_s: number;
  keepalive_s: number;
  access_token_ttl_s: number;
  max_per_s: number;
  keep_warm: boolean;
}

/** API `last_error`: the provider's answer as sent, each field cut to 1 KB. */
export interface LastError {
  at: string;
  http_status: number | null;
  error: string | null;
  error_description: string | null;
}

/** A custom `oauth2` integration's own endpoints and client authentication. */
export interface CustomProviderConfig {
  authorization_url?: string;
  token_url?: string;
  revoke_url?: string | null;
  client_auth?: 'body' | 'basic';
  /** Where the provider's API lives, for the API proxy (absent: the proxy cannot be used). */
  api_base_url?: string | null;
}

/** A connection's values for its provider's URL template variables (e.g. a shop name). */
export type ConnectionConfig = Record<string, string>;

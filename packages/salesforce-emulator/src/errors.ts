/**
 * Every error the emulator can answer, as data. A failure is named by its kind;
 * the app's mode picks the wire shape: Salesforce's strings (docs/salesforce.md)
 * or plain RFC 6749 / RFC 7009 errors for generic OAuth apps.
 */
export type OAuthErrorKind =
  | 'invalid_client_id'
  | 'invalid_client_credentials'
  | 'unsupported_grant_type'
  | 'must_use_post'
  | 'missing_parameter'
  | 'expired_refresh_token'
  | 'refresh_token_validity_expired'
  | 'expired_authorization_code'
  | 'invalid_code_verifier'
  | 'redirect_uri_mismatch'
  | 'inactive_user'
  | 'inactive_org'
  | 'ip_restricted'
  | 'authentication_failure'
  | 'user_not_approved'
  | 'rate_limited'
  | 'app_not_installed'
  | 'invalid_assertion'
  | 'audience_invalid'
  | 'assertion_expired'
  | 'no_client_credentials_user'
  | 'domain_not_supported'
  | 'unknown_error';

export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

export interface WireError {
  status: number;
  body: OAuthErrorBody;
}

const invalidGrant = (description: string): WireError => ({
  status: 400,
  body: { error: 'invalid_grant', error_description: description },
});

/** Salesforce token-endpoint errors: all HTTP 400 JSON (docs/salesforce.md). */
export const SALESFORCE_ERRORS: Record<OAuthErrorKind, WireError> = {
  invalid_client_id: { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } },
  invalid_client_credentials: { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } },
  unsupported_grant_type: { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } },
  must_use_post: { status: 400, body: { error: 'invalid_request', error_description: 'must use HTTP POST' } },
  missing_parameter: { status: 400, body: { error: 'invalid_request', error_description: 'missing required parameter' } },
  expired_refresh_token: invalidGrant('expired access/refresh token'),
  // Mapping of "Expire refresh token after N" to this text is [INF] (docs/salesforce.md).
  refresh_token_validity_expired: invalidGrant('token validity expired'),
  expired_authorization_code: invalidGrant('expired authorization code'),
  // Observed form (docs/salesforce.md); the docs say invalid_request.
  invalid_code_verifier: invalidGrant('invalid code verifier'),
  redirect_uri_mismatch: { status: 400, body: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' } },
  inactive_user: invalidGrant('inactive user'),
  inactive_org: invalidGrant('inactive organization'),
  ip_restricted: invalidGrant('IP restricted or invalid login hours'),
  authentication_failure: invalidGrant('authentication failure'),
  user_not_approved: invalidGrant("user hasn't approved this consumer"),
  // An External Client App with no installation in the user's org. Wire text [CODE]: quoted in
  // dust-tt/dust#26727 (refresh) and third-party setup guides (JWT flow); not in Salesforce's
  // docs. The 400 status is [INF], like every other token-endpoint error.
  app_not_installed: { status: 400, body: { error: 'app_not_found', error_description: 'External client app is not installed in this org' } },
  // Status on the token endpoint is [INF]; `rateLimitStyle: '429'` switches it.
  // JWT Bearer and Client Credentials (docs/salesforce.md "Server-to-server grants"): [3P]
  // wordings from reports of the real endpoint; the emulator's trigger for each is [INF].
  invalid_assertion: invalidGrant('invalid assertion'),
  audience_invalid: invalidGrant('audience is invalid'),
  // An `exp` in the past (salesforce.stackexchange.com/q/282513): the same words as a stale code.
  assertion_expired: invalidGrant('expired authorization code'),
  no_client_credentials_user: invalidGrant('no client credentials user enabled'),
  domain_not_supported: { status: 400, body: { error: 'invalid_request', error_description: 'request not supported on this domain' } },
  rate_limited: { status: 400, body: { error: 'rate_limit_exceeded', error_description: 'number of logins exceeded' } },
  unknown_error: { status: 500, body: { error: 'unknown_error', error_description: 'retry your request' } },
};

/** The older documented codes (the older documented codes, docs/salesforce.md), used with `legacyErrorCodes`. */
export const SALESFORCE_LEGACY_ERRORS: Partial<Record<OAuthErrorKind, WireError>> = {
  inactive_user: { status: 400, body: { error: 'inactive_user', error_description: 'user is inactive' } },
  inactive_org: { status: 400, body: { error: 'inactive_org', error_description: 'organization is locked, closed, or suspended' } },
  invalid_client_credentials: { status: 400, body: { error: 'invalid_client_credentials', error_description: 'client secret invalid' } },
};

const genericInvalidGrant = (description: string): WireError => ({
  status: 400,
  body: { error: 'invalid_grant', error_description: description },
});

/** RFC 6749 §5.2 shapes for generic apps: bad client auth is 401 invalid_client. */
export const GENERIC_ERRORS: Record<OAuthErrorKind, WireError> = {
  invalid_client_id: { status: 401, body: { error: 'invalid_client', error_description: 'unknown client' } },
  invalid_client_credentials: { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } },
  unsupported_grant_type: { status: 400, body: { error: 'unsupported_grant_type', error_description: 'the grant type is not supported' } },
  must_use_post: { status: 400, body: { error: 'invalid_request', error_description: 'the token endpoint requires POST' } },
  missing_parameter: { status: 400, body: { error: 'invalid_request', error_description: 'a required parameter is missing' } },
  expired_refresh_token: genericInvalidGrant('the refresh token is invalid, expired or revoked'),
  refresh_token_validity_expired: genericInvalidGrant('the refresh token has expired'),
  expired_authorization_code: genericInvalidGrant('the authorization code is invalid, expired or already used'),
  invalid_code_verifier: genericInvalidGrant('PKCE verification failed'),
  redirect_uri_mismatch: genericInvalidGrant('redirect_uri does not match the authorization request'),
  inactive_user: genericInvalidGrant('the user is inactive'),
  inactive_org: genericInvalidGrant('the tenant is inactive'),
  ip_restricted: genericInvalidGrant('the request comes from a disallowed address'),
  authentication_failure: genericInvalidGrant('the user credentials changed'),
  user_not_approved: genericInvalidGrant('the user has not approved this client'),
  invalid_assertion: genericInvalidGrant('the assertion signature does not verify'),
  audience_invalid: genericInvalidGrant('the assertion audience is not this server'),
  assertion_expired: genericInvalidGrant('the assertion has expired'),
  no_client_credentials_user: { status: 400, body: { error: 'unauthorized_client', error_description: 'the client may not use client_credentials' } },
  domain_not_supported: { status: 400, body: { error: 'invalid_request', error_description: 'client_credentials is not supported on this host' } },
  rate_limited: { status: 429, body: { error: 'rate_limit_exceeded', error_description: 'too many requests' } },
  app_not_installed: genericInvalidGrant('the client is not enabled for this tenant'),
  unknown_error: { status: 500, body: { error: 'server_error', error_description: 'temporary failure' } },
};

/** Authorization-endpoint errors, delivered on the redirect_uri or an error page (docs/salesforce.md). */
export const AUTHORIZE_ERRORS = {
  unsupported_response_type: { error: 'unsupported_response_type', error_description: 'response type not supported' },
  invalid_client_id: { error: 'invalid_client_id', error_description: 'client identifier invalid' },
  redirect_uri_missing: { error: 'redirect_uri_missing', error_description: 'redirect_uri not provided' },
  redirect_uri_mismatch: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' },
  access_denied: { error: 'access_denied', error_description: 'end-user denied authorization' },
  immediate_unsuccessful: { error: 'immediate_unsuccessful', error_description: 'immediate unsuccessful' },
  ip_restricted: { error: 'invalid_grant', error_description: 'IP restricted or invalid login hours' },
  inactive_user: { error: 'inactive_user', error_description: 'user is inactive' },
  inactive_org: { error: 'inactive_org', error_description: 'organization is locked, closed, or suspended' },
  invalid_scope: { error: 'invalid_scope', error_description: 'requested scope is invalid, unknown, or malformed' },
  missing_code_challenge: { error: 'invalid_request', error_description: 'missing required code challenge' },
  invalid_code_challenge_method: { error: 'invalid_request', error_description: 'invalid code challenge method' },
  // [INF] The real page is OAUTH_APPROVAL_ERROR_GENERIC; a redirect is easier to test against.
  user_not_approved: { error: 'access_denied', error_description: "user hasn't approved this consumer" },
  app_blocked: { error: 'access_denied', error_description: 'application is blocked' },
  // An External Client App not installed in the user's org (`notInstalledAuthorizeError` picks the code).
  app_not_installed: { error: 'app_not_found', error_description: 'External client app is not installed in this org' },
  app_not_installed_reported: { error: 'OAUTH_EC_APP_NOT_FOUND', error_description: 'External client app is not installed in this org' },
  rate_limited: { error: 'rate_limit_exceeded', error_description: 'number of logins exceeded' },
} as const satisfies Record<string, OAuthErrorBody>;

export type AuthorizeErrorKind = keyof typeof AUTHORIZE_ERRORS;

/** Revoke endpoint errors (docs/salesforce.md). */
export const REVOKE_INVALID_TOKEN: OAuthErrorBody = { error: 'invalid_token', error_description: 'Token was invalid' };

/** REST API bodies (docs/salesforce.md). */
export const REST_INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
export const REST_INVALID_AUTH_HEADER = [{ message: 'INVALID_HEADER_TYPE', errorCode: 'INVALID_AUTH_HEADER' }];
export const REST_REQUEST_LIMIT = [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }];
export const REST_NOT_FOUND = [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }];
export const REST_MALFORMED_QUERY = [{ message: 'unexpected token: query', errorCode: 'MALFORMED_QUERY' }];

/** Identity and UserInfo answer a token they do not accept with 403 plain text (docs/salesforce.md). */
export const IDENTITY_BAD_TOKEN = 'Bad_OAuth_Token';
export const IDENTITY_BAD_ID = 'Bad_Id';

// Salesforce's token-endpoint error answers, as data (docs/salesforce.md).
// Each entry lists every wire form Salesforce is known to use for one cause; the module's
// classification rules and named causes match against these lists instead of spelling strings
// out in code (diagnosis reads only the named cause, never these).
import type { WireErrorPattern } from '../classify.js';

export const SALESFORCE_WIRE_ERRORS = {
  /** The catch-all: unknown, revoked, evicted by the 5-approval limit, expired by policy, or a rotated-out token reused. */
  expiredToken: [{ error: 'invalid_grant', description: 'expired access/refresh token' }],
  /** Most likely the "Expire refresh token after N" absolute lifetime (the mapping is an inference, docs/salesforce.md). */
  tokenValidityExpired: [{ error: 'invalid_grant', description: 'token validity expired' }],
  /** Generic auth failure; reported on refresh after password changes or resets. */
  authenticationFailure: [{ error: 'invalid_grant', description: 'authentication failure' }],
  inactiveUser: [
    { error: 'invalid_grant', description: 'inactive user' },
    { error: 'inactive_user' }, // older documented code, description "user is inactive"
  ],
  inactiveOrg: [
    { error: 'invalid_grant', description: 'inactive organization' },
    { error: 'inactive_org' }, // older documented code, description "organization is locked, closed, or suspended"
  ],
  ipRestricted: [
    { error: 'invalid_grant', description: 'IP restricted or invalid login hours' },
    // The app's Refresh Token IP Allowlist refusing the caller's address (third-party reports;
    // Salesforce documents the block, not its wire text).
    { error: 'invalid_grant', description: 'ip restricted by app developer' },
  ],
  notApproved: [{ error: 'invalid_grant', description: "user hasn't approved this consumer" }],
  /**
   * The app (an External Client App) is not installed in the grant's org, or API Access Control
   * does not allow it there. `app_not_found` / "External client app is not installed in this org"
   * is quoted from real refresh answers (dust-tt/dust#26727, 2026) and JWT-flow guides; Salesforce
   * documents neither, so any description is accepted. Users also report the code
   * OAUTH_EC_APP_NOT_FOUND after logging in (PipedreamHQ/pipedream#21571).
   */
  appNotInstalled: [{ error: 'app_not_found' }, { error: 'OAUTH_EC_APP_NOT_FOUND' }],
  /**
   * Since Summer '24 Salesforce rejects a refresh while another one with the same refresh token
   * is being processed, with this body (observed by Segment; the text is undocumented). On a
   * refresh grant it means someone else is refreshing the token, not that the token is dead.
   */
  concurrentRefresh: [{ error: 'invalid_grant', description: 'expired authorization code', grantType: 'refresh_token' }],
  /**
   * Client Credentials flow with no run-as (execution) user set on the app, or the flow not
   * enabled for it: the app's configuration, not any grant ([3P] wording, widely reported).
   */
  clientCredentialsDisabled: [{ error: 'invalid_grant', description: 'no client credentials user enabled', grantType: 'client_credentials' }],
  /**
   * A JWT Bearer assertion Salesforce cannot accept: the signature does not verify against the
   * app's certificate, `iss` is not the consumer key, `exp` is past or too far ahead, or `aud`
   * is not the login host ([3P] wordings, widely reported). The integration's key or settings
   * are wrong: one fix for every connection.
   */
  assertionRejected: [
    { error: 'invalid_grant', description: 'invalid assertion', grantType: 'jwt_bearer' },
    { error: 'invalid_grant', description: 'audience is invalid', grantType: 'jwt_bearer' },
    { error: 'invalid_grant', description: 'expired authorization code', grantType: 'jwt_bearer' },
  ],
  /** Client Credentials requested from login/test.salesforce.com instead of the org's My Domain ([3P]). */
  domainNotSupported: [{ error: 'invalid_request', description: 'request not supported on this domain' }],
} as const satisfies Record<string, readonly WireErrorPattern[]>;


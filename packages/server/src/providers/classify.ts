// Classifying a provider failure (docs/design.md "Classifying a provider's answer"): the rules are data,
// one function applies them in that order. Pure: no I/O. The rules here are RFC 6749's;
// a provider module extends them with its own codes (mergeClassificationRules).

export type ErrorClass = 'integration' | 'transient' | 'permanent';
/** The grant a token request used; the last two mint without a refresh token (server-to-server). */
export type GrantType = 'refresh_token' | 'authorization_code' | 'client_credentials' | 'jwt_bearer';

/** What the oauth layer hands over; the wire fields verbatim. */
export interface ProviderFailure {
  /**
   * `blocked`: Grantkeeper's outbound policy refused the destination; `proxy_error`: the
   * outbound proxy could not be reached or refused the tunnel. Nothing was sent for either.
   */
  kind: 'oauth_error' | 'http_error' | 'network_error' | 'timeout' | 'blocked' | 'proxy_error';
  grantType: GrantType;
  /** null for network errors, timeouts and blocked destinations */
  httpStatus: number | null;
  /** OAuth `error`, when the body was parseable JSON/form carrying one */
  error: string | null;
  errorDescription: string | null;
  /** A non-JSON 4xx (a proxy or maintenance page) is transient plus an alert. */
  bodyWasJson: boolean;
  /** For timeouts/resets: was the request fully sent (then, with rotation, the outcome is unknown). */
  requestSent: boolean;
}

export interface Classification {
  class: ErrorClass;
  /** Someone should look: a non-JSON 4xx, an unknown error code, an unexpected status. */
  alert: boolean;
  /** 429 or `rate_limit_exceeded`: the scheduler halves the integration's rate. */
  rateLimited: boolean;
  /** Short machine string: 'concurrent_refresh', 'invalid_grant', 'http_5xx', 'unclassified', … */
  reason: string;
}

/**
 * One wire form of a provider error. `description` is compared case-insensitively with
 * whitespace collapsed; absent means any description. `grantType` absent means either grant.
 */
export interface WireErrorPattern {
  readonly error: string;
  readonly description?: string;
  readonly grantType?: GrantType;
}

/** A wire form that decides the class before the code lists are consulted. */
export interface ErrorSignature extends WireErrorPattern {
  readonly class: ErrorClass;
  readonly reason: string;
}

/** Plain data (JSON-friendly), so a provider's catalog entry or module can extend it. */
export interface ClassificationRules {
  /** Checked first, in order: specific (error, description, grant) combinations. */
  readonly signatures: readonly ErrorSignature[];
  /** The integration's credentials or configuration are rejected: never an end-user re-auth. */
  readonly integrationErrors: readonly string[];
  readonly transientErrors: readonly string[];
  /** Grant-level: the grant is dead (confirmed by one retry before `needs_reauth`). */
  readonly permanentErrors: readonly string[];
  /** Codes that mean "slow down", besides HTTP 429. */
  readonly rateLimitErrors: readonly string[];
  /** Statuses that are transient without an OAuth error; every 5xx is too. */
  readonly transientHttpStatuses: readonly number[];
  /** Codes that mean the client secret itself was refused (a staged secret may work instead). */
  readonly clientSecretErrors: readonly string[];
}

/** Reason given to anything nobody knows; diagnosis turns it into `unclassified_error`. */
export const UNCLASSIFIED_REASON = 'unclassified';

/** Reason given to a destination the outbound policy refuses; diagnosis turns it into `address_blocked`. */
export const ADDRESS_BLOCKED_REASON = 'address_blocked';

/**
 * Reasons a provider module gives to server-to-server refusals of the app itself (diagnosis
 * `client_credentials_disabled` and `assertion_rejected`): the flow has no run-as user, or the
 * signed assertion (key, iss, aud, exp) is refused.
 */
export const CLIENT_CREDENTIALS_DISABLED_REASON = 'client_credentials_disabled';
export const ASSERTION_REJECTED_REASON = 'assertion_rejected';

/** Reason given to a failing outbound proxy: transient, and an alert (the operator's proxy needs a look). */
export const OUTBOUND_PROXY_REASON = 'outbound_proxy';

/** RFC 6749 §5.2 codes only (plus §4.1.2.1's two transient ones): for the generic OAuth 2.0 provider. */
export const OAUTH2_CLASSIFICATION_RULES: ClassificationRules = {
  signatures: [],
  integrationErrors: ['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_request'],
  transientErrors: ['temporarily_unavailable', 'server_error'],
  permanentErrors: ['invalid_grant'],
  rateLimitErrors: [],
  transientHttpStatuses: [408, 425, 429],
  clientSecretErrors: ['invalid_client'],
};

/** Adds a provider's entries to a base rule set (signatures of the addition come first). */
export function mergeClassificationRules(base: ClassificationRules, add: Partial<ClassificationRules>): ClassificationRules {
  return {
    signatures: [...(add.signatures ?? []), ...base.signatures],
    integrationErrors: union(base.integrationErrors, add.integrationErrors),
    transientErrors: union(base.transientErrors, add.transientErrors),
    permanentErrors: union(base.permanentErrors, add.permanentErrors),
    rateLimitErrors: union(base.rateLimitErrors, add.rateLimitErrors),
    transientHttpStatuses: union(base.transientHttpStatuses, add.transientHttpStatuses),
    clientSecretErrors: union(base.clientSecretErrors, add.clientSecretErrors),
  };
}

/** Whether an answer refuses the client secret the call was made with. */
export function rejectsClientSecret(f: Pick<ProviderFailure, 'error'>, rules: ClassificationRules): boolean {
  return f.error !== null && rules.clientSecretErrors.includes(f.error);
}

/**
 * Whether an answer shows the client secret was accepted: a token, or an OAuth error about
 * something else (the grant, the user …). No answer at all shows nothing.
 */
export function acceptsClientSecret(outcome: { ok: true } | { ok: false; failure: Pick<ProviderFailure, 'kind' | 'error'> }, rules: ClassificationRules): boolean {
  if (outcome.ok) return true;
  return outcome.failure.kind === 'oauth_error' && !rejectsClientSecret(outcome.failure, rules);
}

/** `rules`: the provider module's (ctx.providers.classify picks them by provider key). */
export function classifyProviderFailure(f: ProviderFailure, rules: ClassificationRules): Classification {
  const rateLimited = f.httpStatus === 429 || (f.error !== null && rules.rateLimitErrors.includes(f.error));
  const result = (cls: ErrorClass, reason: string, alert = false): Classification => ({ class: cls, alert, rateLimited, reason });

  // Grantkeeper itself refused the destination (the integration's URL resolves to an address
  // the outbound policy blocks): a configuration error that no retry can fix, not the network.
  if (f.kind === 'blocked') return result('integration', ADDRESS_BLOCKED_REASON);
  if (f.kind === 'proxy_error') return result('transient', OUTBOUND_PROXY_REASON, true);

  // 1. A parseable OAuth error decides.
  if (f.error !== null && f.error !== '') {
    const signature = rules.signatures.find((s) => matchesWireError(f, s));
    if (signature) return result(signature.class, signature.reason);
    if (rules.integrationErrors.includes(f.error)) return result('integration', f.error);
    if (rules.transientErrors.includes(f.error)) return result('transient', f.error);
    if (rules.permanentErrors.includes(f.error)) return result('permanent', f.error);
    // Unknown codes never push an end user to re-authorize; a developer looks instead.
    return result('transient', UNCLASSIFIED_REASON, true);
  }

  // 2. Otherwise the transport and the HTTP status. Never permanent without an OAuth error.
  if (f.kind === 'network_error') return result('transient', 'network_error');
  if (f.kind === 'timeout') return result('transient', 'timeout');
  const status = f.httpStatus;
  if (status === null) return result('transient', UNCLASSIFIED_REASON, true);
  if (status >= 500 && status <= 599) return result('transient', 'http_5xx');
  if (rules.transientHttpStatuses.includes(status)) return result('transient', `http_${status}`);
  // A proxy or maintenance page, not the provider's OAuth server speaking.
  if (status >= 400 && status <= 499 && !f.bodyWasJson) return result('transient', 'http_4xx_not_json', true);
  // A JSON 4xx without `error`, or a status the token endpoint should never give (3xx, 2xx).
  return result('transient', UNCLASSIFIED_REASON, true);
}

/** Whether a failure matches one wire form (a provider module reads causes from descriptions this way). */
function matchesWireError(
  f: Pick<ProviderFailure, 'error' | 'errorDescription' | 'grantType'>,
  pattern: WireErrorPattern,
): boolean {
  if (f.error !== pattern.error) return false;
  if (pattern.grantType !== undefined && f.grantType !== pattern.grantType) return false;
  if (pattern.description === undefined) return true;
  return f.errorDescription !== null && normalizeDescription(f.errorDescription) === normalizeDescription(pattern.description);
}

export function matchesAnyWireError(
  f: Pick<ProviderFailure, 'error' | 'errorDescription' | 'grantType'>,
  patterns: readonly WireErrorPattern[],
): boolean {
  return patterns.some((p) => matchesWireError(f, p));
}

/**
 * A timeout or reset after the whole request went out: the provider may have processed it,
 * so on a rotating grant the refresh's outcome is `unknown` (docs/design.md "Crash safety with rotating tokens").
 */
export function outcomeMayBeUnknown(f: ProviderFailure): boolean {
  return (f.kind === 'timeout' || f.kind === 'network_error') && f.requestSent;
}

// Descriptions vary in case, spacing, apostrophe style and a trailing period between reports.
function normalizeDescription(s: string): string {
  return s.trim().toLowerCase().replace(/[\u2018\u2019`]/g, "'").replace(/\s+/g, ' ').replace(/\.$/, '');
}

function union<T>(a: readonly T[], b: readonly T[] | undefined): readonly T[] {
  return b === undefined ? a : [...new Set([...a, ...b])];
}

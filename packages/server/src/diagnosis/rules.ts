// The diagnosis table of docs/design.md as data: applied in order, the first match wins.
// Each rule's evidence is narrow (an answer that names its own cause, e.g. "inactive user",
// is never re-explained by a later, vaguer clue), so the order only settles real ambiguity.
// What a provider's answer says about its cause is read by the provider's module
// (`e.namedCause`); the rules never look at a provider's wire texts themselves.
import { ADDRESS_BLOCKED_REASON, ASSERTION_REJECTED_REASON, CLIENT_CREDENTIALS_DISABLED_REASON, UNCLASSIFIED_REASON } from '../providers/classify.js';
import type { NamedCause } from '../providers/module-types.js';
import type { DiagnosisEvidence } from './types.js';
import type { Confidence, DiagnosisCode } from '../domain/diagnosis.js';

export interface DiagnosisRule {
  readonly code: DiagnosisCode;
  readonly matches: (e: DiagnosisEvidence) => boolean;
  readonly confidence: (e: DiagnosisEvidence) => Confidence;
}

// RFC 6749's client-rejection codes plus the spellings some providers use for them.
const CLIENT_CREDENTIAL_ERRORS = ['invalid_client', 'invalid_client_id', 'invalid_client_credentials', 'unauthorized_client'];
// invalid_request has grant_type_unsupported's causes in practice (http instead of https, a
// wrong token host, a body that is not a form): the request Grantkeeper sends is malformed.
const MALFORMED_REQUEST_ERRORS = ['unsupported_grant_type', 'invalid_request'];
const SCOPE_ERRORS = ['invalid_scope'];

const isPermanent = (e: DiagnosisEvidence) => e.classification.class === 'permanent';
const isIntegration = (e: DiagnosisEvidence) => e.classification.class === 'integration';
/** A permanent refusal whose answer names this cause. */
const says = (e: DiagnosisEvidence, cause: NamedCause) => isPermanent(e) && e.namedCause === cause;
const errorIn = (e: DiagnosisEvidence, codes: readonly string[]) => e.failure.error !== null && codes.includes(e.failure.error);

/**
 * The grant died on a refresh without saying why: the provider's catch-all answer (revoked,
 * evicted, expired by policy, a rotated-out token reused) or a bare `invalid_grant`.
 */
const diedUnexplained = (e: DiagnosisEvidence) => isPermanent(e) && e.failure.grantType === 'refresh_token' && e.namedCause === null;

/** Many grants of this connection's own org are failing together (not a spike across many orgs). */
const inOrgSpike = (e: DiagnosisEvidence) => e.orgSpike !== null && e.orgSpike.orgId !== null;

/** Newer live grants for the same provider user that reach (or, off by one, nearly reach) the limit. */
function evictionEvidence(e: DiagnosisEvidence): Confidence | null {
  const { grantLimit: limit, newerLiveGrantsForSameProviderUser: newer } = e;
  if (limit === null || newer === null) return null;
  if (newer >= limit) return 'certain';
  // Approvals made outside Grantkeeper count too, so one short of the limit is still likely.
  if (newer >= Math.max(1, limit - 1)) return 'probable';
  return null;
}

const certain = (): Confidence => 'certain';
const probable = (): Confidence => 'probable';

export const DIAGNOSIS_RULES: readonly DiagnosisRule[] = [
  { code: 'token_limit_evicted', matches: (e) => diedUnexplained(e) && evictionEvidence(e) !== null, confidence: (e) => evictionEvidence(e) ?? 'probable' },
  // Only the verification right after the code exchange proves the policy: nobody could have
  // revoked the grant in between. A grant that passed it is never blamed on the policy.
  { code: 'immediate_expiry_policy', matches: (e) => diedUnexplained(e) && e.failedVerification, confidence: certain },
  // An imported token that never worked here: most likely one the provider does not know —
  // unless many grants of its org are dying at once (the org's admin), or an earlier refresh's
  // outcome was lost (it may have worked, and rotated).
  { code: 'unknown_token', matches: (e) => diedUnexplained(e) && e.importedNeverRefreshed && !inOrgSpike(e) && !e.rotationUncertain, confidence: probable },
  // Dead at its first refresh without verification: the policy, or a revoke before first use
  // (an org spike says which; a lost outcome makes it rotation_lost).
  {
    code: 'immediate_expiry_or_revoked',
    matches: (e) => diedUnexplained(e) && e.firstRefreshSinceAuthorization && !inOrgSpike(e) && !e.rotationUncertain,
    confidence: probable,
  },
  // Probable only: a provider's documented idle limit may apply only where a policy turns it on.
  {
    code: 'idle_expired',
    matches: (e) => diedUnexplained(e) && e.idleSeconds !== null && e.providerIdleLimitS !== null && e.idleSeconds > e.providerIdleLimitS,
    confidence: probable,
  },
  // The provider's words are read as the "expire after N" lifetime policy, an inference (not confirmed).
  { code: 'lifetime_expired', matches: (e) => says(e, 'lifetime_expired'), confidence: probable },
  { code: 'rotation_lost', matches: (e) => diedUnexplained(e) && e.rotationUncertain, confidence: probable },
  // Many grants of one org dying together point at its admin, not at each user. A spike across
  // many orgs (orgId null) does not; nor does an answer that already names its cause.
  {
    code: 'org_wide_revocation',
    matches: (e) => (diedUnexplained(e) || says(e, 'credentials_changed')) && inOrgSpike(e),
    confidence: probable,
  },
  // The provider gives the same answer for other authentication trouble, so it is not proof of a password change.
  { code: 'credentials_changed', matches: (e) => says(e, 'credentials_changed'), confidence: probable },
  { code: 'user_inactive', matches: (e) => says(e, 'user_inactive'), confidence: certain },
  { code: 'org_inactive', matches: (e) => says(e, 'org_inactive'), confidence: certain },
  // IP refusals from two or more orgs point at where Grantkeeper's calls leave from (a refresh-token
  // IP allowlist on the app, or orgs' ranges), not at each org: probable, the orgs may differ.
  { code: 'refresh_ip_blocked', matches: (e) => says(e, 'ip_restricted') && e.ipRestrictedElsewhere === true, confidence: probable },
  { code: 'ip_restricted', matches: (e) => says(e, 'ip_restricted'), confidence: certain },
  { code: 'not_approved', matches: (e) => says(e, 'not_approved'), confidence: certain },
  { code: 'app_not_installed', matches: (e) => says(e, 'app_not_installed'), confidence: certain },
  // The catch-all: revoked by someone, or expired for a reason the evidence cannot show.
  { code: 'revoked', matches: isPermanent, confidence: probable },
  // Server-to-server grants refused for the app's own setup (the provider module names the reason).
  { code: 'client_credentials_disabled', matches: (e) => isIntegration(e) && e.classification.reason === CLIENT_CREDENTIALS_DISABLED_REASON, confidence: certain },
  { code: 'assertion_rejected', matches: (e) => isIntegration(e) && e.classification.reason === ASSERTION_REJECTED_REASON, confidence: probable },
  { code: 'client_credentials_invalid', matches: (e) => isIntegration(e) && errorIn(e, CLIENT_CREDENTIAL_ERRORS), confidence: certain },
  {
    code: 'grant_type_unsupported',
    matches: (e) => isIntegration(e) && errorIn(e, MALFORMED_REQUEST_ERRORS),
    confidence: (e) => (e.failure.error === 'unsupported_grant_type' ? 'certain' : 'probable'),
  },
  { code: 'scope_invalid', matches: (e) => isIntegration(e) && errorIn(e, SCOPE_ERRORS), confidence: certain },
  // Grantkeeper's own outbound policy refused the integration's URL: nothing reached the provider.
  { code: 'address_blocked', matches: (e) => isIntegration(e) && e.classification.reason === ADDRESS_BLOCKED_REASON, confidence: certain },
  // Nobody knows the code (or a provider module added an integration code without a diagnosis).
  { code: 'unclassified_error', matches: (e) => isIntegration(e) || e.classification.reason === UNCLASSIFIED_REASON, confidence: probable },
  // A proxy page or other alert-worthy answer is probably, not surely, the provider being down.
  { code: 'provider_unavailable', matches: (e) => e.classification.class === 'transient', confidence: (e) => (e.classification.alert ? 'probable' : 'certain') },
];

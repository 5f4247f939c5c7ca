// Salesforce's classification rules: RFC 6749's plus its own codes (docs/salesforce.md)
// and the concurrent-refresh signature, which on a refresh grant means someone else is
// refreshing the same token, not that the token is dead.
import {
  ASSERTION_REJECTED_REASON,
  CLIENT_CREDENTIALS_DISABLED_REASON,
  mergeClassificationRules,
  OAUTH2_CLASSIFICATION_RULES,
  type ClassificationRules,
} from '../classify.js';
import { SALESFORCE_WIRE_ERRORS } from './errors.js';

export const SALESFORCE_CLASSIFICATION_RULES: ClassificationRules = mergeClassificationRules(OAUTH2_CLASSIFICATION_RULES, {
  signatures: [
    ...SALESFORCE_WIRE_ERRORS.concurrentRefresh.map((p) => ({ ...p, class: 'transient' as const, reason: 'concurrent_refresh' })),
    // Server-to-server grants: these invalid_grant answers are about the app, not a grant.
    ...SALESFORCE_WIRE_ERRORS.clientCredentialsDisabled.map((p) => ({ ...p, class: 'integration' as const, reason: CLIENT_CREDENTIALS_DISABLED_REASON })),
    ...SALESFORCE_WIRE_ERRORS.assertionRejected.map((p) => ({ ...p, class: 'integration' as const, reason: ASSERTION_REJECTED_REASON })),
  ],
  integrationErrors: ['invalid_client_id', 'invalid_client_credentials'],
  transientErrors: ['rate_limit_exceeded', 'unknown_error'],
  // An app missing from the grant's org fails every refresh of that org until an admin installs
  // it: grant-level (other orgs work), never an end-user re-auth by itself (re-probed).
  permanentErrors: ['inactive_user', 'inactive_org', ...SALESFORCE_WIRE_ERRORS.appNotInstalled.map((p) => p.error)],
  rateLimitErrors: ['rate_limit_exceeded'],
  // The older documented code for a wrong consumer secret (docs/salesforce.md).
  clientSecretErrors: ['invalid_client_credentials'],
});

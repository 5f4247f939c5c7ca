// Salesforce's classification rules: RFC 6749's plus its own codes (docs/salesforce.md)
// and the concurrent-refresh signature, which on a refresh grant means someone else is
// refreshing the same token, not that the token is dead.
import { mergeClassificationRules, OAUTH2_CLASSIFICATION_RULES, type ClassificationRules } from '../classify.js';
import { SALESFORCE_WIRE_ERRORS } from './errors.js';

export const SALESFORCE_CLASSIFICATION_RULES: ClassificationRules = mergeClassificationRules(OAUTH2_CLASSIFICATION_RULES, {
  signatures: SALESFORCE_WIRE_ERRORS.concurrentRefresh.map((p) => ({ ...p, class: 'transient' as const, reason: 'concurrent_refresh' })),
  integrationErrors: ['invalid_client_id', 'invalid_client_credentials'],
  transientErrors: ['rate_limit_exceeded', 'unknown_error'],
  permanentErrors: ['inactive_user', 'inactive_org'],
  rateLimitErrors: ['rate_limit_exceeded'],
});

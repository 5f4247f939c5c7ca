// Salesforce token responses (docs/salesforce.md):
// - no expires_in: expiry = min(issued_at, our receive time) + the integration's
//   access_token_ttl_s, so a provider clock ahead of ours never extends a token's life;
// - instance_url may change (org migration): always take the new one;
// - `id` is the identity URL on the login host; org and user ids are its last segments;
// - signature = base64(HMAC-SHA256(client_secret, id + issued_at)).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { matchesAnyWireError, type WireErrorPattern } from '../classify.js';
import { SALESFORCE_CLASSIFICATION_RULES } from './classification.js';
import { SALESFORCE_WIRE_ERRORS as SF } from './errors.js';
import { parseIdentityUrl } from './ids.js';
import { grantedScopes, refreshTokenExpiry } from '../generic/module.js';
import type { GrantUpdate, NamedCause, ProviderModule } from '../module-types.js';
import { SALESFORCE_READINESS } from './readiness.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from './texts.js';

/** The answers that say why a grant was refused (docs/salesforce.md), in the order they are read. */
const NAMED_CAUSES: readonly [NamedCause, readonly WireErrorPattern[]][] = [
  ['lifetime_expired', SF.tokenValidityExpired],
  ['credentials_changed', SF.authenticationFailure],
  ['user_inactive', SF.inactiveUser],
  ['org_inactive', SF.inactiveOrg],
  ['ip_restricted', SF.ipRestricted],
  ['not_approved', SF.notApproved],
  ['app_not_installed', SF.appNotInstalled],
];

const SHARED_LOGIN_HOSTS = ['login.salesforce.com', 'test.salesforce.com'];

export function salesforceSignature(clientSecret: string, idUrl: string, issuedAt: string): string {
  return createHmac('sha256', clientSecret).update(idUrl + issuedAt).digest('base64');
}

function checkSignature(body: Record<string, unknown>, clientSecret: string | null): GrantUpdate['signature'] {
  if (typeof body.signature !== 'string') return 'absent';
  if (clientSecret === null) return 'not_applicable'; // a public client cannot check it
  if (typeof body.id !== 'string' || typeof body.issued_at !== 'string') return 'mismatch';
  const expected = Buffer.from(salesforceSignature(clientSecret, body.id, body.issued_at));
  const given = Buffer.from(body.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'mismatch';
}

export const salesforceModule: ProviderModule = {
  classificationRules: SALESFORCE_CLASSIFICATION_RULES,
  diagnosisTexts: SALESFORCE_DIAGNOSIS_TEXTS,
  readiness: SALESFORCE_READINESS,
  namedCause(failure) {
    for (const [cause, patterns] of NAMED_CAUSES) if (matchesAnyWireError(failure, patterns)) return cause;
    return null;
  },
  checkGrantType(grantType, authBaseUrl) {
    // The Client Credentials flow runs only on the org's My Domain (docs/salesforce.md); the
    // shared login hosts do not know which org's run-as user to use.
    if (grantType !== 'client_credentials' || authBaseUrl === null) return null;
    const host = URL.canParse(authBaseUrl) ? new URL(authBaseUrl).hostname : '';
    if (!SHARED_LOGIN_HOSTS.includes(host)) return null;
    return { field: 'auth_base_url', message: `the Client Credentials flow needs the org's My Domain (https://<domain>.my.salesforce.com), not ${host}` };
  },
  readImportedAccount(idUrl) {
    if (idUrl === undefined) return { ok: true, account: null };
    const account = parseIdentityUrl(idUrl);
    return account ? { ok: true, account } : { ok: false, message: 'must be a Salesforce identity URL (…/id/{orgId}/{userId})' };
  },
  interpretTokenResponse(body, context): GrantUpdate {
    const received = context.receivedAt.getTime();
    const issuedAtMs = typeof body.issued_at === 'string' && /^\d{10,16}$/.test(body.issued_at) ? Number(body.issued_at) : null;
    const base = issuedAtMs === null ? received : Math.min(issuedAtMs, received);
    const idUrl = typeof body.id === 'string' ? body.id : undefined;
    const account = idUrl ? parseIdentityUrl(idUrl) ?? undefined : undefined;
    // Salesforce states no refresh-token lifetime and its absolute one is an org policy
    // (catalog: null), so this stays undefined unless that data changes.
    const refreshTokenExpiresAt = refreshTokenExpiry(body, context);
    return {
      accessToken: String(body.access_token),
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
      expiresAt: new Date(base + context.accessTokenTtlS * 1000),
      instanceUrl: typeof body.instance_url === 'string' ? body.instance_url.replace(/\/+$/, '') : undefined,
      ...(idUrl ? { idUrl } : {}),
      ...(account ? { account } : {}),
      scopes: grantedScopes(body),
      signature: checkSignature(body, context.clientSecret),
      clockSkewS: issuedAtMs === null ? null : (issuedAtMs - received) / 1000,
      ...(refreshTokenExpiresAt ? { refreshTokenExpiresAt } : {}),
    };
  },
};

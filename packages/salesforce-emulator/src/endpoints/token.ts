import { createHash } from 'node:crypto';
import { isIpAllowed } from '../admin.js';
import type { EmulatorContext } from '../context.js';
import { presentedSecret } from '../consumer-secrets.js';
import { GENERIC_ERRORS, SALESFORCE_ERRORS, SALESFORCE_LEGACY_ERRORS, type OAuthErrorKind, type WireError } from '../errors.js';
import {
  appLevelPolicy,
  createApproval,
  effectivePolicy,
  isAppBlocked,
  issueAccessToken,
  makeIdToken,
  revokeApproval,
  rotateRefreshToken,
  tokenResponseBody,
} from '../grants.js';
import { basicCredentials, escapeHtml, isFormEncoded, parseForm, sendJson, sendText, type RequestInfo } from '../http.js';
import { refreshTokenExpiry, type PolicySettings } from '../policies.js';
import { isAllowedSource } from '../refresh-token-ip-allowlist.js';
import type { AppMode, AppRecord } from '../state.js';
import { clientAssertion, clientCredentialsGrant, JWT_BEARER, jwtBearerGrant } from './server-grants.js';

/**
 * POST /services/oauth2/token: authorization_code and refresh_token grants (and the server-to-server
 * grants of server-grants.ts)
 * (docs/salesforce.md). Checks run in the order client_id → secret → grant →
 * policy/user/org (docs/salesforce.md); every failure is a 400 JSON body from errors.ts.
 */

interface Responder {
  fail(kind: OAuthErrorKind): void;
  failWith(wire: WireError): void;
}

function responder(ctx: EmulatorContext, r: RequestInfo, mode: AppMode, policy: PolicySettings | null, usedBasic: boolean): Responder {
  const res = r.res;
  const failWith = (wire: WireError): void => {
    ctx.stats.tokenError(wire.body.error, wire.body.error_description);
    r.note.error = `${wire.body.error}/${wire.body.error_description}`;
    // RFC 6749 §5.2: a 401 after Basic auth names the scheme; Salesforce sends no such header.
    const headers: Record<string, string> = wire.status === 401 && usedBasic ? { 'WWW-Authenticate': 'Basic realm="oauth"' } : {};
    sendJson(res, wire.status, wire.body, headers);
  };
  return {
    failWith,
    fail(kind) {
      if (mode === 'generic') return failWith(GENERIC_ERRORS[kind]);
      const legacy = policy?.legacyErrorCodes ? SALESFORCE_LEGACY_ERRORS[kind] : undefined;
      failWith(legacy ?? SALESFORCE_ERRORS[kind]);
    },
  };
}

export async function handleToken(ctx: EmulatorContext, r: RequestInfo, pathMode: AppMode): Promise<void> {
  ctx.stats.count('token_requests');
  const form = isFormEncoded(r.req) ? parseForm(r.body) : new Map<string, string>();
  const basic = basicCredentials(r.req);
  const clientId = basic && basic !== 'malformed' ? basic.clientId : form.get('client_id');
  const app = clientId === undefined ? undefined : ctx.state.apps.get(clientId);
  const mode = app?.mode ?? pathMode;
  const appPolicy = app ? appLevelPolicy(ctx, app) : null;
  const out = responder(ctx, r, mode, appPolicy, basic !== null);
  const grantType = form.get('grant_type');
  if (grantType !== undefined) r.note.grant_type = grantType;
  if (clientId !== undefined) r.note.client_id = clientId;
  r.note.client_auth = basic !== null ? 'basic' : form.has('client_secret') ? 'body' : form.has('client_assertion') ? 'private_key_jwt' : 'none';
  // Which parameters came (names only): a provider's extra token parameters are visible to tests.
  r.note.fields = [...form.keys()].sort();

  const limited = ctx.traffic.overRateLimit();
  if (limited) {
    ctx.stats.count('rate_limited');
    const style = limited.style ?? appPolicy?.rateLimitStyle ?? (mode === 'generic' ? '429' : '400');
    const wire = SALESFORCE_ERRORS.rate_limited;
    return out.failWith(style === '429' ? { status: 429, body: wire.body } : wire);
  }
  if (r.method !== 'POST') return out.fail('must_use_post');
  // A JSON or missing body reads as "no grant_type" on the real endpoint (docs/salesforce.md).
  if (!isFormEncoded(r.req)) return out.fail('unsupported_grant_type');
  if (grantType === JWT_BEARER) return jwtBearerGrant(ctx, r, form, out);
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token' && grantType !== 'client_credentials') return out.fail('unsupported_grant_type');

  if (!app || basic === 'malformed') return out.fail('invalid_client_id');
  // A signed client assertion (private_key_jwt) stands in for the secret where the app allows it.
  const assertion = clientAssertion(ctx, app, form);
  if (assertion === 'invalid') return out.fail('invalid_client_credentials');
  const secret = assertion === 'valid' ? app.clientSecret || undefined : basic ? basic.clientSecret : form.get('client_secret');
  const secretRequired = grantType === 'authorization_code' ? appPolicy!.requireSecretForWebServer : appPolicy!.requireSecretForRefresh;
  // A staged consumer secret works beside the current one (consumer-secrets.ts).
  const presented = secret !== undefined && secret !== '' ? presentedSecret(app, secret) : null;
  if (secret !== undefined && secret !== '' && presented === null) return out.fail('invalid_client_credentials');
  if ((secret === undefined || secret === '') && secretRequired && app.clientSecret !== '' && assertion !== 'valid') return out.fail('invalid_client_credentials');
  // [INF] The response is signed with the secret the request presented.
  const signingSecret = presented ?? app.clientSecret;

  // The app's Refresh Token IP Allowlist covers the code exchange and the refresh grant alike,
  // judged by the TCP source address (refresh-token-ip-allowlist.ts).
  if (app.refreshTokenIpAllowlist && !isAllowedSource(app.refreshTokenIpAllowlist, r.req.socket.remoteAddress ?? '')) {
    ctx.stats.count('refresh_ip_blocked');
    return out.failWith(app.refreshTokenIpAllowlist.error);
  }
  if (grantType === 'client_credentials') {
    // The flow authenticates the app by its secret alone: one is always required.
    if (presented === null && assertion !== 'valid') return out.fail('invalid_client_credentials');
    return clientCredentialsGrant(ctx, r, app, out);
  }
  if (grantType === 'authorization_code') return exchangeCode(ctx, r, app, form, out, signingSecret);
  return refresh(ctx, r, app, form, out, signingSecret);
}

/** What an app the org has not installed gets: External Client Apps say so; Connected Apps lost their tokens. */
const notInstalledKind = (app: AppRecord): OAuthErrorKind => (app.appType === 'external_client_app' ? 'app_not_installed' : 'expired_refresh_token');

function pkceMatches(challenge: string, method: 'S256' | 'plain', verifier: string): boolean {
  if (method === 'plain') return verifier === challenge;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

function exchangeCode(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, form: Map<string, string>, out: Responder, signingSecret: string): void {
  const now = ctx.clock.now();
  const code = form.get('code');
  if (!code) return out.fail('missing_parameter');
  const record = ctx.state.codes.get(code);
  // Reused, expired, unknown or another app's code (docs/salesforce.md).
  if (!record || record.used || record.clientId !== app.clientId || now >= record.expiresAt) return out.fail('expired_authorization_code');
  if (form.get('redirect_uri') !== record.redirectUri) return out.fail('redirect_uri_mismatch');
  const user = ctx.state.users.get(record.userId);
  const org = user ? ctx.state.orgs.get(user.orgId) : undefined;
  if (!user || !org) return out.fail('expired_authorization_code');
  const policy = effectivePolicy(ctx, app, user);
  if (record.codeChallenge) {
    const verifier = form.get('code_verifier');
    // No RFC 7636 length check: jsforce sends 171-character verifiers and Salesforce accepts them.
    if (!verifier) return out.fail('invalid_code_verifier');
    if (policy.rejectTildeInVerifier && verifier.includes('~')) return out.fail('invalid_code_verifier');
    if (!pkceMatches(record.codeChallenge, record.codeChallengeMethod ?? 'S256', verifier)) return out.fail('invalid_code_verifier');
  }
  if (isAppBlocked(app, org.orgId)) return out.fail('expired_authorization_code');
  if (!policy.appInstalled) return out.fail(app.appType === 'external_client_app' ? 'app_not_installed' : 'expired_authorization_code');
  if (!org.active) return out.fail('inactive_org');
  if (!user.active || user.frozen) return out.fail('inactive_user');
  if (policy.ipRelaxation !== 'relax' && !isIpAllowed(org, user, r.clientIp)) return out.fail('ip_restricted');
  if (policy.permittedUsers === 'admin_approved' && !user.permittedApps.has(app.clientId)) return out.fail('user_not_approved');

  record.used = true;
  const approval = createApproval(ctx, app, user, record.scope);
  const access = issueAccessToken(ctx, app, user, approval);
  const idToken = record.scope.split(' ').includes('openid') ? makeIdToken(ctx, app, user, access, record.nonce) : null;
  ctx.stats.count('code_exchanges');
  sendTokenResponse(r, tokenResponseBody(ctx, app, user, { access, refreshToken: approval.currentRefreshToken, idToken }, signingSecret), form);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

async function refresh(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, form: Map<string, string>, out: Responder, signingSecret: string): Promise<void> {
  ctx.stats.count('refresh_attempts');
  const token = form.get('refresh_token');
  if (!token) return out.fail('missing_parameter');
  const record = ctx.state.refreshTokens.get(token);
  const approval = record ? ctx.state.approvals.get(record.approvalId) : undefined;
  if (!record || !approval || approval.clientId !== app.clientId) return out.fail('expired_refresh_token');
  const user = ctx.state.users.get(approval.userId);
  const org = ctx.state.orgs.get(approval.orgId);
  if (!user || !org) return out.fail('expired_refresh_token');
  const policy = effectivePolicy(ctx, app, user);
  const now = ctx.clock.now();
  if (approval.revokedAt !== null) return out.fail('expired_refresh_token');
  // [INF] An uninstalled app is refused before anything about the grant itself is looked at.
  if (!policy.appInstalled) return out.fail(notInstalledKind(app));
  if (record.retiredAt !== null && now - record.retiredAt >= policy.rotationGraceMs) {
    // Reuse of a rotated-out token revokes the whole family (docs/salesforce.md).
    revokeApproval(ctx, approval, 'reuse_detected');
    ctx.stats.count('reuse_detections');
    return out.fail('expired_refresh_token');
  }
  if (approval.inFlight.has(token) && policy.concurrentRefresh === 'reject') {
    ctx.stats.count('concurrent_rejections');
    const { status, error, error_description } = policy.concurrentRefreshError;
    return out.failWith({ status, body: { error, error_description } });
  }
  const expiry = refreshTokenExpiry(policy, approval.createdAt, approval.lastUsedAt, now);
  if (expiry === 'expired') return out.fail('expired_refresh_token');
  if (expiry === 'validity_expired') return out.fail('refresh_token_validity_expired');
  if (isAppBlocked(app, org.orgId)) return out.fail('expired_refresh_token');
  if (!org.active) return out.fail('inactive_org');
  if (!user.active) return out.fail('inactive_user');
  if (user.frozen && policy.frozenUserRefresh === 'inactive_user') return out.fail('inactive_user');
  if (approval.passwordEpoch < user.passwordEpoch && policy.passwordChange === 'authentication_failure') return out.fail('authentication_failure');
  if (policy.ipRelaxation === 'enforce' && !isIpAllowed(org, user, r.clientIp)) return out.fail('ip_restricted');
  if (policy.permittedUsers === 'admin_approved' && !user.permittedApps.has(app.clientId)) return out.fail('user_not_approved');

  const holdMs = ctx.traffic.refreshHoldMs;
  if (holdMs > 0) {
    // Hold the token's in-flight lock so a test can overlap a second refresh (docs/salesforce.md).
    approval.inFlight.add(token);
    try {
      await sleep(holdMs);
    } finally {
      approval.inFlight.delete(token);
    }
    if (approval.revokedAt !== null) return out.fail('expired_refresh_token');
  }

  const issuedAt = ctx.clock.now();
  approval.lastUsedAt = issuedAt;
  approval.useCount++;
  const rotated = policy.rotation ? rotateRefreshToken(ctx, approval) : null;
  const access = issueAccessToken(ctx, app, user, approval);
  const wantsIdToken = policy.idTokenOnRefresh && approval.scope.split(' ').includes('openid');
  const idToken = wantsIdToken ? makeIdToken(ctx, app, user, access, null) : null;
  ctx.stats.refreshSucceeded(issuedAt);
  sendTokenResponse(r, tokenResponseBody(ctx, app, user, { access, refreshToken: rotated, idToken }, signingSecret), form);
}

/** `format=json|urlencoded|xml` or the Accept header chooses the body (docs/salesforce.md). */
function sendTokenResponse(r: RequestInfo, body: Record<string, string | number>, form: Map<string, string>): void {
  const accept = String(r.req.headers.accept ?? '');
  const format = form.get('format') ?? (accept.includes('application/x-www-form-urlencoded') ? 'urlencoded' : accept.includes('xml') && !accept.includes('json') ? 'xml' : 'json');
  if (format === 'urlencoded') {
    const text = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return sendText(r.res, 200, text, 'application/x-www-form-urlencoded;charset=UTF-8');
  }
  if (format === 'xml') {
    const fields = Object.entries(body).map(([k, v]) => `<${k}>${escapeHtml(String(v))}</${k}>`).join('');
    return sendText(r.res, 200, `<?xml version="1.0" encoding="UTF-8"?><OAuth>${fields}</OAuth>`, 'application/xml;charset=UTF-8');
  }
  sendJson(r.res, 200, body);
}

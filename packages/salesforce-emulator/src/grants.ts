import { createHmac } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { IdTokenSigner } from './id-token.js';
import { newAccessToken, newOpaqueToken, newRefreshToken, newSalesforceId } from './ids.js';
import { resolvePolicy, slideSession, type PolicySettings } from './policies.js';
import type { AccessTokenRecord, AppRecord, ApprovalRecord, OrgRecord, UserRecord } from './state.js';

/** Token lifecycle: approvals (families), issue, rotation, revocation, validation. */

export function effectivePolicy(ctx: EmulatorContext, app: AppRecord, user: UserRecord | undefined): PolicySettings {
  const org = user ? ctx.state.orgs.get(user.orgId) : undefined;
  return resolvePolicy(ctx.settings.policyDefaults, app.policy, org?.policy, org?.appPolicy.get(app.clientId), user?.policy);
}

/** The app's own settings over the emulator defaults, before any org or user is known. */
export function appLevelPolicy(ctx: EmulatorContext, app: AppRecord): PolicySettings {
  return resolvePolicy(ctx.settings.policyDefaults, app.policy);
}

/** Refresh tokens are issued only for refresh_token / offline_access (docs/salesforce.md). */
export function scopeGrantsRefreshToken(scope: string): boolean {
  const scopes = scope.split(' ');
  return scopes.includes('refresh_token') || scopes.includes('offline_access');
}

export function isAppBlocked(app: AppRecord, orgId: string): boolean {
  return app.blockedIn.has('*') || app.blockedIn.has(orgId);
}

/** Base for building REST URLs (no trailing slash). */
export function instanceUrlFor(ctx: EmulatorContext, org: OrgRecord | undefined): string {
  return (org?.instanceUrl ?? ctx.settings.instanceUrl).replace(/\/+$/, '');
}

export function identityUrl(ctx: EmulatorContext, user: UserRecord): string {
  return `${ctx.settings.loginUrl}/id/${user.orgId}/${user.userId}`;
}

/**
 * A new approval for (user, app). Over the per-user limit it evicts the oldest or
 * least recently used one (docs/salesforce.md). Only approvals holding a refresh token count.
 */
export function createApproval(ctx: EmulatorContext, app: AppRecord, user: UserRecord, scope: string): ApprovalRecord {
  const now = ctx.clock.now();
  const policy = effectivePolicy(ctx, app, user);
  const withRefresh = scopeGrantsRefreshToken(scope);
  if (withRefresh) {
    const live = ctx.state
      .approvalsOf({ userId: user.userId, clientId: app.clientId })
      .filter((a) => a.currentRefreshToken !== null);
    const byAge = (a: ApprovalRecord, b: ApprovalRecord): number =>
      policy.approvalEviction === 'lru' ? a.lastUsedAt - b.lastUsedAt : a.createdAt - b.createdAt;
    live.sort(byAge);
    while (live.length >= Math.max(1, policy.maxApprovals)) {
      revokeApproval(ctx, live.shift()!, 'evicted');
      ctx.stats.count('evictions');
    }
  }
  const approval: ApprovalRecord = {
    approvalId: newSalesforceId('0Ci'),
    clientId: app.clientId,
    userId: user.userId,
    orgId: user.orgId,
    scope,
    createdAt: now,
    lastUsedAt: now,
    useCount: 0,
    passwordEpoch: user.passwordEpoch,
    currentRefreshToken: null,
    accessTokens: new Set(),
    revokedAt: null,
    revokedReason: null,
    inFlight: new Set(),
  };
  ctx.state.approvals.set(approval.approvalId, approval);
  if (withRefresh) setCurrentRefreshToken(ctx, approval);
  return approval;
}

function setCurrentRefreshToken(ctx: EmulatorContext, approval: ApprovalRecord): string {
  const token = newRefreshToken();
  approval.currentRefreshToken = token;
  ctx.state.refreshTokens.set(token, { token, approvalId: approval.approvalId, issuedAt: ctx.clock.now(), retiredAt: null });
  return token;
}

/** Rotation: the presented token is retired, a new one becomes current (docs/salesforce.md). */
export function rotateRefreshToken(ctx: EmulatorContext, approval: ApprovalRecord): string {
  const previous = approval.currentRefreshToken;
  if (previous) {
    const record = ctx.state.refreshTokens.get(previous);
    if (record) record.retiredAt = ctx.clock.now();
  }
  return setCurrentRefreshToken(ctx, approval);
}

/** Kills the family: its current refresh token and every access token issued from it. */
export function revokeApproval(ctx: EmulatorContext, approval: ApprovalRecord, reason: string): void {
  if (approval.revokedAt !== null) return;
  const now = ctx.clock.now();
  approval.revokedAt = now;
  approval.revokedReason = reason;
  for (const token of approval.accessTokens) {
    const record = ctx.state.accessTokens.get(token);
    if (record && record.revokedAt === null) record.revokedAt = now;
  }
  ctx.stats.count('approvals_revoked');
}

export function issueAccessToken(ctx: EmulatorContext, app: AppRecord, user: UserRecord, approval: ApprovalRecord): AccessTokenRecord {
  const policy = effectivePolicy(ctx, app, user);
  const now = ctx.clock.now();
  const generic = app.mode === 'generic';
  const record: AccessTokenRecord = {
    token: generic ? newOpaqueToken(32) : newAccessToken(user.orgId),
    approvalId: approval.approvalId,
    clientId: app.clientId,
    userId: user.userId,
    orgId: user.orgId,
    scope: approval.scope,
    issuedAt: now,
    lastActivity: now,
    timeoutMs: (generic ? policy.accessTokenTtlS : policy.sessionTimeoutS) * 1000,
    sliding: !generic,
    revokedAt: null,
  };
  ctx.state.accessTokens.set(record.token, record);
  approval.accessTokens.add(record.token);
  return record;
}

export function accessTokenExpiresAt(record: AccessTokenRecord): number {
  return record.lastActivity + record.timeoutMs;
}

export type AccessTokenCheck =
  | { ok: true; token: AccessTokenRecord; user: UserRecord; org: OrgRecord; app: AppRecord }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'inactive_user' | 'inactive_org' };

/**
 * Validates an access token for a resource call. `activity` applies the sliding
 * session rule (docs/salesforce.md); introspection passes false so it does not extend sessions.
 */
export function checkAccessToken(ctx: EmulatorContext, token: string, activity: boolean): AccessTokenCheck {
  const record = ctx.state.accessTokens.get(token);
  if (!record) return { ok: false, reason: 'unknown' };
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
  const now = ctx.clock.now();
  if (now >= accessTokenExpiresAt(record)) return { ok: false, reason: 'expired' };
  const user = ctx.state.users.get(record.userId);
  const org = ctx.state.orgs.get(record.orgId);
  const app = ctx.state.apps.get(record.clientId);
  if (!user || !app || !org) return { ok: false, reason: 'unknown' };
  if (!org.active) return { ok: false, reason: 'inactive_org' };
  if (!user.active) return { ok: false, reason: 'inactive_user' };
  // A frozen user's sessions end like an inactive user's, unless the switch lets them refresh ([INF]).
  if (user.frozen && effectivePolicy(ctx, app, user).frozenUserRefresh === 'inactive_user') return { ok: false, reason: 'inactive_user' };
  if (activity && record.sliding) record.lastActivity = slideSession(record.lastActivity, record.timeoutMs, now);
  return { ok: true, token: record, user, org, app };
}

export interface IssuedTokens {
  access: AccessTokenRecord;
  refreshToken: string | null;
  idToken: string | null;
}

/**
 * The token response body, key order as in the real dump (docs/salesforce.md). Generic apps
 * get the RFC 6749 §5.1 shape with expires_in instead.
 */
export function tokenResponseBody(
  ctx: EmulatorContext,
  app: AppRecord,
  user: UserRecord,
  issued: IssuedTokens,
  signingSecret: string = app.clientSecret,
): Record<string, string | number> {
  const { access } = issued;
  if (app.mode === 'generic') {
    const body: Record<string, string | number> = {
      ...app.tokenResponseFields,
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: Math.round(access.timeoutMs / 1000),
    };
    if (issued.refreshToken) body.refresh_token = issued.refreshToken;
    body.scope = access.scope;
    if (issued.idToken) body.id_token = issued.idToken;
    return body;
  }
  const id = identityUrl(ctx, user);
  const issuedAt = String(access.issuedAt);
  const body: Record<string, string> = { access_token: access.token };
  if (issued.refreshToken) body.refresh_token = issued.refreshToken;
  // signature = base64(HMAC-SHA256(client_secret, id + issued_at)) (docs/salesforce.md).
  body.signature = createHmac('sha256', signingSecret).update(id + issuedAt).digest('base64');
  body.scope = access.scope;
  if (issued.idToken) body.id_token = issued.idToken;
  // As configured: an org's instance URL may carry the old trailing slash on purpose.
  body.instance_url = ctx.state.orgs.get(user.orgId)?.instanceUrl ?? ctx.settings.instanceUrl;
  body.id = id;
  body.token_type = 'Bearer';
  body.issued_at = issuedAt;
  return body;
}

export function makeIdToken(ctx: EmulatorContext, app: AppRecord, user: UserRecord, access: AccessTokenRecord, nonce: string | null): string {
  const iat = Math.floor(access.issuedAt / 1000);
  return ctx.idTokens.sign({
    at_hash: IdTokenSigner.accessTokenHash(access.token),
    sub: identityUrl(ctx, user),
    aud: app.clientId,
    iss: ctx.settings.loginUrl,
    name: `${user.firstName} ${user.lastName}`,
    preferred_username: user.username,
    nickname: user.username.split('@')[0],
    email: user.email,
    email_verified: true,
    given_name: user.firstName,
    family_name: user.lastName,
    user_id: user.userId,
    organization_id: user.orgId,
    ...(nonce ? { nonce } : {}),
    iat,
    exp: iat + 300,
  });
}

import type { EmulatorContext } from '../context.js';
import { accessTokenExpiresAt, checkAccessToken, effectivePolicy, identityUrl } from '../grants.js';
import { basicCredentials, isFormEncoded, parseForm, sendJson, type RequestInfo } from '../http.js';
import { refreshTokenExpiresAt, refreshTokenExpiry } from '../policies.js';

/**
 * POST /services/oauth2/introspect (docs/salesforce.md, RFC 7662). Client authentication
 * is required; an app sees its own tokens unless it may introspect all. Anything
 * not active, or not visible to the caller, is 200 {"active":false}.
 */
export function handleIntrospect(ctx: EmulatorContext, r: RequestInfo): void {
  ctx.stats.count('introspections');
  const form = isFormEncoded(r.req) ? parseForm(r.body) : new Map<string, string>();
  const basic = basicCredentials(r.req);
  const clientId = basic && basic !== 'malformed' ? basic.clientId : form.get('client_id');
  const secret = basic && basic !== 'malformed' ? basic.clientSecret : form.get('client_secret');
  const caller = clientId ? ctx.state.apps.get(clientId) : undefined;
  // Status for bad credentials is [INF] (docs/salesforce.md); 401 follows RFC 7662 §2.3.
  if (!caller || (caller.clientSecret !== '' && secret !== caller.clientSecret)) {
    return sendJson(r.res, 401, { error: 'invalid_client', error_description: 'invalid client credentials' });
  }
  const token = form.get('token') ?? '';
  const hint = form.get('token_type_hint');
  const inactive = (): void => sendJson(r.res, 200, { active: false });
  const visible = (clientIdOfToken: string): boolean => caller.introspectAll || clientIdOfToken === caller.clientId;
  const now = ctx.clock.now();

  const asAccess = (): boolean => {
    const check = checkAccessToken(ctx, token, false);
    if (!check.ok || !visible(check.app.clientId)) return false;
    const t = check.token;
    sendJson(r.res, 200, {
      active: true,
      scope: t.scope,
      client_id: t.clientId,
      username: check.user.username,
      sub: identityUrl(ctx, check.user),
      token_type: 'access_token',
      exp: Math.floor(accessTokenExpiresAt(t) / 1000),
      iat: Math.floor(t.issuedAt / 1000),
      nbf: Math.floor(t.issuedAt / 1000),
    });
    return true;
  };
  const asRefresh = (): boolean => {
    const record = ctx.state.refreshTokens.get(token);
    const approval = record ? ctx.state.approvals.get(record.approvalId) : undefined;
    if (!record || !approval || record.retiredAt !== null || approval.revokedAt !== null || !visible(approval.clientId)) return false;
    const app = ctx.state.apps.get(approval.clientId);
    const user = ctx.state.users.get(approval.userId);
    const org = ctx.state.orgs.get(approval.orgId);
    if (!app || !user || !org || !user.active || user.frozen || !org.active) return false;
    const policy = effectivePolicy(ctx, app, user);
    if (refreshTokenExpiry(policy, approval.createdAt, approval.lastUsedAt, now) !== 'valid') return false;
    const expiresAt = refreshTokenExpiresAt(policy, approval.createdAt, approval.lastUsedAt);
    sendJson(r.res, 200, {
      active: true,
      scope: approval.scope,
      client_id: approval.clientId,
      username: user.username,
      sub: identityUrl(ctx, user),
      token_type: 'refresh_token',
      // "Valid until revoked" has no exp ([INF], docs/salesforce.md).
      ...(expiresAt !== null ? { exp: Math.floor(expiresAt / 1000) } : {}),
      iat: Math.floor(record.issuedAt / 1000),
      nbf: Math.floor(record.issuedAt / 1000),
    });
    return true;
  };
  const order = hint === 'refresh_token' ? [asRefresh, asAccess] : [asAccess, asRefresh];
  for (const attempt of order) if (attempt()) return;
  inactive();
}

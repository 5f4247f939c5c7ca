import type { EmulatorContext } from '../context.js';
import type { AppMode } from '../state.js';
import { REVOKE_INVALID_TOKEN, type OAuthErrorBody } from '../errors.js';
import { appLevelPolicy, revokeApproval } from '../grants.js';
import { basicCredentials, isFormEncoded, parseForm, sendEmpty, sendJson, sendText, type RequestInfo } from '../http.js';

/**
 * /services/oauth2/revoke (docs/salesforce.md): POST form `token=` or GET `?token=`, no
 * client authentication. A refresh token takes its access tokens with it; an
 * unknown or already revoked token is 400 invalid_token. `callback=` answers JSONP.
 */
export function handleRevoke(ctx: EmulatorContext, r: RequestInfo, pathMode: AppMode): void {
  const params = r.method === 'POST' ? (isFormEncoded(r.req) ? parseForm(r.body) : new Map<string, string>()) : new Map(r.url.searchParams);
  const token = params.get('token') ?? '';
  const callback = params.get('callback');
  const revoked = revokeToken(ctx, token);
  if (!revoked.ok && revokeMode(ctx, r, params, pathMode) === 'generic') {
    // RFC 7009 §2.2: an invalid token is not an error for the client.
    return sendEmpty(r.res, 200);
  }
  if (callback && /^[A-Za-z_$][\w$.]*$/.test(callback)) {
    const payload = revoked.ok ? '{}' : '{"error":"invalid_token"}';
    return sendText(r.res, 200, `${callback}(${payload});`, 'text/javascript;charset=UTF-8');
  }
  if (revoked.ok) {
    ctx.stats.count('revocations');
    return sendEmpty(r.res, 200);
  }
  sendRevokeError(r, REVOKE_INVALID_TOKEN, revoked.format);
}

/** The mode of the app named by the request (Basic or client_id), else the path's. */
function revokeMode(ctx: EmulatorContext, r: RequestInfo, params: Map<string, string>, pathMode: AppMode): AppMode {
  const basic = basicCredentials(r.req);
  const clientId = basic && basic !== 'malformed' ? basic.clientId : params.get('client_id');
  return (clientId ? ctx.state.apps.get(clientId)?.mode : undefined) ?? pathMode;
}

function sendRevokeError(r: RequestInfo, body: OAuthErrorBody, format: 'json' | 'form'): void {
  if (format === 'form') {
    return sendText(r.res, 400, new URLSearchParams({ ...body }).toString(), 'application/x-www-form-urlencoded;charset=UTF-8');
  }
  sendJson(r.res, 400, body);
}

function revokeToken(ctx: EmulatorContext, token: string): { ok: true } | { ok: false; format: 'json' | 'form' } {
  const now = ctx.clock.now();
  const refresh = ctx.state.refreshTokens.get(token);
  const access = refresh ? undefined : ctx.state.accessTokens.get(token);
  const approvalId = refresh?.approvalId ?? access?.approvalId;
  const approval = approvalId ? ctx.state.approvals.get(approvalId) : undefined;
  const app = approval ? ctx.state.apps.get(approval.clientId) : undefined;
  const format = app ? appLevelPolicy(ctx, app).revokeErrorFormat : 'json';
  if (app?.mode === 'generic' && (refresh || access)) {
    // Generic apps: revoking anything of a family ends it (RFC 7009 §2.1 "may" revoke related tokens).
    if (approval && approval.revokedAt === null) {
      if (refresh) revokeApproval(ctx, approval, 'revoked');
      else if (access && access.revokedAt === null) access.revokedAt = now;
      return { ok: true };
    }
    return { ok: false, format };
  }
  if (refresh && approval && refresh.retiredAt === null && approval.revokedAt === null && approval.currentRefreshToken === token) {
    revokeApproval(ctx, approval, 'revoked');
    return { ok: true };
  }
  if (access && access.revokedAt === null && now < access.lastActivity + access.timeoutMs) {
    access.revokedAt = now;
    return { ok: true };
  }
  return { ok: false, format };
}

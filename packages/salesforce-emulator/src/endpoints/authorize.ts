import { isIpAllowed, NotFoundError } from '../admin.js';
import type { EmulatorContext } from '../context.js';
import { AUTHORIZE_ERRORS, type AuthorizeErrorKind } from '../errors.js';
import { appLevelPolicy, effectivePolicy, isAppBlocked } from '../grants.js';
import { newAuthorizationCode, newOpaqueToken } from '../ids.js';
import { parseCookies, parseForm, redirect, sendText, type RequestInfo } from '../http.js';
import { renderErrorPage, renderLoginPage } from '../login-page.js';
import type { PolicySettings } from '../policies.js';
import type { AppRecord, PendingAuthorization, UserRecord } from '../state.js';

/**
 * GET /services/oauth2/authorize (docs/salesforce.md) and the POST of its login page.
 * Unknown apps and bad redirect URIs get an error page; every other error goes
 * back to the redirect_uri as `?error=…&error_description=…&state=…`.
 */

const SESSION_COOKIE = 'sfemu_sid';

function withParams(base: string, params: Record<string, string | null>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) if (value !== null) url.searchParams.set(key, value);
  return url.toString();
}

function redirectError(r: RequestInfo, pending: Pick<PendingAuthorization, 'redirectUri' | 'state'>, kind: AuthorizeErrorKind): void {
  const { error, error_description } = AUTHORIZE_ERRORS[kind];
  redirect(r.res, withParams(pending.redirectUri, { error, error_description, state: pending.state }));
}

function errorPage(r: RequestInfo, kind: AuthorizeErrorKind, status = 400): void {
  const { error, error_description } = AUTHORIZE_ERRORS[kind];
  sendText(r.res, status, renderErrorPage(error, error_description), 'text/html;charset=UTF-8');
}

/** Per-request auto-approve for tests: `x-emulator-auto-approve: allow|deny` or `?emulator_auto_approve=`. */
function autoDecision(ctx: EmulatorContext, r: RequestInfo): 'allow' | 'deny' | null {
  const raw = (r.req.headers['x-emulator-auto-approve'] as string | undefined) ?? r.url.searchParams.get('emulator_auto_approve');
  if (raw !== undefined && raw !== null) {
    const value = raw.toLowerCase();
    if (value === 'deny') return 'deny';
    if (value === 'allow' || value === 'true' || value === '1') return 'allow';
    if (value === 'false' || value === '0') return null;
  }
  return ctx.settings.autoApprove ? 'allow' : null;
}

export function handleAuthorizeGet(ctx: EmulatorContext, r: RequestInfo): void {
  const q = r.url.searchParams;
  const app = ctx.state.apps.get(q.get('client_id') ?? '');
  if (!app) return errorPage(r, 'invalid_client_id');
  const redirectUri = q.get('redirect_uri');
  if (!redirectUri) return errorPage(r, 'redirect_uri_missing');
  if (!app.callbackUrls.includes(redirectUri)) return errorPage(r, 'redirect_uri_mismatch');
  const state = q.get('state');
  const target = { redirectUri, state };
  if (q.get('response_type') !== 'code') return redirectError(r, target, 'unsupported_response_type');

  const requested = (q.get('scope') ?? '').split(/[\s+]+/).filter(Boolean);
  const scopes = requested.length ? requested : app.defaultScopes;
  if (scopes.some((s) => !app.scopes.includes(s))) return redirectError(r, target, 'invalid_scope');
  const codeChallenge = q.get('code_challenge');
  // Salesforce assumes SHA-256 when the method is absent (docs/salesforce.md); jsforce never sends it.
  const method = q.get('code_challenge_method') ?? (codeChallenge ? 'S256' : null);
  if (method !== null && method !== 'S256' && method !== 'plain') return redirectError(r, target, 'invalid_code_challenge_method');
  if (!codeChallenge && appLevelPolicy(ctx, app).requirePkce) return redirectError(r, target, 'missing_code_challenge');

  const pending: PendingAuthorization = {
    id: newOpaqueToken(18),
    clientId: app.clientId,
    redirectUri,
    scope: [...new Set(scopes)].join(' '),
    state,
    codeChallenge,
    codeChallengeMethod: codeChallenge ? (method as 'S256' | 'plain') : null,
    nonce: q.get('nonce'),
    loginHint: q.get('login_hint'),
    createdAt: ctx.clock.now(),
  };

  const prompt = new Set((q.get('prompt') ?? '').split(/\s+/).filter(Boolean));
  const decision = autoDecision(ctx, r);
  const hinted = pending.loginHint ? ctx.state.findUserByUsername(pending.loginHint) : undefined;
  if (decision === 'deny') return redirectError(r, pending, 'access_denied');
  if (decision === 'allow' && hinted) return complete(ctx, r, app, pending, hinted);

  // A browser already logged in that approved this app before goes straight back,
  // unless prompt asks to log in, pick an account, or consent again (docs/salesforce.md).
  const sessionUser = browserSessionUser(ctx, r);
  const mayReuseSession = sessionUser && !prompt.has('login') && !prompt.has('select_account') && !prompt.has('consent');
  if (mayReuseSession && ctx.state.approvalsOf({ userId: sessionUser.userId, clientId: app.clientId }).length > 0) {
    return complete(ctx, r, app, pending, sessionUser);
  }
  if (q.get('immediate') === 'true') return redirectError(r, pending, 'immediate_unsuccessful');

  ctx.state.pending.set(pending.id, pending);
  showLoginPage(ctx, r, app, pending);
}

function showLoginPage(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, pending: PendingAuthorization, message?: string): void {
  const orgNames = new Map([...ctx.state.orgs.values()].map((o) => [o.orgId, o.name]));
  const html = renderLoginPage({ app, pending, users: [...ctx.state.users.values()], orgNames, ...(message ? { message } : {}) });
  sendText(r.res, message ? 400 : 200, html, 'text/html;charset=UTF-8');
}

function browserSessionUser(ctx: EmulatorContext, r: RequestInfo): UserRecord | undefined {
  const sid = parseCookies(r.req).get(SESSION_COOKIE);
  const session = sid ? ctx.state.browserSessions.get(sid) : undefined;
  return session ? ctx.state.users.get(session.userId) : undefined;
}

/** The login page's form: pending_id, username, decision=allow|deny. */
export function handleAuthorizePost(ctx: EmulatorContext, r: RequestInfo): void {
  const form = parseForm(r.body);
  const pending = ctx.state.pending.get(form.get('pending_id') ?? '');
  const app = pending ? ctx.state.apps.get(pending.clientId) : undefined;
  if (!pending || !app) {
    return sendText(r.res, 400, renderErrorPage('invalid_request', 'the login request expired; start again'), 'text/html;charset=UTF-8');
  }
  if (form.get('decision') === 'deny') {
    ctx.state.pending.delete(pending.id);
    return redirectError(r, pending, 'access_denied');
  }
  const user = ctx.state.findUserByUsername(form.get('username') ?? '');
  if (!user) return showLoginPage(ctx, r, app, pending, 'Please check your username.');
  ctx.state.pending.delete(pending.id);
  const sessionId = newOpaqueToken(24);
  ctx.state.browserSessions.set(sessionId, { sessionId, userId: user.userId, createdAt: ctx.clock.now() });
  complete(ctx, r, app, pending, user, { 'Set-Cookie': `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax` });
}

/** The user is known: apply org/user/app policy, then send the code. */
function complete(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, pending: PendingAuthorization, user: UserRecord, headers: Record<string, string> = {}): void {
  const org = ctx.state.orgs.get(user.orgId);
  const policy = effectivePolicy(ctx, app, user);
  let failure: AuthorizeErrorKind | null = null;
  if (!org || !org.active) failure = 'inactive_org';
  else if (!user.active || user.frozen) failure = 'inactive_user';
  else if (isAppBlocked(app, org.orgId)) failure = 'app_blocked';
  else if (!policy.appInstalled) failure = notInstalledFailure(app, policy);
  else if (policy.ipRelaxation !== 'relax' && !isIpAllowed(org, user, r.clientIp)) failure = 'ip_restricted';
  else if (policy.permittedUsers === 'admin_approved' && !user.permittedApps.has(app.clientId)) failure = 'user_not_approved';
  else if (policy.requirePkce && !pending.codeChallenge) failure = 'missing_code_challenge';
  if (failure) {
    const { error, error_description } = AUTHORIZE_ERRORS[failure];
    return redirect(r.res, withParams(pending.redirectUri, { error, error_description, state: pending.state }), headers);
  }
  const code = newAuthorizationCode();
  ctx.state.codes.set(code, {
    code,
    clientId: app.clientId,
    userId: user.userId,
    redirectUri: pending.redirectUri,
    scope: pending.scope,
    codeChallenge: pending.codeChallenge,
    codeChallengeMethod: pending.codeChallengeMethod,
    nonce: pending.nonce,
    expiresAt: ctx.clock.now() + ctx.settings.codeLifetimeS * 1000,
    used: false,
  });
  ctx.stats.count('authorizations');
  redirect(r.res, withParams(pending.redirectUri, { code, state: pending.state }), headers);
}

/**
 * After the login, for an app the user's org has not installed: an External Client App gets
 * `app_not_found` (or the code users report, per `notInstalledAuthorizeError`); a Connected App
 * the same refusal as a blocked one ([INF]: the real answer for a Connected App is not documented).
 */
function notInstalledFailure(app: AppRecord, policy: PolicySettings): AuthorizeErrorKind {
  if (app.appType !== 'external_client_app') return 'app_blocked';
  return policy.notInstalledAuthorizeError === 'OAUTH_EC_APP_NOT_FOUND' ? 'app_not_installed_reported' : 'app_not_installed';
}

/** Library shortcut: a code for (app, user) as if the person clicked Allow. */
export function issueCodeDirectly(
  ctx: EmulatorContext,
  input: { clientId: string; username: string; redirectUri?: string; scope?: string; codeChallenge?: string; codeChallengeMethod?: 'S256' | 'plain'; nonce?: string },
): string {
  const app = ctx.state.apps.get(input.clientId);
  if (!app) throw new NotFoundError(`no app ${input.clientId}`);
  const user = ctx.state.findUserByUsername(input.username);
  if (!user) throw new NotFoundError(`no user ${input.username}`);
  const code = newAuthorizationCode();
  ctx.state.codes.set(code, {
    code,
    clientId: app.clientId,
    userId: user.userId,
    redirectUri: input.redirectUri ?? app.callbackUrls[0] ?? '',
    scope: input.scope ?? app.defaultScopes.join(' '),
    codeChallenge: input.codeChallenge ?? null,
    codeChallengeMethod: input.codeChallenge ? (input.codeChallengeMethod ?? 'S256') : null,
    nonce: input.nonce ?? null,
    expiresAt: ctx.clock.now() + ctx.settings.codeLifetimeS * 1000,
    used: false,
  });
  ctx.stats.count('authorizations');
  return code;
}

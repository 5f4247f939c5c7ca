import type { EmulatorContext } from '../context.js';
import { createApproval, effectivePolicy, isAppBlocked, issueAccessToken, tokenResponseBody } from '../grants.js';
import { isAllowedSource } from '../refresh-token-ip-allowlist.js';
import { readAssertion } from '../jwt-assertion.js';
import { sendJson, type RequestInfo } from '../http.js';
import type { OAuthErrorKind } from '../errors.js';
import type { AppRecord, ApprovalRecord, UserRecord } from '../state.js';

/**
 * The two grants that need no end user at the token endpoint (docs/salesforce.md
 * "Server-to-server grants"): the JWT Bearer flow (RFC 7523; a signed assertion names the
 * user) and the Client Credentials flow (the app's run-as user). Neither returns a refresh
 * token; the access token lives for the session timeout like any other.
 */

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface Fail {
  fail(kind: OAuthErrorKind): void;
}

/** Audiences Salesforce accepts: the production and sandbox login hosts, and (emulator) its own URL. */
function acceptedAudiences(ctx: EmulatorContext): string[] {
  return ['https://login.salesforce.com', 'https://test.salesforce.com', ctx.settings.loginUrl];
}

/** One session family per app and user for server grants (no refresh token), reused across mints. */
function serverGrantApproval(ctx: EmulatorContext, app: AppRecord, user: UserRecord): ApprovalRecord {
  const existing = ctx.state.approvalsOf({ userId: user.userId, clientId: app.clientId }).find((a) => a.currentRefreshToken === null && a.scope === serverScope(app));
  return existing ?? createApproval(ctx, app, user, serverScope(app));
}

// The app's default scopes without refresh_token: these grants never issue one.
const serverScope = (app: AppRecord): string => app.defaultScopes.filter((s) => s !== 'refresh_token' && s !== 'offline_access').join(' ');

/** The checks every user-bound token passes, in the order the refresh grant makes them. */
function userRefusal(ctx: EmulatorContext, app: AppRecord, user: UserRecord): OAuthErrorKind | null {
  const org = ctx.state.orgs.get(user.orgId);
  const policy = effectivePolicy(ctx, app, user);
  if (!org) return 'invalid_assertion';
  if (!policy.appInstalled) return app.appType === 'external_client_app' ? 'app_not_installed' : 'user_not_approved';
  if (isAppBlocked(app, org.orgId)) return 'user_not_approved';
  if (!org.active) return 'inactive_org';
  if (!user.active || user.frozen) return 'inactive_user';
  return null;
}

function mint(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, user: UserRecord): void {
  const approval = serverGrantApproval(ctx, app, user);
  approval.lastUsedAt = ctx.clock.now();
  approval.useCount++;
  const access = issueAccessToken(ctx, app, user, approval);
  sendJson(r.res, 200, tokenResponseBody(ctx, app, user, { access, refreshToken: null, idToken: null }, app.clientSecret));
}

export function jwtBearerGrant(ctx: EmulatorContext, r: RequestInfo, form: Map<string, string>, out: Fail): void {
  const assertion = form.get('assertion');
  if (!assertion) return out.fail('missing_parameter');
  // The issuer names the app; the signature is checked with that app's certificate.
  const issuer = peekIssuer(assertion);
  const app = issuer === null ? undefined : ctx.state.apps.get(issuer);
  if (!app) return out.fail(issuer === null ? 'invalid_assertion' : 'invalid_client_id');
  const read = readAssertion(assertion, app.jwtCertificate, ctx.clock.now());
  if (!read.ok) return out.fail('invalid_assertion');
  const { aud, exp, sub } = read.claims;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((a) => typeof a === 'string' && acceptedAudiences(ctx).includes(a.replace(/\/+$/, '')))) return out.fail('audience_invalid');
  const nowS = ctx.clock.now() / 1000;
  // exp is required and at most 3 minutes ahead (Salesforce's documented limit).
  if (typeof exp !== 'number' || exp <= nowS) return out.fail('assertion_expired');
  if (exp > nowS + 180 + 5) return out.fail('invalid_assertion');
  const user = typeof sub === 'string' ? ctx.state.findUserByUsername(sub) : undefined;
  if (!user) return out.fail('invalid_assertion');
  if (app.refreshTokenIpAllowlist && !isAllowedSource(app.refreshTokenIpAllowlist, r.req.socket.remoteAddress ?? '')) return out.fail('ip_restricted');
  const refused = userRefusal(ctx, app, user);
  if (refused) return out.fail(refused);
  // Prior approval: the admin pre-authorized the user (profile / permission set), or the user
  // approved the app through an interactive flow before (docs/salesforce.md).
  const approvedBefore = ctx.state.approvalsOf({ userId: user.userId, clientId: app.clientId }).some((a) => a.currentRefreshToken !== null);
  const policy = effectivePolicy(ctx, app, user);
  const preAuthorized = user.permittedApps.has(app.clientId);
  if (!preAuthorized && (policy.permittedUsers === 'admin_approved' || !approvedBefore)) return out.fail('user_not_approved');
  ctx.stats.count('jwt_bearer_grants');
  mint(ctx, r, app, user);
}

/** `app` has already passed the client-secret check of the token endpoint. */
export function clientCredentialsGrant(ctx: EmulatorContext, r: RequestInfo, app: AppRecord, out: Fail): void {
  // Only an org's My Domain knows which org's run-as user to use.
  if (app.mode === 'salesforce' && !ctx.settings.myDomain) return out.fail('domain_not_supported');
  const user = app.runAsUsername === null ? undefined : ctx.state.findUserByUsername(app.runAsUsername);
  if (!user) return out.fail('no_client_credentials_user');
  const refused = userRefusal(ctx, app, user);
  if (refused) return out.fail(refused);
  ctx.stats.count('client_credentials_grants');
  mint(ctx, r, app, user);
}

const CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * RFC 7523 §2.2 client authentication (private_key_jwt), generic-mode apps only (Salesforce
 * documents no such client authentication): a client assertion signed with the key of the
 * app's `jwtCertificate`, iss = sub = client_id, aud = this server (its URL or token endpoint).
 */
export function clientAssertion(ctx: EmulatorContext, app: AppRecord, form: Map<string, string>): 'absent' | 'valid' | 'invalid' {
  if (form.get('client_assertion_type') !== CLIENT_ASSERTION) return 'absent';
  if (app.mode !== 'generic') return 'invalid';
  const read = readAssertion(form.get('client_assertion') ?? '', app.jwtCertificate, ctx.clock.now());
  if (!read.ok) return 'invalid';
  const { iss, sub, aud, exp } = read.claims;
  const base = ctx.settings.loginUrl;
  const audiences = Array.isArray(aud) ? aud : [aud];
  const ours = audiences.some((a) => a === base || a === `${base}/` || a === `${base}/oauth2/token` || a === `${base}/services/oauth2/token`);
  const fresh = typeof exp === 'number' && exp > ctx.clock.now() / 1000;
  return iss === app.clientId && sub === app.clientId && ours && fresh ? 'valid' : 'invalid';
}

function peekIssuer(assertion: string): string | null {
  try {
    const claims: unknown = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const iss = claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>).iss : undefined;
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

import { readablePublicKey } from './jwt-assertion.js';
import type { EmulatorContext } from './context.js';
import { effectivePolicy, revokeApproval } from './grants.js';
import { isSalesforceId, newOpaqueToken, newSalesforceId, to18 } from './ids.js';
import { parsePolicyOverrides, type PolicyOverrides } from './policies.js';
import type { AppMode, AppRecord, AppType, ApprovalRecord, OrgRecord, UserRecord } from './state.js';

/**
 * What an administrator (or a test) does to the emulated world: apps, orgs, users
 * and the actions that end grants (docs/salesforce.md). Inputs accept camelCase (library) or
 * snake_case (control API, seed files).
 */

export class InputError extends Error {}

/** Scopes a new app may be granted (the common part of the discovery list, docs/salesforce.md). */
export const SALESFORCE_SCOPES = [
  'api', 'refresh_token', 'offline_access', 'id', 'openid', 'profile', 'email', 'address', 'phone', 'web', 'full',
  'chatter_api', 'visualforce', 'lightning', 'content', 'custom_permissions', 'wave_api', 'pardot_api', 'cdp_api',
];
const DEFAULT_GRANTED_SCOPES = ['api', 'refresh_token', 'web', 'id'];

type Raw = Record<string, unknown>;

function pick(raw: Raw, camel: string, snake: string): unknown {
  return raw[camel] !== undefined ? raw[camel] : raw[snake];
}

function optionalString(raw: Raw, camel: string, snake: string): string | undefined {
  const value = pick(raw, camel, snake);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InputError(`${snake} must be a string`);
  return value;
}

function stringList(raw: Raw, camel: string, snake: string): string[] | undefined {
  const value = pick(raw, camel, snake);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new InputError(`${snake} must be an array of strings`);
  return value as string[];
}

function policyOf(raw: Raw): PolicyOverrides {
  try {
    return parsePolicyOverrides(raw);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

function normalizeId(value: string, prefix: string, label: string): string {
  if (!isSalesforceId(value) || !value.startsWith(prefix)) throw new InputError(`${label} must be a 15- or 18-character id starting with ${prefix}`);
  return to18(value.slice(0, 15));
}

export function createApp(ctx: EmulatorContext, raw: Raw): AppRecord {
  const clientId = optionalString(raw, 'clientId', 'client_id') ?? `3MVG9${newOpaqueToken(60).replace(/[-_]/g, 'x')}`;
  if (!clientId) throw new InputError('client_id must not be empty');
  if (ctx.state.apps.has(clientId)) throw new InputError(`app ${clientId} already exists`);
  const modeValue = pick(raw, 'mode', 'mode') ?? 'salesforce';
  if (modeValue !== 'salesforce' && modeValue !== 'generic') throw new InputError('mode must be "salesforce" or "generic"');
  const callbackUrls = stringList(raw, 'callbackUrls', 'callback_urls') ?? [];
  for (const url of callbackUrls) {
    try {
      new URL(url);
    } catch {
      throw new InputError(`callback url is not a URL: ${url}`);
    }
  }
  const scopes = stringList(raw, 'scopes', 'scopes') ?? SALESFORCE_SCOPES;
  const app: AppRecord = {
    clientId,
    clientSecret: optionalString(raw, 'clientSecret', 'client_secret') ?? '',
    stagedClientSecret: null,
    stagedSecretAccepted: pick(raw, 'stagedSecretAccepted', 'staged_secret_accepted') !== false,
    appType: appTypeOf(raw) ?? 'connected_app',
    name: optionalString(raw, 'name', 'name') ?? clientId,
    mode: modeValue as AppMode,
    callbackUrls,
    scopes,
    defaultScopes: stringList(raw, 'defaultScopes', 'default_scopes') ?? DEFAULT_GRANTED_SCOPES.filter((s) => scopes.includes(s)),
    introspectAll: pick(raw, 'introspectAll', 'introspect_all') === true,
    policy: policyOf(raw),
    blockedIn: new Set(),
    refreshTokenIpAllowlist: null,
    jwtCertificate: certificateOf(raw) ?? null,
    runAsUsername: optionalString(raw, 'runAsUsername', 'run_as_username') ?? null,
    tokenResponseFields: tokenResponseFieldsOf(raw),
  };
  ctx.state.apps.set(clientId, app);
  return app;
}

/** Extra string fields for a generic app's token responses (what some providers add, e.g. api_domain). */
function tokenResponseFieldsOf(raw: Raw): Record<string, string> {
  const value = pick(raw, 'tokenResponseFields', 'token_response_fields');
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new InputError('token_response_fields must be an object of strings');
  }
  return { ...(value as Record<string, string>) };
}

function appTypeOf(raw: Raw): AppType | undefined {
  const value = pick(raw, 'appType', 'app_type');
  if (value === undefined) return undefined;
  if (value !== 'connected_app' && value !== 'external_client_app') throw new InputError('app_type must be "connected_app" or "external_client_app"');
  return value;
}

/** A PEM certificate or SPKI public key that node:crypto can read (server-grants.ts verifies with it). */
function certificateOf(raw: Raw): string | null | undefined {
  const value = pick(raw, 'jwtCertificate', 'jwt_certificate');
  if (value === undefined || value === null) return value as null | undefined;
  if (typeof value !== 'string' || !readablePublicKey(value)) throw new InputError('jwt_certificate must be a PEM certificate or public key');
  return value;
}

/** Changes an app's settings; only the keys given change. */
export function updateApp(ctx: EmulatorContext, clientId: string, raw: Raw): AppRecord {
  const app = requireApp(ctx, clientId);
  const certificate = certificateOf(raw);
  if (certificate !== undefined) app.jwtCertificate = certificate;
  if (pick(raw, 'tokenResponseFields', 'token_response_fields') !== undefined) app.tokenResponseFields = tokenResponseFieldsOf(raw);
  const runAs = pick(raw, 'runAsUsername', 'run_as_username');
  if (runAs !== undefined) app.runAsUsername = typeof runAs === 'string' ? runAs : null;
  const secret = optionalString(raw, 'clientSecret', 'client_secret');
  if (secret !== undefined) app.clientSecret = secret;
  const callbackUrls = stringList(raw, 'callbackUrls', 'callback_urls');
  if (callbackUrls) app.callbackUrls = callbackUrls;
  const scopes = stringList(raw, 'scopes', 'scopes');
  if (scopes) app.scopes = scopes;
  const defaultScopes = stringList(raw, 'defaultScopes', 'default_scopes');
  if (defaultScopes) app.defaultScopes = defaultScopes;
  const introspectAll = pick(raw, 'introspectAll', 'introspect_all');
  if (typeof introspectAll === 'boolean') app.introspectAll = introspectAll;
  app.appType = appTypeOf(raw) ?? app.appType;
  const stagedAccepted = pick(raw, 'stagedSecretAccepted', 'staged_secret_accepted');
  if (typeof stagedAccepted === 'boolean') app.stagedSecretAccepted = stagedAccepted;
  Object.assign(app.policy, policyOf(raw));
  return app;
}

export function createOrg(ctx: EmulatorContext, raw: Raw = {}): OrgRecord {
  const given = optionalString(raw, 'orgId', 'org_id');
  const orgId = given ? normalizeId(given, '00D', 'org_id') : newSalesforceId('00D');
  if (ctx.state.orgs.has(orgId)) throw new InputError(`org ${orgId} already exists`);
  const instanceUrl = optionalString(raw, 'instanceUrl', 'instance_url');
  const org: OrgRecord = {
    orgId,
    name: optionalString(raw, 'name', 'name') ?? 'Emulated Org',
    // Kept as given: a trailing slash (older Salesforce examples) is a quirk clients must tolerate (docs/salesforce.md).
    instanceUrl: instanceUrl ?? null,
    active: true,
    allowedIps: null,
    policy: policyOf(raw),
    appPolicy: new Map(),
  };
  ctx.state.orgs.set(orgId, org);
  ctx.state.defaultOrgId ??= orgId;
  return org;
}

export function updateOrg(ctx: EmulatorContext, orgId: string, raw: Raw): OrgRecord {
  const org = requireOrg(ctx, orgId);
  const name = optionalString(raw, 'name', 'name');
  if (name !== undefined) org.name = name;
  const instanceUrl = pick(raw, 'instanceUrl', 'instance_url');
  if (instanceUrl === null) org.instanceUrl = null;
  else if (typeof instanceUrl === 'string') org.instanceUrl = instanceUrl;
  else if (instanceUrl !== undefined) throw new InputError('instance_url must be a string or null');
  return org;
}

export function createUser(ctx: EmulatorContext, raw: Raw): UserRecord {
  const username = optionalString(raw, 'username', 'username');
  if (!username) throw new InputError('username is required');
  if (ctx.state.findUserByUsername(username)) throw new InputError(`user ${username} already exists`);
  const orgGiven = optionalString(raw, 'orgId', 'org_id');
  let org = orgGiven ? ctx.state.findOrg(orgGiven) : ctx.state.defaultOrgId ? ctx.state.orgs.get(ctx.state.defaultOrgId) : undefined;
  // Naming an org that does not exist yet creates it (handy in seeds and tests).
  if (!org) org = createOrg(ctx, orgGiven ? { org_id: orgGiven } : {});
  const userGiven = optionalString(raw, 'userId', 'user_id');
  const userId = userGiven ? normalizeId(userGiven, '005', 'user_id') : newSalesforceId('005');
  if (ctx.state.users.has(userId)) throw new InputError(`user ${userId} already exists`);
  const local = username.split('@')[0] ?? username;
  const user: UserRecord = {
    userId,
    orgId: org.orgId,
    username,
    email: optionalString(raw, 'email', 'email') ?? (username.includes('@') ? username : `${username}@example.com`),
    firstName: optionalString(raw, 'firstName', 'first_name') ?? 'Emulated',
    lastName: optionalString(raw, 'lastName', 'last_name') ?? local,
    active: pick(raw, 'active', 'active') !== false,
    frozen: false,
    passwordEpoch: 0,
    allowedIps: null,
    policy: policyOf(raw),
    permittedApps: new Set(stringList(raw, 'permittedApps', 'permitted_apps') ?? []),
  };
  ctx.state.addUser(user);
  return user;
}

export function requireApp(ctx: EmulatorContext, clientId: string): AppRecord {
  const app = ctx.state.apps.get(clientId);
  if (!app) throw new NotFoundError(`no app ${clientId}`);
  return app;
}

export function requireOrg(ctx: EmulatorContext, orgId: string): OrgRecord {
  const org = ctx.state.findOrg(orgId);
  if (!org) throw new NotFoundError(`no org ${orgId}`);
  return org;
}

export function requireUser(ctx: EmulatorContext, userId: string): UserRecord {
  const user = ctx.state.findUser(userId) ?? ctx.state.findUserByUsername(userId);
  if (!user) throw new NotFoundError(`no user ${userId}`);
  return user;
}

export class NotFoundError extends Error {}

/**
 * Password change (docs/salesforce.md, unconfirmed): the epoch moves on; families born before
 * it then fail per the `passwordChange` switch, or die now with 'revoke_all'.
 */
export function changePassword(ctx: EmulatorContext, userId: string): void {
  const user = requireUser(ctx, userId);
  user.passwordEpoch++;
  for (const approval of ctx.state.approvalsOf({ userId: user.userId })) {
    const app = ctx.state.apps.get(approval.clientId);
    if (app && effectivePolicy(ctx, app, user).passwordChange === 'revoke_all') revokeApproval(ctx, approval, 'password_change');
  }
}

export function setUserActive(ctx: EmulatorContext, userId: string, active: boolean): void {
  requireUser(ctx, userId).active = active;
}

export function setUserFrozen(ctx: EmulatorContext, userId: string, frozen: boolean): void {
  requireUser(ctx, userId).frozen = frozen;
}

export function setOrgActive(ctx: EmulatorContext, orgId: string, active: boolean): void {
  requireOrg(ctx, orgId).active = active;
}

/** Admin revokes one app's approvals for a user, or for everyone in an org. */
export function revokeApprovals(ctx: EmulatorContext, filter: { clientId?: string; userId?: string; orgId?: string }, reason: string): number {
  const approvals = ctx.state.approvalsOf(filter);
  for (const approval of approvals) revokeApproval(ctx, approval, reason);
  return approvals.length;
}

/** Block (docs/salesforce.md): revokes the app's tokens in the org (or everywhere) and refuses new ones. */
export function blockApp(ctx: EmulatorContext, clientId: string, orgId?: string): void {
  const app = requireApp(ctx, clientId);
  const scope = orgId ? requireOrg(ctx, orgId).orgId : '*';
  app.blockedIn.add(scope);
  revokeApprovals(ctx, scope === '*' ? { clientId } : { clientId, orgId: scope }, 'app_blocked');
}

export function unblockApp(ctx: EmulatorContext, clientId: string, orgId?: string): void {
  const app = requireApp(ctx, clientId);
  if (orgId) app.blockedIn.delete(requireOrg(ctx, orgId).orgId);
  else app.blockedIn.clear();
}

/** Session Management → Remove (docs/salesforce.md): access tokens die, refresh tokens live. */
export function removeSessions(ctx: EmulatorContext, filter: { userId?: string; clientId?: string; orgId?: string; accessToken?: string }): number {
  const now = ctx.clock.now();
  let removed = 0;
  const userId = filter.userId ? requireUser(ctx, filter.userId).userId : undefined;
  const orgId = filter.orgId ? requireOrg(ctx, filter.orgId).orgId : undefined;
  for (const record of ctx.state.accessTokens.values()) {
    if (record.revokedAt !== null) continue;
    if (filter.accessToken && record.token !== filter.accessToken) continue;
    if (userId && record.userId !== userId) continue;
    if (orgId && record.orgId !== orgId) continue;
    if (filter.clientId && record.clientId !== filter.clientId) continue;
    record.revokedAt = now;
    removed++;
  }
  return removed;
}

export function setAllowedIps(target: { allowedIps: string[] | null }, allowedIps: string[] | null): void {
  target.allowedIps = allowedIps ? allowedIps.map(normalizeIp) : null;
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same client. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function isIpAllowed(org: OrgRecord, user: UserRecord, ip: string): boolean {
  const client = normalizeIp(ip);
  if (org.allowedIps && !org.allowedIps.includes(client)) return false;
  if (user.allowedIps && !user.allowedIps.includes(client)) return false;
  return true;
}

export function setPermitted(ctx: EmulatorContext, userId: string, clientId: string, permitted: boolean): void {
  const user = requireUser(ctx, userId);
  requireApp(ctx, clientId);
  if (permitted) user.permittedApps.add(clientId);
  else user.permittedApps.delete(clientId);
}

export function setOrgPolicy(ctx: EmulatorContext, orgId: string, raw: Raw, clientId?: string): PolicyOverrides {
  const org = requireOrg(ctx, orgId);
  const overrides = policyOf(raw);
  if (clientId) {
    requireApp(ctx, clientId);
    const existing = org.appPolicy.get(clientId) ?? {};
    org.appPolicy.set(clientId, Object.assign(existing, overrides));
    return existing;
  }
  return Object.assign(org.policy, overrides);
}

export function setUserPolicy(ctx: EmulatorContext, userId: string, raw: Raw): PolicyOverrides {
  return Object.assign(requireUser(ctx, userId).policy, policyOf(raw));
}

/** Public view of an approval (control API and library). */
export interface ApprovalInfo {
  approval_id: string;
  client_id: string;
  user_id: string;
  org_id: string;
  scope: string;
  created_at: number;
  last_used_at: number;
  use_count: number;
  refresh_token: string | null;
  access_tokens: number;
  revoked: boolean;
  revoked_reason: string | null;
}

export function approvalInfo(approval: ApprovalRecord): ApprovalInfo {
  return {
    approval_id: approval.approvalId,
    client_id: approval.clientId,
    user_id: approval.userId,
    org_id: approval.orgId,
    scope: approval.scope,
    created_at: approval.createdAt,
    last_used_at: approval.lastUsedAt,
    use_count: approval.useCount,
    refresh_token: approval.revokedAt === null ? approval.currentRefreshToken : null,
    access_tokens: approval.accessTokens.size,
    revoked: approval.revokedAt !== null,
    revoked_reason: approval.revokedReason,
  };
}

/** Finds the family of any refresh token (current or rotated out) or by approval id. */
export function findApproval(ctx: EmulatorContext, tokenOrApprovalId: string): ApprovalRecord | undefined {
  const direct = ctx.state.approvals.get(tokenOrApprovalId);
  if (direct) return direct;
  const refresh = ctx.state.refreshTokens.get(tokenOrApprovalId);
  if (refresh) return ctx.state.approvals.get(refresh.approvalId);
  const access = ctx.state.accessTokens.get(tokenOrApprovalId);
  return access ? ctx.state.approvals.get(access.approvalId) : undefined;
}

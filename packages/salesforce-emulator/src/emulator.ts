import * as admin from './admin.js';
import type { ApprovalInfo } from './admin.js';
import type { EmulatorClock } from './clock.js';
import type { EmulatorContext } from './context.js';
import { issueCodeDirectly } from './endpoints/authorize.js';
import { handleProviderRevoke } from './endpoints/provider-revoke.js';
import { handleToken } from './endpoints/token.js';
import { createApproval, issueAccessToken, makeIdToken, revokeApproval, tokenResponseBody } from './grants.js';
import type { PolicyOverrides, RefreshTokenPolicy } from './policies.js';
import { parseAllowlistError, parseRanges, type IpRange } from './refresh-token-ip-allowlist.js';
import type { AppMode, AppRecord, AppType } from './state.js';
import { applyStagedClientSecret, discardStagedClientSecret, stageClientSecret } from './consumer-secrets.js';
import { installApp, uninstallApp } from './installations.js';
import type { RequestLogEntry } from './request-log.js';
import type { EmulatorStats } from './stats.js';
import type { EndpointName, FaultSpec, RateLimitSpec } from './traffic.js';
import { appView, orgView, userView, type AppView, type OrgView, type UserView } from './views.js';

/** Everything a test can do to a running emulator; the control API calls the same methods. */

export interface AppInput extends PolicyOverrides {
  /** Consumer key; generated (`3MVG9…`) when omitted. */
  clientId?: string;
  /** Consumer secret; empty or omitted = public client. */
  clientSecret?: string;
  callbackUrls?: string[];
  name?: string;
  /** 'salesforce' (default) or 'generic' RFC 6749 shapes with expires_in. */
  mode?: AppMode;
  /** Scopes the app may be granted (default: the common Salesforce scopes). */
  scopes?: string[];
  /** Granted when the authorize request names none (default: api refresh_token web id). */
  defaultScopes?: string[];
  introspectAll?: boolean;
  refreshTokenPolicy?: RefreshTokenPolicy;
  /** 'connected_app' (default) or 'external_client_app': Salesforce words some refusals differently. */
  appType?: AppType;
  /** Whether a staged consumer secret already works beside the current one (default true). */
  stagedSecretAccepted?: boolean;
  /** JWT Bearer: the certificate (or SPKI public key) uploaded to the app, PEM; null: none. */
  jwtCertificate?: string | null;
  /** Client Credentials: the run-as user's username; null: the flow has no user (refused). */
  runAsUsername?: string | null;
  /** Generic apps: extra fields every token response carries (e.g. a provider's `api_domain`). */
  tokenResponseFields?: Record<string, string>;
}

export interface OrgInput extends PolicyOverrides {
  /** 15- or 18-character `00D` id; generated when omitted. */
  orgId?: string;
  name?: string;
  /** instance_url for this org's tokens (default: the emulator's). */
  instanceUrl?: string;
}

export interface UserInput extends PolicyOverrides {
  username: string;
  /** Existing or new org (created on demand); default: the first org. */
  orgId?: string;
  /** 15- or 18-character `005` id; generated when omitted. */
  userId?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  active?: boolean;
  /** Apps this user is pre-authorized for (Permitted Users = admin_approved). */
  permittedApps?: string[];
}

export interface ApprovalFilter {
  userId?: string;
  clientId?: string;
  orgId?: string;
  includeRevoked?: boolean;
}

export interface SessionFilter {
  userId?: string;
  clientId?: string;
  orgId?: string;
  accessToken?: string;
}

export interface RefreshTokenStatus {
  /** 'current': usable; 'retired': rotated out (reuse revokes the family); 'revoked'; 'unknown'. */
  status: 'current' | 'retired' | 'revoked' | 'unknown';
  approval_id: string | null;
  current_refresh_token: string | null;
}

export interface CodeInput {
  clientId: string;
  username: string;
  redirectUri?: string;
  scope?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  nonce?: string;
}

export interface RuntimeSettings {
  autoApprove?: boolean;
  codeLifetimeS?: number;
  apiDailyLimit?: number;
  apiRequestsUsed?: number;
  /** false: play login.salesforce.com, where the Client Credentials flow is refused. */
  myDomain?: boolean;
}

export class SalesforceEmulatorControls {
  constructor(
    protected readonly ctx: EmulatorContext,
    private readonly applySeed: () => void,
  ) {}

  get clock(): EmulatorClock {
    return this.ctx.clock;
  }

  private view(app: AppRecord): AppView {
    return appView(app, this.ctx.settings.policyDefaults);
  }

  // Apps
  createApp(input: AppInput = {}): AppView {
    return this.view(admin.createApp(this.ctx, input as Record<string, unknown>));
  }
  updateApp(clientId: string, changes: Partial<AppInput>): AppView {
    return this.view(admin.updateApp(this.ctx, clientId, changes as Record<string, unknown>));
  }
  getApp(clientId: string): AppView | undefined {
    const app = this.ctx.state.apps.get(clientId);
    return app && this.view(app);
  }
  listApps(): AppView[] {
    return [...this.ctx.state.apps.values()].map((app) => this.view(app));
  }
  /** Admin blocks the app in one org (or everywhere): its tokens die, new ones are refused. */
  blockApp(clientId: string, options: { orgId?: string } = {}): void {
    admin.blockApp(this.ctx, clientId, options.orgId);
  }
  unblockApp(clientId: string, options: { orgId?: string } = {}): void {
    admin.unblockApp(this.ctx, clientId, options.orgId);
  }
  /** Installs the app in an org (the default state). */
  installApp(clientId: string, orgId: string): void {
    installApp(this.ctx, clientId, orgId);
  }
  /** Uninstalls it: an External Client App then answers app_not_found; a Connected App's tokens die. Returns approvals revoked. */
  uninstallApp(clientId: string, orgId: string): number {
    return uninstallApp(this.ctx, clientId, orgId);
  }
  /** Stages a new consumer secret beside the current one. */
  stageClientSecret(clientId: string, secret: string): AppView {
    return this.view(stageClientSecret(this.ctx, clientId, secret));
  }
  /** The staged secret becomes the only one; the old one stops working at once. */
  applyStagedClientSecret(clientId: string): AppView {
    return this.view(applyStagedClientSecret(this.ctx, clientId));
  }
  discardStagedClientSecret(clientId: string): AppView {
    return this.view(discardStagedClientSecret(this.ctx, clientId));
  }

  // Orgs
  createOrg(input: OrgInput = {}): OrgView {
    return orgView(admin.createOrg(this.ctx, input as Record<string, unknown>));
  }
  /** Rename an org or move it to another instance_url (an org migration, docs/salesforce.md). */
  updateOrg(orgId: string, changes: { name?: string; instanceUrl?: string | null }): OrgView {
    return orgView(admin.updateOrg(this.ctx, orgId, changes as Record<string, unknown>));
  }
  getOrg(orgId: string): OrgView | undefined {
    const org = this.ctx.state.findOrg(orgId);
    return org && orgView(org);
  }
  listOrgs(): OrgView[] {
    return [...this.ctx.state.orgs.values()].map(orgView);
  }
  lockOrg(orgId: string): void {
    admin.setOrgActive(this.ctx, orgId, false);
  }
  unlockOrg(orgId: string): void {
    admin.setOrgActive(this.ctx, orgId, true);
  }
  /** Org override of app policies, for one app or all (docs/salesforce.md). Merges into earlier overrides. */
  setOrgPolicy(orgId: string, policy: PolicyOverrides, options: { clientId?: string } = {}): void {
    admin.setOrgPolicy(this.ctx, orgId, policy as Record<string, unknown>, options.clientId);
  }
  /** Allowed client IPs for the org; null lifts the restriction. */
  setOrgIpRestriction(orgId: string, allowedIps: string[] | null): void {
    admin.setAllowedIps(admin.requireOrg(this.ctx, orgId), allowedIps);
  }
  /**
   * Enforces the app's Refresh Token IP Allowlist (code exchange and refresh, judged by the
   * TCP source address); null turns it off. `error` replaces the answer a blocked request gets.
   */
  setRefreshTokenIpAllowlist(clientId: string, ranges: Array<string | IpRange> | null, options: { error?: { status?: number; error: string; error_description: string } } = {}): AppView {
    const app = admin.requireApp(this.ctx, clientId);
    try {
      app.refreshTokenIpAllowlist = ranges === null ? null : { ranges: parseRanges(ranges), error: parseAllowlistError(options.error) };
    } catch (error) {
      throw new admin.InputError((error as Error).message);
    }
    return this.view(app);
  }
  revokeAppForOrg(clientId: string, orgId: string): number {
    admin.requireApp(this.ctx, clientId);
    return admin.revokeApprovals(this.ctx, { clientId, orgId: admin.requireOrg(this.ctx, orgId).orgId }, 'admin_revoked_org');
  }

  // Users
  createUser(input: UserInput): UserView {
    return userView(admin.createUser(this.ctx, input as unknown as Record<string, unknown>));
  }
  /** By 15/18-character id or username. */
  getUser(idOrUsername: string): UserView | undefined {
    const user = this.ctx.state.findUser(idOrUsername) ?? this.ctx.state.findUserByUsername(idOrUsername);
    return user && userView(user);
  }
  listUsers(): UserView[] {
    return [...this.ctx.state.users.values()].map(userView);
  }
  changePassword(userId: string): void {
    admin.changePassword(this.ctx, userId);
  }
  deactivateUser(userId: string): void {
    admin.setUserActive(this.ctx, userId, false);
  }
  reactivateUser(userId: string): void {
    admin.setUserActive(this.ctx, userId, true);
  }
  /** Freeze (admin): no logins; refresh per `frozenUserRefresh` (default refused as inactive user). */
  freezeUser(userId: string): void {
    admin.setUserFrozen(this.ctx, userId, true);
  }
  unfreezeUser(userId: string): void {
    admin.setUserFrozen(this.ctx, userId, false);
  }
  setUserPolicy(userId: string, policy: PolicyOverrides): void {
    admin.setUserPolicy(this.ctx, userId, policy as Record<string, unknown>);
  }
  setUserIpRestriction(userId: string, allowedIps: string[] | null): void {
    admin.setAllowedIps(admin.requireUser(this.ctx, userId), allowedIps);
  }
  /** Pre-authorize (or not) a user for an admin-approved app. */
  setPermitted(userId: string, clientId: string, permitted: boolean): void {
    admin.setPermitted(this.ctx, userId, clientId, permitted);
  }
  revokeAppForUser(clientId: string, userId: string): number {
    admin.requireApp(this.ctx, clientId);
    return admin.revokeApprovals(this.ctx, { clientId, userId: admin.requireUser(this.ctx, userId).userId }, 'admin_revoked_user');
  }
  /** Session Management → Remove: access tokens die, refresh tokens keep working. Returns how many died. */
  removeSessions(filter: SessionFilter = {}): number {
    return admin.removeSessions(this.ctx, filter);
  }

  // Approvals and token families
  approvals(filter: ApprovalFilter = {}): ApprovalInfo[] {
    const userId = filter.userId ? admin.requireUser(this.ctx, filter.userId).userId : undefined;
    const orgId = filter.orgId ? admin.requireOrg(this.ctx, filter.orgId).orgId : undefined;
    return this.ctx.state
      .approvalsOf({ ...filter, userId, orgId })
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(admin.approvalInfo);
  }
  /** An approval by id, or the family of any access/refresh token. */
  getApproval(approvalIdOrToken: string): ApprovalInfo | undefined {
    const approval = admin.findApproval(this.ctx, approvalIdOrToken);
    return approval && admin.approvalInfo(approval);
  }
  revokeApproval(approvalIdOrToken: string): void {
    const approval = admin.findApproval(this.ctx, approvalIdOrToken);
    if (!approval) throw new admin.NotFoundError(`no approval for ${approvalIdOrToken}`);
    revokeApproval(this.ctx, approval, 'user_revoked');
  }
  /** The family's current refresh token (null when revoked or never issued). */
  currentRefreshToken(approvalIdOrToken: string): string | null {
    const approval = admin.findApproval(this.ctx, approvalIdOrToken);
    return approval && approval.revokedAt === null ? approval.currentRefreshToken : null;
  }
  refreshTokenStatus(token: string): RefreshTokenStatus {
    const record = this.ctx.state.refreshTokens.get(token);
    const approval = record ? this.ctx.state.approvals.get(record.approvalId) : undefined;
    if (!record || !approval) return { status: 'unknown', approval_id: null, current_refresh_token: null };
    const current = approval.revokedAt === null ? approval.currentRefreshToken : null;
    const status = approval.revokedAt !== null ? 'revoked' : record.retiredAt !== null ? 'retired' : 'current';
    return { status, approval_id: approval.approvalId, current_refresh_token: current };
  }

  // Shortcuts that skip the browser
  /** An authorization code as if the user clicked Allow (no policy checks; the exchange applies them). */
  issueCode(input: CodeInput): string {
    return issueCodeDirectly(this.ctx, input);
  }
  /** A token response as if a code had just been exchanged: new approval, counted against the limit. */
  issueTokens(input: { clientId: string; username: string; scope?: string }): Record<string, string | number> {
    const app = admin.requireApp(this.ctx, input.clientId);
    const user = this.ctx.state.findUserByUsername(input.username);
    if (!user) throw new admin.NotFoundError(`no user ${input.username}`);
    const approval = createApproval(this.ctx, app, user, input.scope ?? app.defaultScopes.join(' '));
    const access = issueAccessToken(this.ctx, app, user, approval);
    const idToken = approval.scope.split(' ').includes('openid') ? makeIdToken(this.ctx, app, user, access, null) : null;
    return tokenResponseBody(this.ctx, app, user, { access, refreshToken: approval.currentRefreshToken, idToken });
  }

  // Traffic
  /** Adds a fault; several queue up, the first matching one applies. */
  setFault(spec: FaultSpec): void {
    this.ctx.traffic.addFault(spec);
  }
  clearFaults(): void {
    this.ctx.traffic.clearFaults();
  }
  faults(): ReturnType<EmulatorContext['traffic']['listFaults']> {
    return this.ctx.traffic.listFaults();
  }
  /** Real delay before answering (ms), for one endpoint or 'any'. 0 removes it. */
  setLatency(latencyMs: number, endpoint: EndpointName = 'any'): void {
    this.ctx.traffic.setLatency(latencyMs, endpoint);
  }
  /** Token-endpoint requests per second of emulator time; null lifts it. */
  setRateLimit(spec: RateLimitSpec | null): void {
    this.ctx.traffic.setRateLimit(spec);
  }
  /** Each refresh holds its token's in-flight lock this long (real ms), so tests can overlap two. */
  setRefreshHold(holdMs: number): void {
    if (!Number.isFinite(holdMs) || holdMs < 0) throw new admin.InputError('hold_ms must be >= 0');
    this.ctx.traffic.refreshHoldMs = holdMs;
  }

  // Settings, stats, reset
  setAutoApprove(enabled: boolean): void {
    this.ctx.settings.autoApprove = enabled;
  }
  updateSettings(settings: RuntimeSettings): RuntimeSettings {
    const s = this.ctx.settings;
    const nonNegative = (v: unknown, name: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new admin.InputError(`${name} must be a number >= 0`);
      return v;
    };
    if (settings.autoApprove !== undefined) s.autoApprove = settings.autoApprove === true;
    if (settings.codeLifetimeS !== undefined) s.codeLifetimeS = nonNegative(settings.codeLifetimeS, 'code_lifetime_s');
    if (settings.apiDailyLimit !== undefined) s.apiDailyLimit = nonNegative(settings.apiDailyLimit, 'api_daily_limit');
    if (settings.apiRequestsUsed !== undefined) s.apiRequestsUsed = nonNegative(settings.apiRequestsUsed, 'api_requests_used');
    if (settings.myDomain !== undefined) s.myDomain = settings.myDomain === true;
    return { autoApprove: s.autoApprove, codeLifetimeS: s.codeLifetimeS, apiDailyLimit: s.apiDailyLimit, apiRequestsUsed: s.apiRequestsUsed, myDomain: s.myDomain };
  }
  /**
   * Serves a provider's own revocation API at `path` (router syntax: `:name` segments, `*` at
   * the end) for `method`, e.g. DELETE /oauth/v1/refresh-tokens/:token: any request shape is
   * accepted, the shape seen is in the request log (`revocation`), the token's family ends.
   */
  addRevocationEndpoint(shape: { method: string; path: string }): void {
    this.ctx.addRoute?.(shape.method.toUpperCase(), shape.path, (r) => handleProviderRevoke(this.ctx, r));
  }
  /** Serves the generic (RFC 6749) token endpoint also at `path` (POST), where a provider has its own, e.g. /oauth/token. */
  addTokenEndpoint(path: string): void {
    this.ctx.addRoute?.('POST', path, (r) => handleToken(this.ctx, r, 'generic'), 'token');
  }
  /** The last requests answered (up to 1000, control API excluded), oldest first. */
  requestLog(filter: { endpoint?: EndpointName; limit?: number } = {}): RequestLogEntry[] {
    return this.ctx.requestLog.list(filter);
  }
  stats(): EmulatorStats {
    return this.ctx.stats.snapshot();
  }
  resetStats(): void {
    this.ctx.stats.reset();
  }
  /** Forget everything (apps, users, tokens, faults, stats, clock), then apply the seed again. */
  reset(): void {
    this.ctx.state.clear();
    this.ctx.stats.reset();
    this.ctx.requestLog.clear();
    this.ctx.traffic.reset();
    this.ctx.clock.reset();
    this.ctx.settings.apiRequestsUsed = 0;
    this.ctx.settings.myDomain = true;
    this.applySeed();
  }
}

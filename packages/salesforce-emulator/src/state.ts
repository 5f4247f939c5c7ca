import type { PolicyOverrides } from './policies.js';
import type { RefreshTokenIpAllowlist } from './refresh-token-ip-allowlist.js';

/** In-memory records. Plain data; the lifecycle rules live in grants.ts. */

export type AppMode = 'salesforce' | 'generic';

/**
 * A Connected App (the classic kind) or an External Client App (the only kind new apps can be
 * since Spring '26). Salesforce words some refusals differently for the two.
 */
export type AppType = 'connected_app' | 'external_client_app';

export interface AppRecord {
  clientId: string;
  /** Empty string for a public client (no secret). */
  clientSecret: string;
  /**
   * A new consumer secret staged beside the current one (External Client App staged OAuth
   * credentials); null when none is staged. Applying it makes it the only secret.
   */
  stagedClientSecret: string | null;
  /** Whether the token endpoint already accepts the staged secret (default true, [3P]). */
  stagedSecretAccepted: boolean;
  appType: AppType;
  name: string;
  mode: AppMode;
  callbackUrls: string[];
  /** Scopes the app may be granted. */
  scopes: string[];
  /** Granted when the authorize request names no scope. */
  defaultScopes: string[];
  /** Introspect All Tokens (docs/salesforce.md). */
  introspectAll: boolean;
  policy: PolicyOverrides;
  /** Org ids where an admin blocked the app; '*' blocks it everywhere (docs/salesforce.md). */
  blockedIn: Set<string>;
  /** Enforced Refresh Token IP Allowlist; null when not enforced (refresh-token-ip-allowlist.ts). */
  refreshTokenIpAllowlist: RefreshTokenIpAllowlist | null;
  /** The uploaded certificate or public key (PEM) JWT Bearer assertions are verified with; null: none. */
  jwtCertificate: string | null;
  /** Client Credentials flow: the run-as user's username; null: the flow has no user (refused). */
  runAsUsername: string | null;
  /** Generic apps: extra fields every token response carries (never the standard ones). */
  tokenResponseFields: Record<string, string>;
}

export interface OrgRecord {
  orgId: string;
  name: string;
  /** Overrides the emulator's instance URL for this org's tokens. */
  instanceUrl: string | null;
  active: boolean;
  /** Allowed client IPs; null = no restriction (docs/salesforce.md). */
  allowedIps: string[] | null;
  /** Org-wide overrides, and per-app overrides keyed by client id. */
  policy: PolicyOverrides;
  appPolicy: Map<string, PolicyOverrides>;
}

export interface UserRecord {
  userId: string;
  orgId: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  active: boolean;
  /** Frozen by an admin: cannot log in (docs/salesforce.md, effect on refresh unconfirmed). */
  frozen: boolean;
  /** Incremented by each password change; families remember the epoch they were born in. */
  passwordEpoch: number;
  allowedIps: string[] | null;
  policy: PolicyOverrides;
  /** Apps this user is pre-authorized for when Permitted Users is admin-approved (docs/salesforce.md). */
  permittedApps: Set<string>;
}

/**
 * An approval: one authorization of one app by one user. It owns a refresh-token
 * family (the current token plus every rotated-out one) and the access tokens
 * issued from it (docs/salesforce.md).
 */
export interface ApprovalRecord {
  approvalId: string;
  clientId: string;
  userId: string;
  orgId: string;
  scope: string;
  createdAt: number;
  /** Last successful use (refresh); drives idle expiry and LRU eviction. */
  lastUsedAt: number;
  useCount: number;
  passwordEpoch: number;
  currentRefreshToken: string | null;
  accessTokens: Set<string>;
  revokedAt: number | null;
  revokedReason: string | null;
  /** Refresh tokens of this family being processed right now (docs/salesforce.md). */
  inFlight: Set<string>;
}

export interface RefreshTokenRecord {
  token: string;
  approvalId: string;
  issuedAt: number;
  /** Set when rotation replaced it. */
  retiredAt: number | null;
}

export interface AccessTokenRecord {
  token: string;
  approvalId: string;
  clientId: string;
  userId: string;
  orgId: string;
  scope: string;
  issuedAt: number;
  lastActivity: number;
  /** Session timeout for salesforce apps (sliding); absolute lifetime for generic apps. */
  timeoutMs: number;
  sliding: boolean;
  revokedAt: number | null;
}

export interface AuthorizationCodeRecord {
  code: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  nonce: string | null;
  expiresAt: number;
  used: boolean;
}

/** A pending authorize request waiting for the person on the login page. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  nonce: string | null;
  loginHint: string | null;
  createdAt: number;
}

export interface BrowserSession {
  sessionId: string;
  userId: string;
  createdAt: number;
}

export class EmulatorState {
  readonly apps = new Map<string, AppRecord>();
  readonly orgs = new Map<string, OrgRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly usersByUsername = new Map<string, UserRecord>();
  readonly approvals = new Map<string, ApprovalRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly codes = new Map<string, AuthorizationCodeRecord>();
  readonly pending = new Map<string, PendingAuthorization>();
  readonly browserSessions = new Map<string, BrowserSession>();
  /** Org used when a user is created without one. */
  defaultOrgId: string | null = null;

  clear(): void {
    this.apps.clear();
    this.orgs.clear();
    this.users.clear();
    this.usersByUsername.clear();
    this.approvals.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
    this.pending.clear();
    this.browserSessions.clear();
    this.defaultOrgId = null;
  }

  addUser(user: UserRecord): void {
    this.users.set(user.userId, user);
    this.usersByUsername.set(user.username.toLowerCase(), user);
  }

  findUserByUsername(username: string): UserRecord | undefined {
    return this.usersByUsername.get(username.toLowerCase());
  }

  /** Accepts 15- or 18-character ids. */
  findUser(id: string): UserRecord | undefined {
    return this.users.get(id) ?? [...this.users.values()].find((u) => u.userId.slice(0, 15) === id);
  }

  findOrg(id: string): OrgRecord | undefined {
    return this.orgs.get(id) ?? [...this.orgs.values()].find((o) => o.orgId.slice(0, 15) === id);
  }

  approvalsOf(filter: { userId?: string; clientId?: string; orgId?: string; includeRevoked?: boolean }): ApprovalRecord[] {
    const out: ApprovalRecord[] = [];
    for (const approval of this.approvals.values()) {
      if (filter.userId && approval.userId !== filter.userId) continue;
      if (filter.clientId && approval.clientId !== filter.clientId) continue;
      if (filter.orgId && approval.orgId !== filter.orgId) continue;
      if (!filter.includeRevoked && approval.revokedAt !== null) continue;
      out.push(approval);
    }
    return out;
  }
}

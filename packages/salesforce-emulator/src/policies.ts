/**
 * Behaviour switches. Each one can be set on an app, overridden for an org (for
 * one app or all apps), and overridden again for a user. The effective value is
 * user ?? org+app ?? org ?? app ?? emulator default (an org admin's policy overrides the app's,
 * docs/salesforce.md; the user layer exists for tests).
 */

/** Refresh Token Policy (docs/salesforce.md). */
export type RefreshTokenPolicy =
  | 'until_revoked'
  | 'immediate'
  | { idle_s: number }
  | { lifetime_s: number };

export interface PolicySettings {
  refreshTokenPolicy: RefreshTokenPolicy;
  /** The 30-day idle TTL limit feature (docs/salesforce.md); seconds, null when off. */
  idleTtlLimitS: number | null;
  /** Refresh Token Rotation (docs/salesforce.md). */
  rotation: boolean;
  /** Rotated-out tokens still accepted for this long (docs/salesforce.md: none documented, default 0). */
  rotationGraceMs: number;
  /** Access-token idle lifetime with the half-window sliding rule (docs/salesforce.md). */
  sessionTimeoutS: number;
  /** Generic-mode access-token absolute lifetime, returned as expires_in. */
  accessTokenTtlS: number;
  permittedUsers: 'all' | 'admin_approved';
  /** IP Relaxation (docs/salesforce.md): 'enforce', 'relax_for_refresh' or 'relax'. */
  ipRelaxation: 'enforce' | 'relax_for_refresh' | 'relax';
  /** Approvals per user per app (docs/salesforce.md). */
  maxApprovals: number;
  /** Which approval the one over the limit evicts; default 'oldest' (unconfirmed, docs/salesforce.md). */
  approvalEviction: 'oldest' | 'lru';
  /**
   * Effect of a password change on refresh tokens issued before it (docs/salesforce.md, unconfirmed).
   * Default 'authentication_failure': refresh answers invalid_grant/authentication failure.
   */
  passwordChange: 'authentication_failure' | 'revoke_all' | 'no_effect';
  /** What a frozen user's refresh gets (docs/salesforce.md, unconfirmed): refused as inactive (default) or allowed. */
  frozenUserRefresh: 'inactive_user' | 'allow';
  /** A second refresh with a token already being refreshed (docs/salesforce.md). */
  concurrentRefresh: 'reject' | 'allow';
  /** Body of that rejection; default the one Segment saw (unconfirmed). */
  concurrentRefreshError: { status: number; error: string; error_description: string };
  requirePkce: boolean;
  requireSecretForWebServer: boolean;
  requireSecretForRefresh: boolean;
  /** Salesforce rejects `~` in code_verifier (a Salesforce quirk, docs/salesforce.md). */
  rejectTildeInVerifier: boolean;
  /** Return an id_token on refresh when openid was granted (docs/salesforce.md, unconfirmed). */
  idTokenOnRefresh: boolean;
  /** Use the older documented error codes inactive_user / inactive_org / invalid_client_credentials. */
  legacyErrorCodes: boolean;
  /** Revoke errors as JSON (default) or form-encoded (unconfirmed, docs/salesforce.md). */
  revokeErrorFormat: 'json' | 'form';
  /** The token endpoint's rate-limit answer: 400 rate_limit_exceeded (default, [INF]) or 429. */
  rateLimitStyle: '400' | '429';
  /**
   * Whether the app is installed in the org (External Client Apps must be; so must every app once
   * API Access Control is on). Set per org with `setOrgPolicy(org, { appInstalled }, { clientId })`
   * or installApp / uninstallApp. What an uninstalled app gets depends on its `appType`.
   */
  appInstalled: boolean;
  /**
   * The `error` an External Client App not installed in the org gets at authorize. Default
   * `app_not_found` (the token endpoint's code, [INF] for this endpoint); `OAUTH_EC_APP_NOT_FOUND`
   * is the code users report seeing after logging in ([CODE], its delivery unconfirmed).
   */
  notInstalledAuthorizeError: 'app_not_found' | 'OAUTH_EC_APP_NOT_FOUND';
}

export const DEFAULT_POLICY: Readonly<PolicySettings> = Object.freeze({
  refreshTokenPolicy: 'until_revoked',
  idleTtlLimitS: null,
  rotation: false,
  rotationGraceMs: 0,
  sessionTimeoutS: 7200,
  accessTokenTtlS: 3600,
  permittedUsers: 'all',
  ipRelaxation: 'enforce',
  maxApprovals: 5,
  approvalEviction: 'oldest',
  passwordChange: 'authentication_failure',
  frozenUserRefresh: 'inactive_user',
  concurrentRefresh: 'reject',
  concurrentRefreshError: { status: 400, error: 'invalid_grant', error_description: 'expired authorization code' },
  requirePkce: false,
  requireSecretForWebServer: true,
  requireSecretForRefresh: true,
  rejectTildeInVerifier: false,
  idTokenOnRefresh: true,
  legacyErrorCodes: false,
  revokeErrorFormat: 'json',
  rateLimitStyle: '400',
  appInstalled: true,
  notInstalledAuthorizeError: 'app_not_found',
} satisfies PolicySettings);

export type PolicyOverrides = Partial<PolicySettings>;

/** Layers from the most general to the most specific; later layers win. */
export function resolvePolicy(...layers: Array<PolicyOverrides | undefined>): PolicySettings {
  const effective: PolicySettings = { ...DEFAULT_POLICY };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer) as Array<keyof PolicySettings>) {
      const value = layer[key];
      if (value !== undefined) (effective as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return effective;
}

export type RefreshExpiry = 'valid' | 'expired' | 'validity_expired';

/**
 * Has the refresh-token policy killed this family? `createdAt` is the approval's
 * first issue ([INF]: an absolute lifetime is not restarted by rotation);
 * `lastUsedAt` the last successful use (idle windows slide on use).
 */
export function refreshTokenExpiry(policy: PolicySettings, createdAt: number, lastUsedAt: number, now: number): RefreshExpiry {
  const rtp = policy.refreshTokenPolicy;
  if (rtp === 'immediate') return 'expired';
  if (typeof rtp === 'object' && 'lifetime_s' in rtp && now - createdAt >= rtp.lifetime_s * 1000) return 'validity_expired';
  if (typeof rtp === 'object' && 'idle_s' in rtp && now - lastUsedAt >= rtp.idle_s * 1000) return 'expired';
  // The idle TTL limit adds an idle window to "until revoked" and to long lifetimes (docs/salesforce.md).
  if (policy.idleTtlLimitS !== null && now - lastUsedAt >= policy.idleTtlLimitS * 1000) return 'expired';
  return 'valid';
}

/** Epoch ms at which the refresh token dies by policy, or null for never (introspection `exp`). */
export function refreshTokenExpiresAt(policy: PolicySettings, createdAt: number, lastUsedAt: number): number | null {
  const candidates: number[] = [];
  const rtp = policy.refreshTokenPolicy;
  if (rtp === 'immediate') return createdAt;
  if (typeof rtp === 'object' && 'lifetime_s' in rtp) candidates.push(createdAt + rtp.lifetime_s * 1000);
  if (typeof rtp === 'object' && 'idle_s' in rtp) candidates.push(lastUsedAt + rtp.idle_s * 1000);
  if (policy.idleTtlLimitS !== null) candidates.push(lastUsedAt + policy.idleTtlLimitS * 1000);
  return candidates.length ? Math.min(...candidates) : null;
}

/**
 * Session timeout sliding rule (docs/salesforce.md): activity moves `lastActivity` only
 * when it happens in the second half of the window. Returns the new lastActivity.
 */
export function slideSession(lastActivity: number, timeoutMs: number, now: number): number {
  return now - lastActivity >= timeoutMs / 2 ? now : lastActivity;
}

/** Parses the refresh-token policy from control/seed JSON, which uses the same shape. */
export function parseRefreshTokenPolicy(value: unknown): RefreshTokenPolicy {
  if (value === 'until_revoked' || value === 'immediate') return value;
  if (value === 'infinite') return 'until_revoked';
  if (value === 'zero') return 'immediate';
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.idle_s === 'number' && v.idle_s >= 0) return { idle_s: v.idle_s };
    if (typeof v.lifetime_s === 'number' && v.lifetime_s >= 0) return { lifetime_s: v.lifetime_s };
  }
  throw new TypeError('refresh_token_policy must be "until_revoked", "immediate", {"idle_s": N} or {"lifetime_s": N}');
}

const SNAKE_TO_POLICY_KEY: Record<string, keyof PolicySettings> = {
  refresh_token_policy: 'refreshTokenPolicy',
  idle_ttl_limit_s: 'idleTtlLimitS',
  rotation: 'rotation',
  rotation_grace_ms: 'rotationGraceMs',
  session_timeout_s: 'sessionTimeoutS',
  access_token_ttl_s: 'accessTokenTtlS',
  permitted_users: 'permittedUsers',
  ip_relaxation: 'ipRelaxation',
  max_approvals: 'maxApprovals',
  approval_eviction: 'approvalEviction',
  password_change: 'passwordChange',
  frozen_user_refresh: 'frozenUserRefresh',
  concurrent_refresh: 'concurrentRefresh',
  concurrent_refresh_error: 'concurrentRefreshError',
  require_pkce: 'requirePkce',
  require_secret_for_web_server: 'requireSecretForWebServer',
  require_secret_for_refresh: 'requireSecretForRefresh',
  reject_tilde_in_verifier: 'rejectTildeInVerifier',
  id_token_on_refresh: 'idTokenOnRefresh',
  legacy_error_codes: 'legacyErrorCodes',
  revoke_error_format: 'revokeErrorFormat',
  rate_limit_style: 'rateLimitStyle',
  app_installed: 'appInstalled',
  not_installed_authorize_error: 'notInstalledAuthorizeError',
};

const ENUMS: Partial<Record<keyof PolicySettings, readonly unknown[]>> = {
  permittedUsers: ['all', 'admin_approved'],
  ipRelaxation: ['enforce', 'relax_for_refresh', 'relax'],
  approvalEviction: ['oldest', 'lru'],
  passwordChange: ['authentication_failure', 'revoke_all', 'no_effect'],
  frozenUserRefresh: ['inactive_user', 'allow'],
  concurrentRefresh: ['reject', 'allow'],
  revokeErrorFormat: ['json', 'form'],
  rateLimitStyle: ['400', '429'],
  notInstalledAuthorizeError: ['app_not_found', 'OAUTH_EC_APP_NOT_FOUND'],
};

/**
 * Validates overrides given in either camelCase (library) or snake_case (control
 * API and seed files); unknown keys are ignored so app/user objects can be passed whole.
 */
export function parsePolicyOverrides(input: Record<string, unknown>): PolicyOverrides {
  const out: Record<string, unknown> = {};
  const known = new Set<string>(Object.values(SNAKE_TO_POLICY_KEY));
  for (const [rawKey, value] of Object.entries(input)) {
    const key = SNAKE_TO_POLICY_KEY[rawKey] ?? (known.has(rawKey) ? (rawKey as keyof PolicySettings) : undefined);
    if (!key || value === undefined) continue;
    const fail = (): never => {
      throw new TypeError(`invalid value for ${rawKey}`);
    };
    const defaultValue = DEFAULT_POLICY[key];
    if (key === 'refreshTokenPolicy') out[key] = parseRefreshTokenPolicy(value);
    else if (key === 'idleTtlLimitS') {
      if (value === null || value === false) out[key] = null;
      else if (value === true) out[key] = 30 * 24 * 3600;
      else if (typeof value === 'number' && value >= 0) out[key] = value;
      else fail();
    } else if (key === 'concurrentRefreshError') {
      const v = value as Record<string, unknown>;
      if (!v || typeof v.error !== 'string' || typeof v.error_description !== 'string') fail();
      out[key] = { status: typeof v.status === 'number' ? v.status : 400, error: v.error, error_description: v.error_description };
    } else if (ENUMS[key]) {
      const normalized = key === 'rateLimitStyle' && typeof value === 'number' ? String(value) : value;
      if (!ENUMS[key]!.includes(normalized)) fail();
      out[key] = normalized;
    } else if (typeof defaultValue === 'boolean') {
      if (typeof value !== 'boolean') fail();
      out[key] = value;
    } else if (typeof defaultValue === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail();
      out[key] = value;
    }
  }
  return out as PolicyOverrides;
}

/** snake_case view of overrides, for the control API's answers. */
export function policyToSnake(overrides: PolicyOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [snake, camel] of Object.entries(SNAKE_TO_POLICY_KEY)) if (overrides[camel] !== undefined) out[snake] = overrides[camel];
  return out;
}

import { resolvePolicy, policyToSnake, type PolicyOverrides } from './policies.js';
import { allowlistView } from './refresh-token-ip-allowlist.js';
import type { AppRecord, OrgRecord, UserRecord } from './state.js';

/** The JSON shapes the control API answers with (snake_case, no secrets beyond what a test set). */

export interface AppView {
  client_id: string;
  name: string;
  mode: 'salesforce' | 'generic';
  app_type: 'connected_app' | 'external_client_app';
  /** Whether a consumer secret is staged (its value is never shown). */
  staged_secret: boolean;
  staged_secret_accepted: boolean;
  callback_urls: string[];
  scopes: string[];
  default_scopes: string[];
  introspect_all: boolean;
  blocked_in: string[];
  /** App-level policy with the emulator defaults filled in (org and user overrides not applied). */
  policy: Record<string, unknown>;
  /** The enforced Refresh Token IP Allowlist, or null. */
  refresh_token_ip_allowlist: ReturnType<typeof allowlistView>;
}

/** `defaults` are the emulator-wide policy defaults the app's settings sit on. */
export function appView(app: AppRecord, defaults: PolicyOverrides = {}): AppView {
  return {
    client_id: app.clientId,
    name: app.name,
    mode: app.mode,
    app_type: app.appType,
    staged_secret: app.stagedClientSecret !== null,
    staged_secret_accepted: app.stagedSecretAccepted,
    callback_urls: [...app.callbackUrls],
    scopes: [...app.scopes],
    default_scopes: [...app.defaultScopes],
    introspect_all: app.introspectAll,
    blocked_in: [...app.blockedIn],
    policy: policyToSnake(resolvePolicy(defaults, app.policy)),
    refresh_token_ip_allowlist: allowlistView(app.refreshTokenIpAllowlist),
  };
}

export interface OrgView {
  org_id: string;
  name: string;
  instance_url: string | null;
  active: boolean;
  allowed_ips: string[] | null;
  policy: Record<string, unknown>;
  app_policy: Record<string, Record<string, unknown>>;
}

export function orgView(org: OrgRecord): OrgView {
  return {
    org_id: org.orgId,
    name: org.name,
    instance_url: org.instanceUrl,
    active: org.active,
    allowed_ips: org.allowedIps,
    policy: policyToSnake(org.policy),
    app_policy: Object.fromEntries([...org.appPolicy].map(([clientId, p]) => [clientId, policyToSnake(p)])),
  };
}

export interface UserView {
  user_id: string;
  org_id: string;
  username: string;
  email: string;
  active: boolean;
  frozen: boolean;
  password_changes: number;
  allowed_ips: string[] | null;
  permitted_apps: string[];
  policy: Record<string, unknown>;
}

export function userView(user: UserRecord): UserView {
  return {
    user_id: user.userId,
    org_id: user.orgId,
    username: user.username,
    email: user.email,
    active: user.active,
    frozen: user.frozen,
    password_changes: user.passwordEpoch,
    allowed_ips: user.allowedIps,
    permitted_apps: [...user.permittedApps],
    policy: policyToSnake(user.policy),
  };
}

// A provider's readiness report: facts Grantkeeper gathered about one integration (pure data,
// gathered by diagnosis/readiness.ts), judged by the provider module against that provider's
// requirements, one line per requirement, each pass/warn/fail with the fix.

export type ReadinessStatus = 'pass' | 'warn' | 'fail';

export interface ReadinessCheck {
  /** Stable snake_case id (scripts branch on it). */
  id: string;
  title: string;
  status: ReadinessStatus;
  /** What Grantkeeper saw. */
  detail: string;
  /** What to do; null when nothing needs doing. */
  fix: string | null;
}

export interface ReadinessFacts {
  /** How far back the history was read. */
  windowDays: number;
  /** `serverToServer`: its grants mint without refresh tokens (client_credentials, jwt_bearer). */
  integration: { key: string; keepaliveS: number; hasClientSecret: boolean; serverToServer?: boolean };
  /** The provider's idle lifetime of a refresh token (seconds), when known. */
  idleLimitS: number | null;
  /** Refresh attempts in the window. */
  refreshes: { succeeded: number; rotated: number; failed: number };
  connections: { total: number; orgs: number; /** active, last refreshed more than half the idle limit ago */ stale: number };
  /** Which way the integration's token calls leave. */
  egress: { mode: 'direct' | 'proxy'; proxy: string | null; source: string };
  /** Diagnosis codes seen in the window or held now, by code. */
  diagnoses: Record<string, { connections: number; orgs: number }>;
}

export interface ProviderReadiness {
  /** What the report measures against, in a line. */
  title: string;
  check(facts: ReadinessFacts): ReadinessCheck[];
}

// An integration's readiness report (`GET /v1/integrations/{key}/readiness`, `grantkeeper
// doctor --<module> <integration>`): the facts gathered here from stored history, judged by
// the provider module that offers a report. Which module, and what it checks, is the
// module's business; nothing here names a provider.
import type { AppContext } from '../context.js';
import { connectionFreshness } from '../db/readiness/connection-freshness.js';
import { currentDiagnoses } from '../db/readiness/current-diagnoses.js';
import { recentDiagnoses } from '../db/readiness/recent-diagnoses.js';
import { refreshHistory } from '../db/readiness/refresh-history.js';
import type { IntegrationRow } from '../db/types.js';
import { notFound } from '../errors.js';
import type { IntegrationEgressView } from '../model/egress-report.js';
import { moduleFor } from '../providers/modules.js';
import type { ReadinessCheck, ReadinessFacts } from '../providers/readiness-types.js';

export interface ReadinessReport {
  integration: string;
  provider: string;
  /** The provider module that wrote the report (the CLI's `--<module>` flag). */
  module: string;
  title: string;
  window_days: number;
  summary: { pass: number; warn: number; fail: number };
  checks: ReadinessCheck[];
}

const DAY_MS = 86_400_000;

export async function readinessReport(ctx: AppContext, integration: IntegrationRow, egress: IntegrationEgressView, windowDays: number): Promise<ReadinessReport> {
  const readiness = ctx.providers.module(integration.provider).readiness;
  if (!readiness) throw notFound(`A readiness report for provider "${integration.provider}"`);
  const now = Date.now();
  const since = new Date(now - windowDays * DAY_MS);
  const idleLimitS = ctx.providers.describe(integration.provider)?.refreshTokenIdleTtlS ?? null;
  // "Stale": an active connection untouched for half the idle lifetime (15 days when unknown).
  const staleBefore = new Date(now - ((idleLimitS ?? 30 * 86_400) * 1000) / 2);
  const db = ctx.db.kysely;
  const [refreshes, connections, recent, current] = await Promise.all([
    refreshHistory(db, integration.id, since),
    connectionFreshness(db, integration.id, staleBefore),
    recentDiagnoses(db, integration.id, since),
    currentDiagnoses(db, integration.id),
  ]);
  const diagnoses: ReadinessFacts['diagnoses'] = {};
  for (const d of [...recent, ...current]) {
    const seen = diagnoses[d.code];
    diagnoses[d.code] = { connections: Math.max(seen?.connections ?? 0, d.connections), orgs: Math.max(seen?.orgs ?? 0, d.orgs) };
  }
  const facts: ReadinessFacts = {
    windowDays,
    integration: { key: integration.key, keepaliveS: integration.refresh.keepalive_s, hasClientSecret: integration.client_secret_enc !== null, serverToServer: integration.grant_type !== 'authorization_code' },
    idleLimitS,
    refreshes,
    connections,
    egress: { mode: egress.mode, proxy: egress.proxy, source: egress.source },
    diagnoses,
  };
  const checks = readiness.check(facts);
  const count = (status: ReadinessCheck['status']) => checks.filter((c) => c.status === status).length;
  return {
    integration: integration.key,
    provider: integration.provider,
    module: moduleFor(ctx.providers.entry(integration.provider)),
    title: readiness.title,
    window_days: windowDays,
    summary: { pass: count('pass'), warn: count('warn'), fail: count('fail') },
    checks,
  };
}

// Failure spikes (docs/design.md "Diagnosis", webhook `integration.failure_spike`): per integration and
// per provider org, over a sliding window, computed from the events table so that every
// instance on one database sees the same evidence. A spike is a row in `spikes` (one active
// per integration and org, enforced by a unique index, so it is announced once however many
// instances notice it) and one outbox event. An org spike also re-explains the dead grants
// in it: they were diagnosed one by one (`revoked`), but together they show an admin acted.
import { Counter } from 'prom-client';
import type { AppContext } from '../context.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { deadConnectionsIn } from '../db/spikes/rediagnose.js';
import { activeSpikes, endSubsidedSpikes, openSpike, touchSpike, type SpikeRow } from '../db/spikes/spike-rows.js';
import { countOperations, permanentFailureGroups, permanentFailures } from '../db/spikes/window-counts.js';
import type { IntegrationRow } from '../db/types.js';
import { newRowId, toPublicId } from '../model/ids.js';
import { integrationToApi } from '../model/integrations.js';
import { emitEvent } from '../webhooks/outbox.js';
import { describeDiagnosis } from './describe.js';
import { rediagnoseWithSpike } from './evidence.js';
import { rediagnoseIpBlocked } from './ip-blocked.js';
import { announceNewDiagnosis } from './replace-diagnosis.js';
import type { Diagnosis, DiagnosisCode } from '../domain/diagnosis.js';

/** The most connection ids a spike event carries (docs/api.md). */
export const SPIKE_CONNECTION_IDS_MAX = 1000;

/**
 * Codes an org spike may overturn: those that rest on the wire answer alone and that the rule
 * table ranks below `org_wide_revocation`, plus the two first-refresh codes that name a revoke
 * among their causes (a spike in one org says which). Other codes ranked above it rest on
 * evidence (eviction, idleness, rotation, a failed verification) that still holds.
 */
const OVERTURNABLE: ReadonlySet<string> = new Set<DiagnosisCode>(['revoked', 'credentials_changed', 'unknown_token', 'immediate_expiry_or_revoked']);

interface Group {
  integrationId: string;
  /** null: the integration as a whole (failures no single spiking org accounts for). */
  orgId: string | null;
  failures: number;
  operations: number;
}

export interface SpikeCheckSummary {
  opened: number;
  ended: number;
  rediagnosed: number;
}

/** Finds spikes and acts on them, one pass per check(); workers/spikes.ts runs it periodically. */
export class SpikeDetector {
  private readonly spikesTotal: Counter<'integration'>;

  constructor(private readonly ctx: AppContext) {
    this.spikesTotal = new Counter({
      name: 'grantkeeper_failure_spikes_total',
      help: 'Failure spikes detected (announced as integration.failure_spike), by integration',
      labelNames: ['integration'] as const,
      registers: [ctx.metrics.registry],
    });
  }

  /** One pass over the window (the caller keeps passes of one process from overlapping). */
  async check(): Promise<SpikeCheckSummary> {
    const { db } = this.ctx;
    const { windowS } = this.ctx.config.spikes;
    const summary: SpikeCheckSummary = { opened: 0, ended: 0, rediagnosed: 0 };
    const groups = await this.qualifyingGroups();
    const active = await activeSpikes(db.kysely);
    const key = (integrationId: string, orgId: string | null) => `${integrationId}|${orgId ?? ''}`;
    const activeByKey = new Map(active.map((s) => [key(s.integration_id, s.org_id), s]));
    const spikingOrgs = new Map<string, Set<string>>();
    for (const g of groups) {
      if (g.orgId === null) continue;
      const set = spikingOrgs.get(g.integrationId) ?? new Set<string>();
      set.add(g.orgId);
      spikingOrgs.set(g.integrationId, set);
    }

    for (const group of groups) {
      const integration = await findIntegrationById(db.kysely, group.integrationId);
      if (!integration) continue;
      // The failed operations behind this group (the whole-integration group leaves out the spiking orgs).
      const rows = await permanentFailures(db.kysely, group.integrationId, group.orgId ?? undefined, windowS, 20 * SPIKE_CONNECTION_IDS_MAX);
      const excluded = group.orgId === null ? (spikingOrgs.get(group.integrationId) ?? new Set<string>()) : new Set<string>();
      const own = rows.filter((r) => r.org_id === null || !excluded.has(r.org_id));
      const connectionIds = [...new Set(own.map((r) => r.connection_id))].slice(0, SPIKE_CONNECTION_IDS_MAX);
      const existing = activeByKey.get(key(group.integrationId, group.orgId));
      let spike: SpikeRow | undefined = existing;
      if (existing) {
        await touchSpike(db.kysely, existing.id, group.failures, connectionIds);
      } else {
        const code: DiagnosisCode = group.orgId !== null ? 'org_wide_revocation' : dominantCode(own.map((r) => r.diagnosis));
        const diagnosis = this.describe(code, integration);
        spike = await db.kysely.transaction().execute(async (trx) => {
          const opened = await openSpike(trx, {
            id: newRowId(),
            integrationId: group.integrationId,
            orgId: group.orgId,
            count: group.failures,
            connectionIds,
            diagnosisCode: code,
          });
          if (!opened) return undefined; // another instance opened it first
          await emitEvent(trx, {
            type: 'integration.failure_spike',
            integrationId: group.integrationId,
            data: {
              integration: integrationToApi(integration, this.ctx.config.publicUrl),
              org_id: group.orgId,
              count: group.failures,
              window_s: windowS,
              connection_ids: connectionIds.map((id) => toPublicId('connection', id)),
              diagnosis,
              spike_id: toPublicId('spike', opened.id),
            },
          });
          return opened;
        });
        if (spike) {
          summary.opened++;
          this.spikesTotal.inc({ integration: integration.key });
          this.ctx.log.warn(
            { integration: integration.key, org_id: group.orgId, count: group.failures, operations: group.operations },
            'failure spike',
          );
        }
      }
      if (group.orgId !== null && spike) summary.rediagnosed += await this.rediagnose(integration, group, connectionIds);
    }
    summary.ended = await endSubsidedSpikes(db.kysely, windowS);
    // IP refusals across orgs are re-explained on the same pass (not a spike: two orgs suffice).
    summary.rediagnosed += await rediagnoseIpBlocked(this.ctx);
    return summary;
  }

  /** The (integration, org) and (integration) groups over the thresholds now. */
  private async qualifyingGroups(): Promise<Group[]> {
    const { db } = this.ctx;
    const { windowS, minFailures, minRatio } = this.ctx.config.spikes;
    const byIntegration = new Map<string, { orgId: string | null; failures: number }[]>();
    for (const row of await permanentFailureGroups(db.kysely, windowS)) {
      if (!row.integration_id) continue;
      const list = byIntegration.get(row.integration_id) ?? [];
      list.push({ orgId: row.org_id, failures: Number(row.failures) });
      byIntegration.set(row.integration_id, list);
    }
    const qualifying: Group[] = [];
    for (const [integrationId, orgs] of byIntegration) {
      const failures = orgs.reduce((n, o) => n + o.failures, 0);
      if (failures < minFailures) continue;
      let restFailures = failures;
      let restOperations = await countOperations(db.kysely, integrationId, undefined, windowS);
      for (const org of orgs) {
        if (org.orgId === null || org.failures < minFailures) continue;
        const operations = await countOperations(db.kysely, integrationId, org.orgId, windowS);
        if (org.failures < minRatio * operations) continue;
        qualifying.push({ integrationId, orgId: org.orgId, failures: org.failures, operations });
        restFailures -= org.failures;
        restOperations -= operations;
      }
      // What the spiking orgs do not account for may still be a spike of the integration.
      if (restFailures >= minFailures && restFailures >= minRatio * restOperations) {
        qualifying.push({ integrationId, orgId: null, failures: restFailures, operations: restOperations });
      }
    }
    return qualifying;
  }

  /** Dead grants of an org spike whose diagnosis the spike overturns: updated, announced once each. */
  private async rediagnose(integration: IntegrationRow, group: Group, connectionIds: string[]): Promise<number> {
    const { ctx } = this;
    let changed = 0;
    const rows = await deadConnectionsIn(ctx.db.kysely, connectionIds);
    for (const row of rows) {
      const previous = row.diagnosis;
      if (!previous || !OVERTURNABLE.has(previous.code)) continue;
      const next = rediagnoseWithSpike(ctx, row, integration, { orgId: group.orgId, count: group.failures });
      if (next && (await announceNewDiagnosis(ctx, row, integration, previous, next))) changed++;
    }
    return changed;
  }

  /** The words for a spike's diagnosis (the whole card, as on a connection). */
  private describe(code: DiagnosisCode, integration: IntegrationRow): Diagnosis {
    const name = this.ctx.providers.describe(integration.provider)?.name ?? integration.provider;
    return describeDiagnosis(this.ctx.providers.module(integration.provider).diagnosisTexts, code, name, 'probable');
  }
}

/** The diagnosis most of a group's failures got (`revoked` when none was recorded). */
function dominantCode(codes: (string | null)[]): DiagnosisCode {
  const counts = new Map<string, number>();
  for (const code of codes) if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
  let best: string = 'revoked';
  let bestCount = 0;
  for (const [code, count] of counts) if (count > bestCount) [best, bestCount] = [code, count];
  return best as DiagnosisCode;
}

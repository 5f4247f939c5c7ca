// A dead grant re-explained by evidence from other grants (a spike in its org, IP refusals in
// other orgs): its diagnosis is replaced once, however many instances notice, and the change is
// announced with `connection.diagnosis_changed`.
import type { AppContext } from '../context.js';
import { replaceDiagnosis } from '../db/spikes/rediagnose.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import { emitConnectionEvent } from '../grants/connection-events.js';
import { reprobeDelayMs } from '../policy/schedule.js';
import { isAdminFixable } from './admin-fixable.js';

/** True when this call changed the diagnosis (false: unchanged, or recovered/re-explained meanwhile). */
export async function announceNewDiagnosis(
  ctx: AppContext,
  row: ConnectionRow,
  integration: IntegrationRow,
  previous: Pick<Diagnosis, 'code' | 'who_fixes'>,
  next: Diagnosis,
): Promise<boolean> {
  if (next.code === previous.code && next.who_fixes === previous.who_fixes) return false;
  const { scheduler } = ctx.config;
  const reprobeAt = isAdminFixable(next.code) ? new Date(Date.now() + reprobeDelayMs(row.reprobe_attempts, scheduler.reprobeBaseS, scheduler.reprobeMaxS)) : null;
  const done = await ctx.db.kysely.transaction().execute(async (trx) => {
    const updated = await replaceDiagnosis(trx, row.id, previous.code, next, reprobeAt);
    if (!updated) return false;
    await emitConnectionEvent(trx, 'connection.diagnosis_changed', updated, integration, { data: { diagnosis: next, previous_diagnosis_code: previous.code } });
    return true;
  });
  if (done) ctx.tokenCache.invalidate(row.id);
  return done;
}

import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/**
 * Connect sessions that expired `days` ago and whose flow, if one started, ended as long
 * ago (completed, or its state expired). Until then a late visit still gets "used" or
 * "expired" rather than "unknown link".
 */
export async function pruneConnectSessions(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('connect_sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('connect_sessions')
        .select('id')
        .where('expires_at', '<', daysAgo(days))
        .where((w) => w.or([w('used_at', 'is', null), w('completed_at', '<', daysAgo(days)), w('flow_expires_at', '<', daysAgo(days))]))
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

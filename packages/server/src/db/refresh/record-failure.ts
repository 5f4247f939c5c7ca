import { sql } from 'kysely';
import type { ConnectionStatus, LastError } from '../../domain/grants.js';
import type { ConnectionRow, Executor } from '../types.js';

export interface FailureWrite {
  /** The status to move to; the write is `WHERE status = $from`, so one transition commits once. */
  from: ConnectionStatus;
  to: ConnectionStatus;
  lastError: LastError;
  diagnosis: unknown;
  backoffUntil: Date | null;
  nextRefreshAt: Date | null;
  countFailure: boolean;
  reprobeAttempts?: number;
  outcomeUnknown: boolean;
  integrationError: boolean;
}

/** Records a failed refresh and releases the lease; undefined when the status moved meanwhile. */
export async function recordFailure(db: Executor, id: string, owner: string, f: FailureWrite): Promise<ConnectionRow | undefined> {
  return db
    .updateTable('connections')
    .set({
      status: f.to,
      last_error: JSON.stringify(f.lastError),
      diagnosis: JSON.stringify(f.diagnosis),
      backoff_until: f.backoffUntil,
      next_refresh_at: f.nextRefreshAt,
      consecutive_failures: f.countFailure ? sql`consecutive_failures + 1` : sql`consecutive_failures`,
      ...(f.reprobeAttempts !== undefined ? { reprobe_attempts: f.reprobeAttempts } : {}),
      ...(f.outcomeUnknown ? { outcome_unknown_at: sql`now()` } : {}),
      integration_error_at: f.integrationError ? sql`now()` : null,
      refresh_intent_id: null,
      lease_owner: sql`CASE WHEN lease_owner = ${owner} THEN NULL ELSE lease_owner END`,
      lease_expires_at: sql`CASE WHEN lease_owner = ${owner} THEN NULL ELSE lease_expires_at END`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', f.from)
    .returningAll()
    .executeTakeFirst();
}

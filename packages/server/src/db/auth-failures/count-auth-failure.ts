import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Counts one wrong key from `client` in its current window (a window starts with its first
 * failure and lasts `windowS`; a failure after it starts a new one). One statement, so
 * instances counting the same client at once never lose a failure.
 */
export async function countAuthFailure(db: Executor, client: string, windowS: number): Promise<{ failures: number; window_ends_at: Date }> {
  const result = await sql<{ failures: number; window_ends_at: Date }>`
    INSERT INTO auth_failures AS f (client, failures, window_started_at) VALUES (${client}, 1, now())
    ON CONFLICT (client) DO UPDATE SET
      failures = CASE WHEN f.window_started_at <= now() - ${windowS} * interval '1 second' THEN 1 ELSE f.failures + 1 END,
      window_started_at = CASE WHEN f.window_started_at <= now() - ${windowS} * interval '1 second' THEN now() ELSE f.window_started_at END
    RETURNING failures, window_started_at + ${windowS} * interval '1 second' AS window_ends_at`.execute(db);
  return result.rows[0]!;
}

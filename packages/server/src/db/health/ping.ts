import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** The cheapest round trip: resolves when the database answers, throws when it cannot. */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

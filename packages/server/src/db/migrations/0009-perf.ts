// Performance (issue 20): the per-minute refresh rollup is spread over shards. Every refresh
// of an integration used to bump ONE row (integration, minute, outcome), so concurrent
// commits queued on its row lock, each one for the other's WAL flush; a commit now bumps
// one of 16 shard rows picked at random, and readers sum over them as they already did.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE refresh_stats ADD COLUMN shard smallint NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE refresh_stats DROP CONSTRAINT refresh_stats_pkey`.execute(db);
  await sql`ALTER TABLE refresh_stats ADD PRIMARY KEY (integration_id, bucket, outcome, shard)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Shards fold back into shard 0 before the narrower key returns.
  await sql`
    WITH folded AS (DELETE FROM refresh_stats WHERE shard <> 0 RETURNING integration_id, bucket, outcome, count)
    INSERT INTO refresh_stats (integration_id, bucket, outcome, shard, count)
    SELECT integration_id, bucket, outcome, 0, sum(count) FROM folded GROUP BY 1, 2, 3
    ON CONFLICT (integration_id, bucket, outcome, shard) DO UPDATE SET count = refresh_stats.count + excluded.count`.execute(db);
  await sql`ALTER TABLE refresh_stats DROP CONSTRAINT refresh_stats_pkey`.execute(db);
  await sql`ALTER TABLE refresh_stats ADD PRIMARY KEY (integration_id, bucket, outcome)`.execute(db);
  await sql`ALTER TABLE refresh_stats DROP COLUMN shard`.execute(db);
}

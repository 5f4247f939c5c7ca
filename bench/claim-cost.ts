// The scheduler's claim statement (packages/server/src/db/scheduler/claim-due.ts) against
// 10,000 and 1,000,000 stored connections with 1 % due: its cost must follow what is due,
// not the table size. The 10k database is the same-run baseline of the 1M one.
//   node --import tsx bench/claim-cost.ts [--large]
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { claimDueQuery } from '../packages/server/src/db/scheduler/claim-due.js';
import { migrateToLatest } from '../packages/server/src/db/migrator.js';
import type { Database } from '../packages/server/src/db/schema.js';
import { bulkSeedConnections } from './lib/bulk-seed.js';
import { freshPostgres } from './lib/setup.js';
import { isMain, percentile, printResult, type BenchResult } from './lib/report.js';

/** The claim takes the refresh lease along; the defaults' values (40 s TTL, 60 s intent grace). */
const BENCH_LEASE = { ttlMs: 40_000, graceS: 60 };

async function measureClaims(rows: number, rounds: number): Promise<{ p50: number; p99: number; plan: string }> {
  const db = await freshPostgres();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(kysely);
    await bulkSeedConnections(db.url, rows, { duePercent: 1 });
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Each claim runs in a transaction that is rolled back, so every round sees the same due set.
      const started = performance.now();
      await kysely.transaction().execute(async (trx) => {
        await claimDueQuery(trx, 'bench', 100, 120, BENCH_LEASE).execute();
        throw new RollbackMarker();
      }).catch((e) => {
        if (!(e instanceof RollbackMarker)) throw e;
      });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const compiled = claimDueQuery(kysely, 'bench', 100, 120, BENCH_LEASE).compile();
    const explain = await kysely.transaction().execute(async (trx) => {
      const r = await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${compiled.sql.replace(/\$(\d+)/g, (_, n) => literal(compiled.parameters[Number(n) - 1]))}`).execute(trx);
      return r.rows.map((row) => row['QUERY PLAN']).join(' | ');
    });
    return { p50: percentile(times, 50), p99: percentile(times, 99), plan: explain };
  } finally {
    await kysely.destroy();
    await db.drop();
  }
}

class RollbackMarker extends Error {}

function literal(value: unknown): string {
  return typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
}

export async function runClaimCostBench(options: { large?: boolean } = {}): Promise<BenchResult> {
  const large = options.large ?? process.argv.includes('--large');
  const big = large ? 1_000_000 : 100_000;
  const small = await measureClaims(10_000, 200);
  const bigger = await measureClaims(big, 200);
  return {
    name: 'Scheduler claim cost',
    description: `The scheduler's claim (UPDATE … WHERE id IN (SELECT … WHERE next_refresh_at <= now() ORDER BY next_refresh_at LIMIT 100 FOR UPDATE SKIP LOCKED)) on PostgreSQL with 1 % of the connections due; 200 claims each, rolled back.`,
    baselineName: '10,000 connections',
    figures: [
      { label: `claim p50, ${big.toLocaleString('en-US')} connections`, value: bigger.p50, unit: 'ms', baseline: small.p50 },
      { label: `claim p99, ${big.toLocaleString('en-US')} connections`, value: bigger.p99, unit: 'ms', baseline: small.p99 },
    ],
    notes: [`plan (${big.toLocaleString('en-US')} rows): ${bigger.plan.replace(/\s+/g, ' ').slice(0, 400)}`],
    reproduce: `node --import tsx bench/claim-cost.ts${large ? ' --large' : ''}`,
  };
}

if (isMain(import.meta.url)) {
  printResult(await runClaimCostBench());
}

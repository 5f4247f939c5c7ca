// The scheduler sweep: N connections all due at once against the Salesforce emulator
// answering after 20 ms, with the integration limited to 500 refreshes a second. The rate
// limit bounds the wall time from below (N / max_per_s); the figures say how close the
// instances get to it, the peak rate the emulator saw in any one second (must not pass
// max_per_s by more than the bucket's tenth of a second), each instance's peak RSS, and the
// database round trips per refresh (`grantkeeper_db_statements_total`). The instances run as
// child processes (the emulator and the load stay in this one). Prints; asserts nothing.
//
//   node --import tsx bench/scheduler-sweep.ts [--count 10000] [--instances 1] [--max-per-s 500]
//        [--latency 20] [--concurrency 32]
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { startSalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { encryptSecret } from '../packages/server/src/crypto/envelope.js';
import { Keyring } from '../packages/server/src/crypto/keyring.js';
import type { Database } from '../packages/server/src/db/schema.js';
import { connectionSecretPlace as secretPlace } from '../packages/server/src/model/secret-places.js';
import { newRowId } from '../packages/server/src/model/ids.js';
import { grantkeeper, type Child } from './lib/processes.js';
import { api, BENCH_KEY, freshPostgres } from './lib/setup.js';
import { isMain, machine, printResult, verdict, type BenchResult } from './lib/report.js';

export interface SchedulerSweepOptions {
  count?: number;
  instances?: number;
  maxPerS?: number;
  latencyMs?: number;
  concurrency?: number;
}

export interface SchedulerSweepFigures {
  count: number;
  instances: number;
  maxPerS: number;
  wallS: number;
  boundS: number;
  achievedPerS: number;
  peakPerS: number;
  rateLimited: number;
  maxRssMiB: number;
  statementsPerRefresh: number;
  seedS: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `grantkeeper_db_statements_total` of one instance. */
async function statementsOf(server: Child): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^grantkeeper_db_statements_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Runs the sweep and returns its figures (also as a printable result). */
export async function runSchedulerSweep(options: SchedulerSweepOptions = {}): Promise<{ figures: SchedulerSweepFigures; result: BenchResult }> {
  const count = options.count ?? Number(arg('--count') ?? 10_000);
  const instances = options.instances ?? Number(arg('--instances') ?? 1);
  const maxPerS = options.maxPerS ?? Number(arg('--max-per-s') ?? 500);
  const latencyMs = options.latencyMs ?? Number(arg('--latency') ?? 20);
  const concurrency = options.concurrency ?? Number(arg('--concurrency') ?? 32);

  const emu = await startSalesforceEmulator({ port: 0 });
  const pgdb = await freshPostgres();
  const keySpec = Keyring.format([Keyring.generateKey('bench')]);
  const keyring = Keyring.parse(keySpec);
  const env = {
    GRANTKEEPER_DATABASE_URL: pgdb.url,
    GRANTKEEPER_SECRET_KEY: BENCH_KEY,
    GRANTKEEPER_ENCRYPTION_KEYS: keySpec,
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '200',
    GRANTKEEPER_SCHEDULER_CONCURRENCY: String(concurrency),
    GRANTKEEPER_SCHEDULER_BATCH_SIZE: String(Math.min(500, concurrency * 2)),
  };
  const servers: Child[] = [];
  const pool = new pg.Pool({ connectionString: pgdb.url, max: 2 });
  pool.on('error', () => {}); // an idle client cut off when the database is dropped
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const maxRss = new Map<Child, number>();
  const rssTimer = setInterval(() => {
    for (const s of servers) maxRss.set(s, Math.max(maxRss.get(s) ?? 0, s.rssMb()));
  }, 250);
  try {
    servers.push(await grantkeeper(env)); // the first one migrates
    for (let i = 1; i < instances; i++) servers.push(await grantkeeper(env));
    const clientId = `3MVG9sweep${Date.now()}`;
    const clientSecret = `sweep-${randomBytes(8).toString('hex')}`;
    emu.createApp({ clientId, clientSecret, callbackUrls: ['http://localhost/cb'] });
    await api(servers[0]!.url, 'POST', '/v1/integrations', {
      key: 'sweep', provider: 'salesforce', client_id: clientId, client_secret: clientSecret, auth_base_url: emu.url, refresh: { max_per_s: maxPerS },
    });
    const integration = await db.selectFrom('integrations').select('id').where('key', '=', 'sweep').executeTakeFirstOrThrow();

    // Seed: grants the emulator issued (at most 4 per user: Salesforce keeps 5 per user and app),
    // written straight into the table, encrypted like an import does, not yet due.
    const seedStarted = performance.now();
    const far = new Date(Date.now() + 86_400_000);
    for (let offset = 0; offset < count; offset += 500) {
      const rows = [];
      for (let i = offset; i < Math.min(count, offset + 500); i++) {
        if (i % 4 === 0) emu.createUser({ username: `sweep${i / 4}@example.com` });
        const tokens = emu.issueTokens({ clientId, username: `sweep${Math.floor(i / 4)}@example.com` });
        const id = newRowId();
        rows.push({
          id,
          integration_id: integration.id,
          end_user_id: `sweep-${i}`,
          refresh_token_enc: encryptSecret(keyring, String(tokens.refresh_token), secretPlace(id, 'refresh_token_enc')),
          instance_url: String(tokens.instance_url),
          next_refresh_at: far,
        });
      }
      await db.insertInto('connections').values(rows).execute();
    }
    const seedS = (performance.now() - seedStarted) / 1000;
    emu.setLatency(latencyMs);
    emu.resetStats();
    for (const s of servers) maxRss.set(s, s.rssMb());

    const statementsBefore = await Promise.all(servers.map(statementsOf));
    // Wall time in database time: from the statement that makes every row due to the last commit.
    const start = await sql<{ at: Date }>`UPDATE connections SET next_refresh_at = now() RETURNING now() AS at`.execute(db);
    const startedAt = start.rows[0]!.at.getTime();
    const started = performance.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const done = await sql<{ n: number }>`SELECT count(*)::int AS n FROM connections WHERE last_refreshed_at IS NOT NULL`.execute(db);
      const n = done.rows[0]!.n;
      process.stderr.write(`\r  refreshed ${n} / ${count} after ${((performance.now() - started) / 1000).toFixed(0)} s   `);
      if (n >= count) break;
    }
    process.stderr.write('\n');
    const last = await sql<{ at: Date }>`SELECT max(last_refreshed_at) AS at FROM connections`.execute(db);
    const wallS = (last.rows[0]!.at.getTime() - startedAt) / 1000;
    const statementsAfter = await Promise.all(servers.map(statementsOf));
    const statements = statementsAfter.reduce((sum, n, i) => sum + n - statementsBefore[i]!, 0);
    const stats = emu.stats();
    const figures: SchedulerSweepFigures = {
      count,
      instances,
      maxPerS,
      wallS,
      boundS: count / maxPerS,
      achievedPerS: count / wallS,
      peakPerS: stats.peak_refreshes_per_s,
      rateLimited: stats.rate_limited,
      maxRssMiB: Math.max(...servers.map((s) => maxRss.get(s) ?? 0)),
      statementsPerRefresh: statements / count,
      seedS,
    };
    const label = instances === 1 ? 'one instance' : `${instances} instances`;
    const result: BenchResult = {
      name: `Scheduler sweep, ${count.toLocaleString('en-US')} due, ${label}`,
      description: `${count.toLocaleString('en-US')} connections due at once, ${label} on PostgreSQL, emulator latency ${latencyMs} ms, max_per_s ${maxPerS}, concurrency ${concurrency} per instance. ${machine()}`,
      baselineName: 'the rate-limit bound',
      figures: [
        { label: 'achieved refreshes per second', value: figures.achievedPerS, unit: '/s', baseline: maxPerS },
        { label: 'wall time', value: wallS, unit: 's', baseline: figures.boundS },
        { label: 'peak refreshes in one emulator second', value: figures.peakPerS, unit: '/s', baseline: maxPerS },
        { label: 'max RSS of one instance', value: figures.maxRssMiB, unit: 'MiB' },
        { label: 'database round trips per refresh', value: figures.statementsPerRefresh, unit: 'statements' },
        { label: 'seeding', value: seedS, unit: 's' },
      ],
      notes: [
        'Round trips: every statement the instances sent during the sweep (their background workers included), divided by the refreshes.',
        'Peak: the most refreshes the emulator saw in one of its seconds; the shared bucket holds a tenth of a second of tokens, so a second can see up to 1.1 × max_per_s by design.',
      ],
      summary: [
        `Sweep ${count.toLocaleString('en-US')} due, ${label}: ${((figures.achievedPerS / maxPerS) * 100).toFixed(0)} % of the rate bound (goal ≥ 90 %) — ${verdict(figures.achievedPerS >= 0.9 * maxPerS)}`,
        `Sweep ${count.toLocaleString('en-US')} due, ${label}: peak ${figures.peakPerS}/s against max_per_s ${maxPerS} (goal: never above it, with the bucket's 10 % burst) — ${verdict(figures.peakPerS <= maxPerS * 1.1)}`,
        `Sweep ${count.toLocaleString('en-US')} due, ${label}: max RSS ${figures.maxRssMiB.toFixed(0)} MiB per instance (goal ≤ 256 MiB) — ${verdict(figures.maxRssMiB <= 256)}`,
        `Sweep ${count.toLocaleString('en-US')} due, ${label}: ${figures.statementsPerRefresh.toFixed(2)} database round trips per refresh (goal ≤ 4) — ${verdict(figures.statementsPerRefresh <= 4)}`,
      ],
      reproduce: `node --import tsx bench/scheduler-sweep.ts --count ${count} --instances ${instances} --max-per-s ${maxPerS} --latency ${latencyMs} --concurrency ${concurrency}`,
    };
    return { figures, result };
  } finally {
    clearInterval(rssTimer);
    await Promise.all(servers.map((s) => s.stop()));
    await db.destroy();
    await emu.close();
    await pgdb.drop();
  }
}

if (isMain(import.meta.url)) {
  const { result } = await runSchedulerSweep();
  printResult(result);
}

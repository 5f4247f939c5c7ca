// The scheduler sweep: N connections all due at once (100,000 by default) against the
// Salesforce emulator answering after 20 ms, with the integration limited to 500 refreshes
// a second. The rate limit bounds the wall time from below (N / max_per_s = 200 s); the
// figures say how close one instance gets, the peak rate the emulator saw (must stay near
// max_per_s), and the process RSS. Prints figures; asserts nothing. Not part of CI.
//
//   node --import tsx bench/scheduler-sweep.ts [--count 100000] [--max-per-s 500] [--latency 20]
//        [--concurrency 32] [--backend postgres|pglite]
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { startSalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { loadConfig } from '../packages/server/src/config.js';
import { Keyring } from '../packages/server/src/crypto/keyring.js';
import { encryptSecret } from '../packages/server/src/crypto/envelope.js';
import { createLogger } from '../packages/server/src/log.js';
import { connectionSecretPlace as secretPlace } from '../packages/server/src/model/secret-places.js';
import { newRowId } from '../packages/server/src/model/ids.js';
import { startServer } from '../packages/server/src/server.js';
import { BENCH_KEY, freshDataDir, freshPostgres } from './lib/setup.js';
import { countStatements } from './lib/statement-counter.js';
import { isMain, machine, printResult, type BenchResult } from './lib/report.js';

export interface SchedulerSweepOptions {
  count?: number;
  maxPerS?: number;
  latencyMs?: number;
  concurrency?: number;
  backend?: 'postgres' | 'pglite';
}

export interface SchedulerSweepFigures {
  count: number;
  maxPerS: number;
  wallS: number;
  boundS: number;
  achievedPerS: number;
  peakPerS: number;
  rateLimited: number;
  maxRssMiB: number;
  seedS: number;
  statementsPerRefresh: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** Runs the sweep and returns its figures (also as a printable result). */
export async function runSchedulerSweep(options: SchedulerSweepOptions = {}): Promise<{ figures: SchedulerSweepFigures; result: BenchResult }> {
  const count = options.count ?? Number(arg('--count') ?? 100_000);
  const maxPerS = options.maxPerS ?? Number(arg('--max-per-s') ?? 500);
  const latencyMs = options.latencyMs ?? Number(arg('--latency') ?? 20);
  const concurrency = options.concurrency ?? Number(arg('--concurrency') ?? 32);
  const backend = options.backend ?? ((arg('--backend') as 'postgres' | 'pglite' | undefined) ?? 'postgres');

  const emu = await startSalesforceEmulator({ port: 0 });
  const pgdb = backend === 'postgres' ? await freshPostgres() : null;
  const keys = Keyring.format([Keyring.generateKey('bench')]);
  const config = loadConfig({
    GRANTKEEPER_PORT: '0',
    GRANTKEEPER_SECRET_KEY: BENCH_KEY,
    GRANTKEEPER_ENCRYPTION_KEYS: keys,
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    GRANTKEEPER_LOG_LEVEL: 'warn',
    // Nothing is due while seeding; the sweep starts when the rows are made due.
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '200',
    GRANTKEEPER_SCHEDULER_CONCURRENCY: String(concurrency),
    GRANTKEEPER_SCHEDULER_BATCH_SIZE: String(Math.min(500, concurrency * 2)),
    ...(pgdb ? { GRANTKEEPER_DATABASE_URL: pgdb.url } : { GRANTKEEPER_DATA_DIR: freshDataDir() }),
  });
  const server = await startServer({ config, logger: createLogger('warn') });
  const db = server.ctx.db.kysely;
  let maxRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 250);
  try {
    const clientId = `3MVG9sweep${Date.now()}`;
    const clientSecret = `sweep-${randomBytes(8).toString('hex')}`;
    emu.createApp({ clientId, clientSecret, callbackUrls: ['http://localhost/cb'] });
    const res = await fetch(`${server.url}/v1/integrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'sweep', provider: 'salesforce', client_id: clientId, client_secret: clientSecret, auth_base_url: emu.url, refresh: { max_per_s: maxPerS } }),
    });
    if (res.status !== 201) throw new Error(`integration: ${res.status} ${await res.text()}`);
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
          refresh_token_enc: encryptSecret(server.ctx.keyring, String(tokens.refresh_token), secretPlace(id, 'refresh_token_enc')),
          instance_url: String(tokens.instance_url),
          next_refresh_at: far,
        });
      }
      await db.insertInto('connections').values(rows).execute();
    }
    const seedS = (performance.now() - seedStarted) / 1000;
    emu.setLatency(latencyMs);
    emu.resetStats();

    const statements = countStatements(server.ctx.db.pool);
    const started = performance.now();
    await sql`UPDATE connections SET next_refresh_at = now()`.execute(db);
    let progressQueries = 1;
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      progressQueries++;
      const done = await sql<{ n: number }>`SELECT count(*)::int AS n FROM connections WHERE last_refreshed_at IS NOT NULL`.execute(db);
      const n = done.rows[0]!.n;
      if (n !== last) process.stderr.write(`\r  refreshed ${n} / ${count} after ${((performance.now() - started) / 1000).toFixed(0)} s   `);
      last = n;
      if (n >= count) break;
    }
    process.stderr.write('\n');
    // The progress query above is the bench's own, one a second: not the refreshes'.
    const statementsPerRefresh = (statements.count - progressQueries) / count;
    const wallS = (performance.now() - started) / 1000;
    const stats = emu.stats();
    const figures: SchedulerSweepFigures = {
      count,
      maxPerS,
      wallS,
      boundS: count / maxPerS,
      achievedPerS: count / wallS,
      peakPerS: stats.peak_refreshes_per_s,
      rateLimited: stats.rate_limited,
      maxRssMiB: maxRss / 2 ** 20,
      seedS,
      statementsPerRefresh,
    };
    const result: BenchResult = {
      name: 'Scheduler sweep',
      description: `${count.toLocaleString('en-US')} connections due at once, one instance (${backend}), emulator latency ${latencyMs} ms, max_per_s ${maxPerS}, concurrency ${concurrency}. ${machine()}`,
      figures: [
        { label: 'wall time', value: wallS, unit: 's' },
        { label: 'rate-limit bound (count / max_per_s)', value: figures.boundS, unit: 's' },
        { label: 'achieved refreshes per second', value: figures.achievedPerS, unit: '/s' },
        { label: 'peak refreshes in one emulator second', value: figures.peakPerS, unit: '/s' },
        { label: 'max RSS (server + emulator, one process)', value: figures.maxRssMiB, unit: 'MiB' },
        { label: 'database round trips per refresh', value: statementsPerRefresh, unit: 'statements' },
        { label: 'seeding', value: seedS, unit: 's' },
      ],
      notes: ['The emulator runs in the same process as the server, so RSS and CPU include both.'],
      reproduce: `node --import tsx bench/scheduler-sweep.ts --count ${count} --max-per-s ${maxPerS} --latency ${latencyMs} --concurrency ${concurrency} --backend ${backend}`,
    };
    return { figures, result };
  } finally {
    clearInterval(rssTimer);
    await server.close();
    await emu.close();
    await pgdb?.drop();
  }
}

if (isMain(import.meta.url)) {
  const { result } = await runSchedulerSweep();
  printResult(result);
}

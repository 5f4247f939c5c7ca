// Memory of one instance serving the token fast path while PostgreSQL holds 1,000,000
// connections (--large; 100,000 otherwise), next to the same instance on a database
// holding only the connections it serves.
//   node --import tsx bench/rss.ts [--large]
import { bulkSeedConnections } from './lib/bulk-seed.js';
import { load } from './lib/load.js';
import { grantkeeper } from './lib/processes.js';
import { BENCH_KEY, encryptionKeys, freshPostgres, seedValidConnections } from './lib/setup.js';
import { isMain, printResult, type BenchResult } from './lib/report.js';

async function serveAndMeasure(stored: number): Promise<{ rssMb: number; rps: number }> {
  const db = await freshPostgres();
  const env = { GRANTKEEPER_DATABASE_URL: db.url, GRANTKEEPER_SECRET_KEY: BENCH_KEY, GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys() };
  let server = await grantkeeper(env); // migrates
  try {
    if (stored > 0) {
      await server.stop();
      await bulkSeedConnections(db.url, stored);
      server = await grantkeeper(env);
    }
    const ids = await seedValidConnections(server.url, 50);
    const result = await load(server.url, ids.map((id) => `/v1/connections/${id}/token`), {
      connections: 50,
      durationS: 10,
      headers: { authorization: `Bearer ${BENCH_KEY}` },
    });
    return { rssMb: server.rssMb(), rps: result.rps };
  } finally {
    await server.stop();
    await db.drop();
  }
}

export async function runRssBench(options: { large?: boolean } = {}): Promise<BenchResult> {
  const large = options.large ?? process.argv.includes('--large');
  const rows = large ? 1_000_000 : 100_000;
  const baseline = await serveAndMeasure(0);
  const loaded = await serveAndMeasure(rows);
  return {
    name: 'Memory of one instance',
    description: `One instance serving the token fast path (50 connections, 50 keep-alive clients, 10 s) while PostgreSQL holds ${rows.toLocaleString('en-US')} connections.`,
    baselineName: 'the same instance, database holding only the 50',
    figures: [
      { label: 'resident memory after the run', value: loaded.rssMb, unit: 'MB', baseline: baseline.rssMb },
      { label: 'throughput during the run', value: loaded.rps, unit: 'req/s', baseline: baseline.rps },
    ],
    reproduce: `node --import tsx bench/rss.ts${large ? ' --large' : ''}`,
  };
}

if (isMain(import.meta.url)) {
  printResult(await runRssBench());
}

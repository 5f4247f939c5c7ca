// The token fast path: GET /v1/connections/{id}/token on valid tokens, 50 keep-alive
// connections, on PGlite and on PostgreSQL (1 and 3 instances), next to a bare Fastify
// route answering the same shape in the same run.
//   node --import tsx bench/fast-path.ts [--duration 10]
import { BENCH_KEY, encryptionKeys, freshDataDir, freshPostgres, seedValidConnections } from './lib/setup.js';
import { load, type LoadResult } from './lib/load.js';
import { bareFastify, grantkeeper } from './lib/processes.js';
import { isMain, printResult, type BenchResult } from './lib/report.js';

function durationS(): number {
  const i = process.argv.indexOf('--duration');
  return i > 0 ? Number(process.argv[i + 1]) : 10;
}

const AUTH = { authorization: `Bearer ${BENCH_KEY}` };

async function measure(url: string, ids: string[], seconds: number): Promise<LoadResult> {
  const paths = ids.map((id) => `/v1/connections/${id}/token`);
  await load(url, paths, { connections: 50, durationS: 2, headers: AUTH }); // warm-up
  return load(url, paths, { connections: 50, durationS: seconds, headers: AUTH });
}

export async function runFastPathBench(options: { seconds?: number; instances3?: boolean } = {}): Promise<BenchResult> {
  const seconds = options.seconds ?? durationS();
  // The baseline is measured right before each configuration, so a busy moment on the
  // machine skews both sides alike.
  const bare = await bareFastify();
  const baselineNow = () => measure(bare.url, ['x'], seconds);

  const results: { label: string; r: LoadResult; rss: number; base: LoadResult }[] = [];
  // Embedded PGlite.
  const lite = await grantkeeper({ GRANTKEEPER_DATA_DIR: freshDataDir(), GRANTKEEPER_SECRET_KEY: BENCH_KEY });
  const liteIds = await seedValidConnections(lite.url, 50);
  let base = await baselineNow();
  results.push({ label: 'PGlite, 1 instance', base, r: await measure(lite.url, liteIds, seconds), rss: lite.rssMb() });
  await lite.stop();

  // PostgreSQL.
  const db = await freshPostgres();
  const env = { GRANTKEEPER_DATABASE_URL: db.url, GRANTKEEPER_SECRET_KEY: BENCH_KEY, GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys() };
  const first = await grantkeeper(env);
  const pgIds = await seedValidConnections(first.url, 50);
  base = await baselineNow();
  results.push({ label: 'PostgreSQL, 1 instance', base, r: await measure(first.url, pgIds, seconds), rss: first.rssMb() });
  if (options.instances3 ?? true) {
    const others = [await grantkeeper(env), await grantkeeper(env)];
    const all = [first, ...others];
    const paths = pgIds.map((id) => `/v1/connections/${id}/token`);
    base = await baselineNow();
    const per = await Promise.all(all.map((s) => load(s.url, paths, { connections: 17, durationS: seconds, headers: AUTH })));
    const combined: LoadResult = {
      rps: per.reduce((a, r) => a + r.rps, 0),
      p50: Math.max(...per.map((r) => r.p50)),
      p99: Math.max(...per.map((r) => r.p99)),
      errors: per.reduce((a, r) => a + r.errors, 0),
      non2xx: per.reduce((a, r) => a + r.non2xx, 0),
      total: per.reduce((a, r) => a + r.total, 0),
    };
    results.push({ label: 'PostgreSQL, 3 instances (51 connections)', base, r: combined, rss: all.reduce((a, s) => a + s.rssMb(), 0) / 3 });
    await Promise.all(others.map((s) => s.stop()));
  }
  await first.stop();
  await db.drop();
  await bare.stop();

  const figures = results.flatMap(({ label, r, base }) => [
    { label: `${label}: throughput`, value: r.rps, unit: 'req/s', baseline: base.rps },
    { label: `${label}: p50 latency`, value: r.p50, unit: 'ms', baseline: base.p50 },
    { label: `${label}: p99 latency`, value: r.p99, unit: 'ms', baseline: base.p99 },
  ]);
  const errors = results.map(({ label, r }) => `${label}: ${r.total.toLocaleString('en-US')} requests, ${r.non2xx} non-2xx, ${r.errors} errors; server RSS ${r && results.find((x) => x.label === label)!.rss.toFixed(0)} MB`);
  return {
    name: 'Token fast path',
    description: `GET /v1/connections/{id}/token over 50 valid tokens, 50 keep-alive connections (autocannon), ${seconds} s per run, server in its own process, load generator on the same 2 cores; the bare route is measured right before each configuration.`,
    baselineName: 'bare Fastify JSON route',
    figures,
    notes: [
      ...errors,
      `Ratio to the bare route measured just before it: ${results.map(({ label, r, base }) => `${label} ${(100 * r.rps / base.rps).toFixed(0)} %`).join(', ')}.`,
    ],
    reproduce: 'node --import tsx bench/fast-path.ts --duration 10',
  };
}

if (isMain(import.meta.url)) {
  printResult(await runFastPathBench());
}

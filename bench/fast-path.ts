// The token fast path: GET /v1/connections/{id}/token on valid tokens, 50 keep-alive
// connections, on PGlite and on PostgreSQL (1 and 3 instances), next to a bare Fastify
// route answering the same shape in the same run. On one instance, the admin key
// (GRANTKEEPER_SECRET_KEY) and a scoped key (`tokens:read`, limited to the one integration)
// are measured in turns — admin, scoped, scoped, admin, twice — so drift on a shared machine
// falls on both alike.
//   node --import tsx bench/fast-path.ts [--duration 10]
import { api, BENCH_KEY, encryptionKeys, freshDataDir, freshPostgres, seedValidConnections } from './lib/setup.js';
import { load, type LoadResult } from './lib/load.js';
import { bareFastify, grantkeeper } from './lib/processes.js';
import { isMain, printResult, verdict, type BenchResult } from './lib/report.js';

function durationS(): number {
  const i = process.argv.indexOf('--duration');
  return i > 0 ? Number(process.argv[i + 1]) : 10;
}

const AUTH = { authorization: `Bearer ${BENCH_KEY}` };

async function measure(url: string, ids: string[], seconds: number, headers: Record<string, string> = AUTH): Promise<LoadResult> {
  const paths = ids.map((id) => `/v1/connections/${id}/token`);
  await load(url, paths, { connections: 50, durationS: 2, headers }); // warm-up
  return load(url, paths, { connections: 50, durationS: seconds, headers });
}

const mean = (runs: LoadResult[]): LoadResult => ({
  rps: runs.reduce((a, r) => a + r.rps, 0) / runs.length,
  p50: runs.reduce((a, r) => a + r.p50, 0) / runs.length,
  p99: runs.reduce((a, r) => a + r.p99, 0) / runs.length,
  errors: runs.reduce((a, r) => a + r.errors, 0),
  non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
  total: runs.reduce((a, r) => a + r.total, 0),
});

/** The admin key and a `tokens:read` key limited to the seeded integration, in turns (ABBA, twice). */
async function adminAndScoped(url: string, ids: string[], seconds: number): Promise<{ admin: LoadResult; scoped: LoadResult }> {
  const integration = (await api(url, 'GET', `/v1/connections/${ids[0]}`)).integration as string;
  const key = await api(url, 'POST', '/v1/api-keys', { name: 'bench scoped', scopes: ['tokens:read'], integrations: [integration] });
  const scopedAuth = { authorization: `Bearer ${key.secret as string}` };
  // A longer warm-up first, so neither key runs on a colder server than the other.
  await load(url, ids.map((id) => `/v1/connections/${id}/token`), { connections: 50, durationS: 5, headers: AUTH });
  const admin: LoadResult[] = [];
  const scoped: LoadResult[] = [];
  for (let round = 0; round < 2; round++) {
    admin.push(await measure(url, ids, seconds));
    scoped.push(await measure(url, ids, seconds, scopedAuth));
    scoped.push(await measure(url, ids, seconds, scopedAuth));
    admin.push(await measure(url, ids, seconds));
  }
  return { admin: mean(admin), scoped: mean(scoped) };
}

export async function runFastPathBench(options: { seconds?: number; instances3?: boolean } = {}): Promise<BenchResult> {
  const seconds = options.seconds ?? durationS();
  // The baseline is measured right before each configuration, so a busy moment on the
  // machine skews both sides alike.
  const bare = await bareFastify();
  const baselineNow = () => measure(bare.url, ['x'], seconds);

  const results: { label: string; r: LoadResult; rss: number; base: LoadResult }[] = [];
  const scopedRatios: string[] = [];
  const withScoped = async (label: string, url: string, ids: string[], rss: () => number) => {
    const base = await baselineNow();
    const { admin, scoped } = await adminAndScoped(url, ids, seconds);
    results.push({ label: `${label}, admin key`, base, r: admin, rss: rss() });
    results.push({ label: `${label}, scoped key`, base, r: scoped, rss: rss() });
    scopedRatios.push(`${label} ${(100 * scoped.rps / admin.rps).toFixed(1)} %`);
  };
  // Embedded PGlite.
  const lite = await grantkeeper({ GRANTKEEPER_DATA_DIR: freshDataDir(), GRANTKEEPER_SECRET_KEY: BENCH_KEY });
  const liteIds = await seedValidConnections(lite.url, 50);
  await withScoped('PGlite, 1 instance', lite.url, liteIds, () => lite.rssMb());
  await lite.stop();

  // PostgreSQL.
  const db = await freshPostgres();
  const env = { GRANTKEEPER_DATABASE_URL: db.url, GRANTKEEPER_SECRET_KEY: BENCH_KEY, GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys() };
  const first = await grantkeeper(env);
  const pgIds = await seedValidConnections(first.url, 50);
  await withScoped('PostgreSQL, 1 instance', first.url, pgIds, () => first.rssMb());
  if (options.instances3 ?? true) {
    const others = [await grantkeeper(env), await grantkeeper(env)];
    const all = [first, ...others];
    const paths = pgIds.map((id) => `/v1/connections/${id}/token`);
    const base = await baselineNow();
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
    description: `GET /v1/connections/{id}/token over 50 valid tokens, 50 keep-alive connections (autocannon), ${seconds} s per run, server in its own process, load generator on the same 2 cores; the bare route is measured right before each configuration. On one instance, the admin key and a scoped key (tokens:read, limited to the integration) run in turns, admin–scoped–scoped–admin twice, each figure the mean of its four runs.`,
    baselineName: 'bare Fastify JSON route',
    figures,
    notes: [
      ...errors,
      `Ratio to the bare route measured just before it: ${results.map(({ label, r, base }) => `${label} ${(100 * r.rps / base.rps).toFixed(0)} %`).join(', ')}.`,
      `Scoped key's throughput as a share of the admin key's, same run: ${scopedRatios.join(', ')}.`,
    ],
    summary: [
      ...results.map(({ label, r, base }) => `Fast path, ${label}: ${(100 * r.rps / base.rps).toFixed(0)} % of the bare route (goal ≥ 90 %) — ${verdict(r.rps >= 0.9 * base.rps)}`),
      ...results
        .filter(({ label }) => label.startsWith('PGlite'))
        .map(({ label, rss }) => `Embedded RSS under the fast path, ${label}: ${rss.toFixed(0)} MB (goal ≤ 300 MB) — ${verdict(rss <= 300)}`),
    ],
    reproduce: 'node --import tsx bench/fast-path.ts --duration 10',
  };
}

if (isMain(import.meta.url)) {
  printResult(await runFastPathBench());
}

// The dashboard at scale: 100k connections on PostgreSQL (bulk INSERT … SELECT
// generate_series), time to first byte and to the full response of the connections page
// and the list API — first page and a deep page via a keyset cursor, unfiltered and
// filtered — next to a trivial route (/healthz) of the same server in the same run.
//   node --import tsx bench/connections-page.ts [--connections 100000] [--samples 40]
import { Agent, request } from 'node:http';
import pg from 'pg';
import { encodeCursor } from '../packages/server/src/db/pagination.js';
import { BENCH_KEY, api, encryptionKeys, freshPostgres } from './lib/setup.js';
import { grantkeeper } from './lib/processes.js';
import { isMain, percentile, printResult, type BenchResult, type Figure } from './lib/report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Timing {
  ttfbP50: number;
  ttfbP95: number;
  totalP50: number;
  bytes: number;
  status: number;
}

/** Sequential GETs over one keep-alive socket: time to the response head and to its end. */
async function time(baseUrl: string, path: string, headers: Record<string, string>, samples: number): Promise<Timing> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(baseUrl);
  const once = () =>
    new Promise<{ ttfb: number; total: number; bytes: number; status: number }>((resolve, reject) => {
      const started = performance.now();
      const req = request({ agent, host: target.hostname, port: target.port, path, headers }, (res) => {
        const ttfb = performance.now() - started;
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ ttfb, total: performance.now() - started, bytes, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 5; i++) await once(); // warm-up: JIT, plan cache, buffers
  const runs = [];
  for (let i = 0; i < samples; i++) runs.push(await once());
  agent.destroy();
  const ttfb = runs.map((r) => r.ttfb).sort((a, b) => a - b);
  const total = runs.map((r) => r.total).sort((a, b) => a - b);
  return { ttfbP50: percentile(ttfb, 50), ttfbP95: percentile(ttfb, 95), totalP50: percentile(total, 50), bytes: runs[0]!.bytes, status: runs[runs.length - 1]!.status };
}

export async function runConnectionsPageBench(options: { connections?: number; samples?: number } = {}): Promise<BenchResult> {
  const count = options.connections ?? arg('connections', 100_000);
  const samples = options.samples ?? arg('samples', 40);
  const db = await freshPostgres();
  const server = await grantkeeper({
    GRANTKEEPER_DATABASE_URL: db.url,
    GRANTKEEPER_SECRET_KEY: BENCH_KEY,
    GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys(),
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
  });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    for (const key of ['bench-main', 'bench-other']) {
      await api(server.url, 'POST', '/v1/integrations', { key, provider: 'salesforce', client_id: `${key}-client`, client_secret: `${key}-secret`, auth_base_url: 'https://login.salesforce.com' });
    }
    const ids = (await client.query<{ id: string; key: string }>('SELECT id, key FROM integrations ORDER BY key')).rows;
    const main = ids.find((r) => r.key === 'bench-main')!.id;
    const other = ids.find((r) => r.key === 'bench-other')!.id;

    // 100k connections in one statement: 4 in 5 on the main integration, 1 in 50 dead,
    // 1 in 20 failing, 200 Salesforce orgs, one second apart in creation time.
    const seedStart = performance.now();
    await client.query(
      `INSERT INTO connections (id, integration_id, end_user_id, status, org_id, user_id, instance_url, scopes, created_at, updated_at)
       SELECT gen_random_uuid(),
              CASE WHEN g % 5 = 0 THEN $2::uuid ELSE $1::uuid END,
              'bench-user-' || g,
              CASE WHEN g % 50 = 0 THEN 'needs_reauth' WHEN g % 20 = 0 THEN 'refresh_failing' ELSE 'active' END,
              '00D' || lpad((g % 200)::text, 15, '0'),
              '005' || lpad(g::text, 15, '0'),
              'https://bench.my.salesforce.com',
              '["api","refresh_token"]'::jsonb,
              now() - make_interval(secs => g),
              now()
       FROM generate_series(1, $3::int) AS g`,
      [main, other, count],
    );
    // A week of per-minute refresh outcomes for the chart (the rollup the engine keeps).
    await client.query(
      `INSERT INTO refresh_stats (integration_id, bucket, outcome, count)
       SELECT i, date_trunc('minute', now()) - make_interval(mins => m), o, 1 + (m % 7)
       FROM unnest(ARRAY[$1::uuid, $2::uuid]) AS i, generate_series(0, 7 * 1440 - 1) AS m, unnest(ARRAY['success', 'transient_error']) AS o`,
      [main, other],
    );
    await client.query('VACUUM ANALYZE connections');
    await client.query('VACUUM ANALYZE refresh_stats');
    const seedMs = performance.now() - seedStart;

    // Deep cursors: the keyset position 90% of the way through each listing.
    const cursorAt = async (where: string, params: unknown[], offset: number) => {
      const row = (await client.query<{ created_at: Date; id: string }>(`SELECT created_at, id FROM connections ${where} ORDER BY created_at DESC, id DESC OFFSET ${offset} LIMIT 1`, params)).rows[0]!;
      return encodeURIComponent(encodeCursor({ createdAt: row.created_at, id: row.id }));
    };
    const deep = await cursorAt('', [], Math.floor(count * 0.9));
    const deepMain = await cursorAt('WHERE integration_id = $1', [main], Math.floor(count * 0.8 * 0.9));
    const deepDead = await cursorAt("WHERE status = 'needs_reauth'", [], Math.floor((count / 50) * 0.9));

    const login = await fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: BENCH_KEY }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const apiHeaders = { authorization: `Bearer ${BENCH_KEY}` };
    const uiHeaders = { cookie };

    const baseline = await time(server.url, '/healthz', {}, samples);
    const targets: [string, string, Record<string, string>][] = [
      ['list API, first page', '/v1/connections?limit=50', apiHeaders],
      ['list API, deep page (90%)', `/v1/connections?limit=50&cursor=${deep}`, apiHeaders],
      ['list API, integration, deep page', `/v1/connections?limit=50&integration=bench-main&cursor=${deepMain}`, apiHeaders],
      ['list API, needs_reauth, deep page', `/v1/connections?limit=50&status=needs_reauth&cursor=${deepDead}`, apiHeaders],
      ['list API, one org', '/v1/connections?limit=50&org_id=00D000000000000042', apiHeaders],
      ['list API, one end user', '/v1/connections?limit=50&end_user_id=bench-user-77777', apiHeaders],
      ['page /ui/connections, first page', '/ui/connections', uiHeaders],
      ['page /ui/connections, deep page', `/ui/connections?cursor=${deep}`, uiHeaders],
      ['page /ui/connections, needs_reauth deep', `/ui/connections?status=needs_reauth&cursor=${deepDead}`, uiHeaders],
      ['GET /v1/stats/connections', '/v1/stats/connections', apiHeaders],
      ['GET /v1/stats/refreshes, 7 d hourly', `/v1/stats/refreshes?bucket=hour&from=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}`, apiHeaders],
      ['page /ui (overview, 24 h)', '/ui', uiHeaders],
      ['page /ui (overview, 7 d)', '/ui?window=7d', uiHeaders],
    ];
    const figures: Figure[] = [];
    const notes: string[] = [`seeded ${count.toLocaleString('en-US')} connections and ${(2 * 2 * 7 * 1440).toLocaleString('en-US')} rollup rows in ${(seedMs / 1000).toFixed(1)} s`];
    for (const [label, path, headers] of targets) {
      const t = await time(server.url, path, headers, samples);
      if (t.status !== 200) notes.push(`${label}: HTTP ${t.status}`);
      figures.push({ label: `${label}: TTFB p50`, value: t.ttfbP50, unit: 'ms', baseline: baseline.ttfbP50 });
      figures.push({ label: `${label}: TTFB p95`, value: t.ttfbP95, unit: 'ms', baseline: baseline.ttfbP95 });
      notes.push(`${label}: full response p50 ${t.totalP50.toFixed(2)} ms, ${t.bytes.toLocaleString('en-US')} bytes`);
    }
    return {
      name: 'Connections page at 100k connections',
      description: `${count.toLocaleString('en-US')} connections on PostgreSQL; ${samples} sequential requests per target over one keep-alive socket after 5 warm-ups; server in its own process. The dashboard renders on the server, so the first row arrives with the first byte of the page.`,
      baselineName: 'GET /healthz (same server)',
      figures,
      notes,
      reproduce: 'node --import tsx bench/connections-page.ts --connections 100000 --samples 40',
    };
  } finally {
    await client.end();
    await server.stop();
    await db.drop();
  }
}

if (isMain(import.meta.url)) {
  printResult(await runConnectionsPageBench());
}

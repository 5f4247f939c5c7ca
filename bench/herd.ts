// The herd: 1,000 concurrent callers ask for the token of one connection whose access
// token has expired, spread over 3 instances on one PostgreSQL. Counts the provider calls
// (the emulator's, must be 1) and the callers' latency, next to the same 1,000 callers on
// a valid token (the fast path) in the same run.
//   node --import tsx bench/herd.ts [--callers 1000] [--latency 50]
import { api, BENCH_KEY, encryptionKeys, freshPostgres } from './lib/setup.js';
import { startEmulatorProcess } from './lib/emulator-process.js';
import { grantkeeper } from './lib/processes.js';
import { isMain, percentile, printResult, verdict, type BenchResult } from './lib/report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function burst(urls: string[], path: string, callers: number): Promise<{ latencies: number[]; statuses: Map<number, number>; tokens: Set<string> }> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const tokens = new Set<string>();
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const started = performance.now();
      const res = await fetch(`${urls[i % urls.length]}${path}`, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
      const body = (await res.json()) as { access_token?: string };
      latencies.push(performance.now() - started);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (body.access_token) tokens.add(body.access_token);
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, statuses, tokens };
}

export async function runHerdBench(options: { callers?: number; latencyMs?: number } = {}): Promise<BenchResult> {
  const callers = options.callers ?? arg('--callers', 1000);
  const latencyMs = options.latencyMs ?? arg('--latency', 50);
  const emu = await startEmulatorProcess(); // its own process: the herd's fetches here must not delay its answers
  const db = await freshPostgres();
  const env = {
    GRANTKEEPER_DATABASE_URL: db.url,
    GRANTKEEPER_SECRET_KEY: BENCH_KEY,
    GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys(),
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    // 1,000 callers from one address stand for many clients: no per-IP socket cap.
    GRANTKEEPER_MAX_SOCKETS_PER_IP: '0',
  };
  const servers = [await grantkeeper(env), await grantkeeper(env), await grantkeeper(env)];
  const urls = servers.map((s) => s.url);
  try {
    await emu.createApp({ clientId: 'herd-client', clientSecret: 'herd-secret', callbackUrls: ['http://localhost/cb'] });
    await emu.createUser({ username: 'herd@example.com' });
    await api(urls[0]!, 'POST', '/v1/integrations', {
      key: 'herd', provider: 'salesforce', client_id: 'herd-client', client_secret: 'herd-secret', auth_base_url: emu.url,
    });
    const tokens = await emu.issueTokens({ clientId: 'herd-client', username: 'herd@example.com' });
    const connection = await api(urls[0]!, 'POST', '/v1/connections', {
      integration: 'herd', end_user: { id: 'herd' }, credentials: { refresh_token: String(tokens.refresh_token) },
    });
    const path = `/v1/connections/${connection.id}/token?wait_ms=30000`;
    // Warm every instance first (database pools, compiled routes) on another connection, so
    // the herd and its baseline both meet warm instances and differ only by the refresh.
    const warmTokens = await emu.issueTokens({ clientId: 'herd-client', username: 'herd@example.com' });
    const warmup = await api(urls[0]!, 'POST', '/v1/connections', {
      integration: 'herd', end_user: { id: 'herd-warmup' }, credentials: { refresh_token: String(warmTokens.refresh_token) },
    });
    await burst(urls, `/v1/connections/${warmup.id}/token?wait_ms=30000`, callers);
    await burst(urls, `/v1/connections/${warmup.id}/token?wait_ms=30000`, callers);
    await emu.setLatency(latencyMs);
    const before = (await emu.stats()).refresh_attempts;
    const herd = await burst(urls, path, callers); // no access token yet: everyone needs a refresh
    const providerCalls = (await emu.stats()).refresh_attempts - before;
    const warm = await burst(urls, path, callers); // the same crowd on the now valid token
    return {
      name: `Herd on an expired token, ${callers.toLocaleString('en-US')} callers`,
      description: `${callers.toLocaleString('en-US')} concurrent callers across 3 instances on one PostgreSQL ask for one connection's token while it has no valid access token; the emulator answers the refresh after ${latencyMs} ms.`,
      baselineName: 'the same callers on the valid token',
      figures: [
        { label: 'provider token calls', value: providerCalls, unit: 'calls' },
        { label: 'callers answered 200', value: herd.statuses.get(200) ?? 0, unit: 'callers', baseline: warm.statuses.get(200) ?? 0 },
        { label: 'distinct access tokens handed out', value: herd.tokens.size, unit: 'tokens' },
        { label: 'caller p50', value: percentile(herd.latencies, 50), unit: 'ms', baseline: percentile(warm.latencies, 50) },
        { label: 'caller p99', value: percentile(herd.latencies, 99), unit: 'ms', baseline: percentile(warm.latencies, 99) },
        { label: 'caller max', value: herd.latencies[herd.latencies.length - 1] ?? 0, unit: 'ms', baseline: warm.latencies[warm.latencies.length - 1] ?? 0 },
      ],
      summary: [
        `Herd of ${callers.toLocaleString('en-US')} across 3 instances: the refresh adds ${(percentile(herd.latencies, 99) - percentile(warm.latencies, 99)).toFixed(0)} ms to p99 (goal ≤ ${2 * latencyMs} ms, twice the provider's latency), ${providerCalls} provider call(s) — ${verdict(percentile(herd.latencies, 99) - percentile(warm.latencies, 99) <= 2 * latencyMs && providerCalls === 1)}`,
      ],
      notes: [
        'Waiters on the instances without the lease are woken by the holder\'s NOTIFY.',
        `statuses: ${[...herd.statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`,
        'The emulator runs in its own process, the callers in the bench process; every instance is warmed on another connection first.',
      ],
      reproduce: `node --import tsx bench/herd.ts --callers ${callers} --latency ${latencyMs}`,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await emu.close();
    await db.drop();
  }
}

if (isMain(import.meta.url)) {
  printResult(await runHerdBench());
}

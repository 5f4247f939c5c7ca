// The API proxy's cost: the same Salesforce REST call (`GET /services/data/v62.0/limits` on
// the emulator) made directly with the access token, and through Grantkeeper's proxy
// (`/v1/connections/{id}/proxy/…` with an API key), in the same run. Latency one request at
// a time (what the proxy adds to each call), throughput with 32 keep-alive connections; and
// one request at a time through Nango's proxy route (`/nango/proxy/…`, named by headers).
// Turns alternate (direct, proxy, proxy, direct) so drift on a shared machine falls on both.
//   node --import tsx bench/proxy-overhead.ts [--duration 5]
import { Agent, request } from 'node:http';
import { load, type LoadResult } from './lib/load.js';
import { grantkeeper, ROOT, startChild } from './lib/processes.js';
import { api, BENCH_KEY, freshDataDir } from './lib/setup.js';
import { isMain, percentile, printResult, type BenchResult } from './lib/report.js';

const REST_PATH = '/services/data/v62.0/limits';

function durationS(): number {
  const i = process.argv.indexOf('--duration');
  return i > 0 ? Number(process.argv[i + 1]) : 5;
}

async function emulatorCall(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** One request at a time on one keep-alive socket, timed to the microsecond (autocannon rounds to whole ms). */
async function serialLatency(url: string, path: string, headers: Record<string, string>, seconds: number): Promise<{ p50: number; p99: number; failed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ agent, host: target.hostname, port: target.port, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const latencies: number[] = [];
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const started = performance.now();
    const status = await once();
    latencies.push(performance.now() - started);
    if (status !== 200) failed++;
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
}

const mean = (runs: LoadResult[]): LoadResult => {
  const avg = (pick: (r: LoadResult) => number) => runs.reduce((a, r) => a + pick(r), 0) / runs.length;
  return { rps: avg((r) => r.rps), p50: avg((r) => r.p50), p99: avg((r) => r.p99), errors: avg((r) => r.errors), non2xx: avg((r) => r.non2xx), total: avg((r) => r.total) };
};

export async function runProxyOverheadBench(options: { seconds?: number } = {}): Promise<BenchResult> {
  const seconds = options.seconds ?? durationS();
  const emu = await startChild(`${ROOT}bench/servers/salesforce-emulator.mjs`, [], {});
  const gk = await grantkeeper({ GRANTKEEPER_DATA_DIR: freshDataDir(), GRANTKEEPER_SECRET_KEY: BENCH_KEY, GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true' }).catch(async (error: unknown) => {
    await emu.stop();
    throw error;
  });
  try {
    const clientId = '3MVG9benchproxy';
    await emulatorCall(emu.url, '/__emulator/apps', { clientId, clientSecret: 'bench-proxy-secret', callbackUrls: [`${gk.url}/oauth/callback`] });
    await emulatorCall(emu.url, '/__emulator/users', { username: 'bench-proxy@example.com' });
    const tokens = await emulatorCall(emu.url, '/__emulator/tokens', { client_id: clientId, username: 'bench-proxy@example.com' });
    await api(gk.url, 'POST', '/v1/integrations', { key: 'bench-sf', provider: 'salesforce', client_id: clientId, client_secret: 'bench-proxy-secret', auth_base_url: emu.url });
    const connection = await api(gk.url, 'POST', '/v1/connections', {
      integration: 'bench-sf',
      end_user: { id: 'bench-proxy-user' },
      credentials: { refresh_token: tokens.refresh_token, access_token: tokens.access_token, instance_url: tokens.instance_url, id_url: tokens.id, issued_at: String(tokens.issued_at) },
    });
    const key = await api(gk.url, 'POST', '/v1/api-keys', { name: 'bench proxy', scopes: ['proxy'] });

    const directAuth = { authorization: `Bearer ${String(tokens.access_token)}` };
    const proxyAuth = { authorization: `Bearer ${key.secret as string}` };
    const proxyPath = `/v1/connections/${connection.id as string}/proxy${REST_PATH}`;
    const nangoAuth = { ...proxyAuth, 'connection-id': connection.id as string, 'provider-config-key': 'bench-sf' };
    const nangoPath = `/nango/proxy${REST_PATH}`;
    const direct = (connections: number) => load(emu.url, [REST_PATH], { connections, durationS: seconds, headers: directAuth });
    const proxied = (connections: number) => load(gk.url, [proxyPath], { connections, durationS: seconds, headers: proxyAuth });

    await direct(32);
    await proxied(32); // warm-up of both
    const turns = async (connections: number) => {
      const d: LoadResult[] = [];
      const p: LoadResult[] = [];
      for (let round = 0; round < 2; round++) {
        d.push(await direct(connections));
        p.push(await proxied(connections));
        p.push(await proxied(connections));
        d.push(await direct(connections));
      }
      return { direct: mean(d), proxy: mean(p) };
    };
    const serialDirect: { p50: number; p99: number; failed: number }[] = [];
    const serialProxy: { p50: number; p99: number; failed: number }[] = [];
    const serialNango: { p50: number; p99: number; failed: number }[] = [];
    for (let round = 0; round < 2; round++) {
      serialDirect.push(await serialLatency(emu.url, REST_PATH, directAuth, seconds));
      serialProxy.push(await serialLatency(gk.url, proxyPath, proxyAuth, seconds));
      serialNango.push(await serialLatency(gk.url, nangoPath, nangoAuth, seconds));
      serialProxy.push(await serialLatency(gk.url, proxyPath, proxyAuth, seconds));
      serialDirect.push(await serialLatency(emu.url, REST_PATH, directAuth, seconds));
    }
    const avg = (runs: { p50: number; p99: number }[], pick: 'p50' | 'p99') => runs.reduce((a, r) => a + r[pick], 0) / runs.length;
    const serial = {
      direct: { p50: avg(serialDirect, 'p50'), p99: avg(serialDirect, 'p99') },
      proxy: { p50: avg(serialProxy, 'p50'), p99: avg(serialProxy, 'p99') },
      nango: { p50: avg(serialNango, 'p50'), p99: avg(serialNango, 'p99') },
    };
    const parallel = await turns(32);
    const failures = [...serialProxy, ...serialNango].reduce((a, r) => a + r.failed, 0) + parallel.proxy.non2xx + parallel.proxy.errors;
    return {
      name: 'API proxy overhead',
      description: `The emulator's REST call \`GET ${REST_PATH}\` through \`/v1/connections/{id}/proxy\` (a \`proxy\`-scoped key, PGlite, one instance) against the same call made directly with the access token, in the same run: one request at a time, then 32 keep-alive connections; ${seconds} s per turn, direct and proxied turns alternating (4 each); one request at a time through \`/nango/proxy\` too (the connection named by \`Connection-Id\` / \`Provider-Config-Key\`, 2 turns). Goals: p50 overhead ≤ 1 ms, throughput ≥ 0.7× direct.`,
      baselineName: 'the emulator called directly',
      figures: [
        { label: 'p50 latency, 1 connection', value: serial.proxy.p50, unit: 'ms', baseline: serial.direct.p50 },
        { label: 'p50 overhead, 1 connection', value: serial.proxy.p50 - serial.direct.p50, unit: 'ms' },
        { label: 'p99 latency, 1 connection', value: serial.proxy.p99, unit: 'ms', baseline: serial.direct.p99 },
        { label: 'p50 latency through /nango/proxy, 1 connection', value: serial.nango.p50, unit: 'ms', baseline: serial.direct.p50 },
        { label: 'p50 overhead through /nango/proxy, 1 connection', value: serial.nango.p50 - serial.direct.p50, unit: 'ms' },
        { label: 'requests per second, 32 connections', value: parallel.proxy.rps, unit: 'req/s', baseline: parallel.direct.rps },
        { label: 'throughput ratio, 32 connections', value: parallel.proxy.rps / parallel.direct.rps, unit: '× direct' },
        { label: 'p50 latency, 32 connections', value: parallel.proxy.p50, unit: 'ms', baseline: parallel.direct.p50 },
      ],
      notes: [
        'Grantkeeper, the emulator and the load generator share the machine: a proxied call costs a second hop on the same CPUs, so the throughput ratio here is a floor.',
        ...(failures > 0 ? [`${failures} proxied requests did not answer 2xx`] : []),
      ],
      reproduce: 'node --import tsx bench/proxy-overhead.ts',
    };
  } finally {
    await gk.stop();
    await emu.stop();
  }
}

if (isMain(import.meta.url)) printResult(await runProxyOverheadBench());

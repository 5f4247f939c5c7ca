// The API proxy's cost: the same Salesforce REST call (`GET /services/data/v62.0/limits` on
// the emulator) made directly with the access token, and through Grantkeeper's proxy
// (`/v1/connections/{id}/proxy/…` with an API key), in the same run. Latency one request at
// a time (what the proxy adds to each call), throughput with 32 keep-alive connections.
// Turns alternate (direct, proxy, proxy, direct — ABBA) so drift on a shared machine falls on
// both. Two configurations: the emulator answering at once (the proxy's CPU is all there is
// to measure), and answering after a provider-like latency (what a caller sees). CPU time per
// request is read from outside, from /proc/<pid>/stat of each server process.
// A bare Node reverse proxy (no logic) is measured the same way at zero latency: the floor;
// and one request at a time through Nango's proxy route (`/nango/proxy/…`, named by headers).
//   node --import tsx bench/proxy-overhead.ts [--duration 5] [--latency 20] [--cpu-prof DIR]
// --cpu-prof DIR: Grantkeeper runs under `node --cpu-prof`; the profile lands in DIR on exit.
import { Agent, request } from 'node:http';
import { load, type LoadResult } from './lib/load.js';
import { grantkeeper, ROOT, startChild, type Child } from './lib/processes.js';
import { api, BENCH_KEY, freshDataDir } from './lib/setup.js';
import { isMain, percentile, printResult, type BenchResult, type Figure } from './lib/report.js';

const REST_PATH = '/services/data/v62.0/limits';
const CONNECTIONS = 32;

function option(name: string, fallback: string | null): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function emulatorCall(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

interface Turn {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** CPU ms per request of the server called (Grantkeeper for proxied turns, the emulator for direct ones). */
  cpuMsPerRequest: number;
  /** The kernel's part of cpuMsPerRequest (socket reads and writes, mostly). */
  systemMsPerRequest: number;
  /** CPU ms per request of the emulator (in proxied turns: what the hop behind Grantkeeper costs). */
  emulatorCpuMsPerRequest: number;
  /** CPU ms per request of this process, the load generator. */
  loadCpuMsPerRequest: number;
}

/** One request at a time on one keep-alive socket, timed to the microsecond (autocannon rounds to whole ms). */
async function serialLatency(url: string, path: string, headers: Record<string, string>, seconds: number): Promise<{ latencies: number[]; failed: number }> {
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
  return { latencies, failed };
}

/** Runs one turn and charges the CPU both servers used during it to its requests. */
async function measured(server: Child, emulator: Child, run: () => Promise<Omit<Turn, 'cpuMsPerRequest' | 'systemMsPerRequest' | 'emulatorCpuMsPerRequest' | 'loadCpuMsPerRequest'> & { total: number }>): Promise<Turn> {
  const total = (cpu: { user: number; system: number }) => cpu.user + cpu.system;
  const before = { server: server.cpuMs(), emulator: emulator.cpuMs(), load: process.cpuUsage() };
  const turn = await run();
  const after = { server: server.cpuMs(), emulator: emulator.cpuMs() };
  const load = process.cpuUsage(before.load);
  const requests = Math.max(1, turn.total);
  return {
    ...turn,
    cpuMsPerRequest: (total(after.server) - total(before.server)) / requests,
    systemMsPerRequest: (after.server.system - before.server.system) / requests,
    emulatorCpuMsPerRequest: (total(after.emulator) - total(before.emulator)) / requests,
    loadCpuMsPerRequest: (load.user + load.system) / 1000 / requests,
  };
}

/** CPU per direct call (emulator + load generator) over CPU per proxied call (Grantkeeper + emulator + load generator). */
function ceiling(run: { direct: Turn; proxy: Turn }): number {
  const direct = run.direct.cpuMsPerRequest + run.direct.loadCpuMsPerRequest;
  return direct / (run.proxy.cpuMsPerRequest + run.proxy.emulatorCpuMsPerRequest + run.proxy.loadCpuMsPerRequest);
}

const meanOf = (turns: Turn[], pick: (t: Turn) => number) => turns.reduce((a, t) => a + pick(t), 0) / turns.length;
const mean = (turns: Turn[]): Turn => ({
  rps: meanOf(turns, (t) => t.rps),
  p50: meanOf(turns, (t) => t.p50),
  p99: meanOf(turns, (t) => t.p99),
  failed: turns.reduce((a, t) => a + t.failed, 0),
  cpuMsPerRequest: meanOf(turns, (t) => t.cpuMsPerRequest),
  systemMsPerRequest: meanOf(turns, (t) => t.systemMsPerRequest),
  emulatorCpuMsPerRequest: meanOf(turns, (t) => t.emulatorCpuMsPerRequest),
  loadCpuMsPerRequest: meanOf(turns, (t) => t.loadCpuMsPerRequest),
});

/** Direct, proxy, proxy, direct, `rounds` times; the mean of each side. */
async function abba(rounds: number, direct: () => Promise<Turn>, proxy: () => Promise<Turn>): Promise<{ direct: Turn; proxy: Turn }> {
  const d: Turn[] = [];
  const p: Turn[] = [];
  for (let round = 0; round < rounds; round++) {
    d.push(await direct());
    p.push(await proxy());
    p.push(await proxy());
    d.push(await direct());
  }
  return { direct: mean(d), proxy: mean(p) };
}

export async function runProxyOverheadBench(options: { seconds?: number; latencyMs?: number; cpuProfDir?: string | null } = {}): Promise<BenchResult> {
  const seconds = options.seconds ?? Number(option('duration', '5'));
  const latencyMs = options.latencyMs ?? Number(option('latency', '20'));
  const cpuProfDir = options.cpuProfDir ?? option('cpu-prof', null);
  const emu = await startChild(`${ROOT}bench/servers/salesforce-emulator.mjs`, [], {});
  const bare = await startChild(`${ROOT}bench/servers/bare-proxy.mjs`, [emu.url], {});
  const gk = await grantkeeper({
    GRANTKEEPER_DATA_DIR: freshDataDir(),
    GRANTKEEPER_SECRET_KEY: BENCH_KEY,
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
  }, cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []).catch(async (error: unknown) => {
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
    const side = (server: Child, path: string, headers: Record<string, string>) => ({
      parallel: () =>
        measured(server, emu, async () => {
          const r: LoadResult = await load(server.url, [path], { connections: CONNECTIONS, durationS: seconds, headers });
          return { rps: r.rps, p50: r.p50, p99: r.p99, failed: r.errors + r.non2xx, total: r.total };
        }),
      serial: () =>
        measured(server, emu, async () => {
          const { latencies, failed } = await serialLatency(server.url, path, headers, seconds);
          const sorted = latencies.sort((a, b) => a - b);
          return { rps: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), failed, total: sorted.length };
        }),
    });
    const direct = side(emu, REST_PATH, directAuth);
    const proxied = side(gk, proxyPath, proxyAuth);
    const bareProxy = side(bare, REST_PATH, directAuth);
    // Nango's proxy route names the connection by headers, as @nangohq/node sends them.
    const nango = side(gk, `/nango/proxy${REST_PATH}`, { ...proxyAuth, 'connection-id': connection.id as string, 'provider-config-key': 'bench-sf' });

    await direct.parallel();
    await proxied.parallel(); // warm-up of both
    const zero = { serial: await abba(2, direct.serial, proxied.serial), parallel: await abba(2, direct.parallel, proxied.parallel) };
    const floor = await abba(1, direct.parallel, bareProxy.parallel);
    const nangoSerial = await abba(1, direct.serial, nango.serial);
    await emulatorCall(emu.url, '/__emulator/latency', { latency_ms: latencyMs, endpoint: 'rest' });
    const slow = { serial: await abba(1, direct.serial, proxied.serial), parallel: await abba(1, direct.parallel, proxied.parallel) };

    const figures = (label: string, run: typeof zero): Figure[] => [
      { label: `${label}: p50 latency, 1 connection`, value: run.serial.proxy.p50, unit: 'ms', baseline: run.serial.direct.p50 },
      { label: `${label}: p50 overhead, 1 connection`, value: run.serial.proxy.p50 - run.serial.direct.p50, unit: 'ms' },
      { label: `${label}: p99 latency, 1 connection`, value: run.serial.proxy.p99, unit: 'ms', baseline: run.serial.direct.p99 },
      { label: `${label}: requests per second, ${CONNECTIONS} connections`, value: run.parallel.proxy.rps, unit: 'req/s', baseline: run.parallel.direct.rps },
      { label: `${label}: throughput ratio, ${CONNECTIONS} connections`, value: run.parallel.proxy.rps / run.parallel.direct.rps, unit: '× direct' },
      { label: `${label}: p50 latency, ${CONNECTIONS} connections`, value: run.parallel.proxy.p50, unit: 'ms', baseline: run.parallel.direct.p50 },
    ];
    const failures = [zero, slow].reduce((a, run) => a + run.serial.proxy.failed + run.parallel.proxy.failed, 0) + nangoSerial.proxy.failed;
    return {
      name: 'API proxy overhead',
      description: `The emulator's REST call \`GET ${REST_PATH}\` through \`/v1/connections/{id}/proxy\` (a \`proxy\`-scoped key, PGlite, one instance) against the same call made directly with the access token, in the same run: one request at a time, then ${CONNECTIONS} keep-alive connections; ${seconds} s per turn, direct and proxied turns alternating (ABBA). First with the emulator answering at once (4 turns each side; then 2 turns of a bare Node reverse proxy, \`bench/servers/bare-proxy.mjs\`, against 2 direct ones: the floor for any proxy hop in Node), then with ${latencyMs} ms of provider latency on its REST API (2 turns each side). CPU per request is read from /proc/<pid>/stat of each server process during the ${CONNECTIONS}-connection turns. One request at a time through \`/nango/proxy\` too (named by \`Connection-Id\` and \`Provider-Config-Key\`), against direct calls (ABBA, 1 round). Goals: p50 overhead ≤ 1 ms, throughput ≥ 0.7× direct.`,
      baselineName: 'the emulator called directly',
      figures: [
        ...figures('0 ms', zero),
        { label: `0 ms: server CPU per request, ${CONNECTIONS} conn.`, value: zero.parallel.proxy.cpuMsPerRequest, unit: 'ms', baseline: zero.parallel.direct.cpuMsPerRequest },
        { label: `0 ms: of which in the kernel`, value: zero.parallel.proxy.systemMsPerRequest, unit: 'ms', baseline: zero.parallel.direct.systemMsPerRequest },
        { label: `0 ms: emulator CPU per proxied request`, value: zero.parallel.proxy.emulatorCpuMsPerRequest, unit: 'ms' },
        { label: `0 ms: load generator CPU per request`, value: zero.parallel.proxy.loadCpuMsPerRequest, unit: 'ms', baseline: zero.parallel.direct.loadCpuMsPerRequest },
        // Every process of a turn is CPU-bound on the same cores: the most the ratio could be is the CPU a direct call costs over the CPU a proxied one costs.
        { label: `0 ms: CPU-bound ceiling of the ratio`, value: ceiling(zero.parallel), unit: '× direct' },
        { label: `0 ms: bare Node proxy, requests per second`, value: floor.proxy.rps, unit: 'req/s', baseline: floor.direct.rps },
        { label: `0 ms: bare Node proxy, throughput ratio`, value: floor.proxy.rps / floor.direct.rps, unit: '× direct' },
        { label: `0 ms: bare Node proxy, CPU per request`, value: floor.proxy.cpuMsPerRequest, unit: 'ms' },
        { label: '0 ms: p50 overhead through /nango/proxy, 1 connection', value: nangoSerial.proxy.p50 - nangoSerial.direct.p50, unit: 'ms' },
        ...figures(`${latencyMs} ms`, slow),
      ],
      notes: [
        'Grantkeeper, the emulator and the load generator share the machine: a proxied call costs a second hop on the same CPUs, so the zero-latency throughput ratio is bounded by CPU, not by the proxy waiting.',
        `CPU per request is charged from /proc at 10 ms resolution over each ${seconds} s turn; the "server CPU" rows are Grantkeeper's per proxied request and, as the baseline, the emulator's per direct request.`,
        ...(failures > 0 ? [`${failures} proxied requests did not answer 2xx`] : []),
      ],
      reproduce: `node --import tsx bench/proxy-overhead.ts --latency ${latencyMs}`,
    };
  } finally {
    await gk.stop();
    await bare.stop();
    await emu.stop();
  }
}

if (isMain(import.meta.url)) printResult(await runProxyOverheadBench());

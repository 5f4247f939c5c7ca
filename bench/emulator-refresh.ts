/**
 * Refresh grants per second against the Salesforce emulator, next to a bare
 * node:http server answering a fixed JSON body in the same run (the ceiling for
 * this machine and this client). Prints figures; asserts nothing.
 *
 *   node --import tsx bench/emulator-refresh.ts [--duration-ms 3000] [--concurrency 8]
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startSalesforceEmulator } from '../packages/salesforce-emulator/src/index.js';

export interface BenchResult {
  name: string;
  figures: Record<string, number>;
}

export interface EmulatorRefreshBenchOptions {
  /** Measured time per target (default 3000 ms), after a warm-up of a fifth of it. */
  durationMs?: number;
  /** Concurrent keep-alive clients (default 8). */
  concurrency?: number;
}

interface LoadResult {
  perSecond: number;
  ok: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

/** Each worker posts its own body in a loop over a keep-alive agent until the deadline. */
async function load(url: string, bodies: string[], durationMs: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: bodies.length });
  const target = new URL(url);
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const post = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const run = async (deadline: number, record: boolean): Promise<void> => {
    await Promise.all(
      bodies.map(async (body) => {
        while (performance.now() < deadline) {
          const started = performance.now();
          const status = await post(body);
          if (!record) continue;
          latencies.push(performance.now() - started);
          if (status === 200) ok++;
          else errors++;
        }
      }),
    );
  };
  await run(performance.now() + durationMs / 5, false);
  const started = performance.now();
  await run(started + durationMs, true);
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { perSecond: (ok / elapsed) * 1000, ok, errors, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

async function baseline(concurrency: number, durationMs: number): Promise<LoadResult> {
  // The same size of answer as a Salesforce refresh response.
  const fixed = JSON.stringify({
    access_token: `00D000000000000!${'A'.repeat(112)}`,
    signature: 'x'.repeat(44),
    scope: 'api refresh_token web id',
    instance_url: 'http://127.0.0.1',
    id: 'http://127.0.0.1/id/00D000000000000AAA/005000000000000AAA',
    token_type: 'Bearer',
    issued_at: '1700000000000',
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(fixed) });
      res.end(fixed);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/oauth2/token`;
  try {
    return await load(url, Array.from({ length: concurrency }, () => 'grant_type=refresh_token&refresh_token=x&client_id=y&client_secret=z'), durationMs);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function emulator(concurrency: number, durationMs: number): Promise<LoadResult & { statsRefreshes: number; peak: number }> {
  const emu = await startSalesforceEmulator({ port: 0 });
  try {
    emu.createApp({ clientId: 'bench', clientSecret: 'bench-secret', callbackUrls: ['http://127.0.0.1:9/cb'] });
    // One user (one family) per client, so no two clients share a refresh token.
    const bodies = Array.from({ length: concurrency }, (_, i) => {
      emu.createUser({ username: `bench${i}@example.com` });
      const tokens = emu.issueTokens({ clientId: 'bench', username: `bench${i}@example.com` });
      return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token), client_id: 'bench', client_secret: 'bench-secret' }).toString();
    });
    const result = await load(`${emu.url}/services/oauth2/token`, bodies, durationMs);
    const stats = emu.stats();
    return { ...result, statsRefreshes: stats.refreshes, peak: stats.peak_refreshes_per_s };
  } finally {
    await emu.close();
  }
}

export async function runEmulatorRefreshBench(options: EmulatorRefreshBenchOptions = {}): Promise<BenchResult> {
  const durationMs = options.durationMs ?? 3000;
  const concurrency = options.concurrency ?? 8;
  const base = await baseline(concurrency, durationMs);
  const emu = await emulator(concurrency, durationMs);
  return {
    name: 'emulator-refresh',
    figures: {
      concurrency,
      duration_ms: durationMs,
      emulator_refreshes_per_s: Math.round(emu.perSecond),
      emulator_p50_ms: Number(emu.p50Ms.toFixed(3)),
      emulator_p99_ms: Number(emu.p99Ms.toFixed(3)),
      emulator_errors: emu.errors,
      emulator_peak_refreshes_per_s: emu.peak,
      baseline_requests_per_s: Math.round(base.perSecond),
      baseline_p50_ms: Number(base.p50Ms.toFixed(3)),
      baseline_p99_ms: Number(base.p99Ms.toFixed(3)),
      emulator_vs_baseline: Number((emu.perSecond / base.perSecond).toFixed(3)),
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { 'duration-ms': { type: 'string' }, concurrency: { type: 'string' } } });
  const result = await runEmulatorRefreshBench({
    ...(values['duration-ms'] ? { durationMs: Number(values['duration-ms']) } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
  });
  const f = result.figures;
  console.log(`${result.name}: ${f.concurrency} keep-alive clients, ${f.duration_ms} ms each, node ${process.version}`);
  console.log(`  baseline (bare node:http, fixed JSON): ${f.baseline_requests_per_s} req/s   p50 ${f.baseline_p50_ms} ms   p99 ${f.baseline_p99_ms} ms`);
  console.log(`  emulator refresh_token grants:         ${f.emulator_refreshes_per_s} /s      p50 ${f.emulator_p50_ms} ms   p99 ${f.emulator_p99_ms} ms   errors ${f.emulator_errors}`);
  console.log(`  emulator / baseline: ${f.emulator_vs_baseline}`);
}

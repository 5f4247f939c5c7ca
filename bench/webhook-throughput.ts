// Webhook delivery throughput and lag: outbox rows written straight to PostgreSQL (as a
// committed transition writes them) and delivered by a `grantkeeper start` process to a
// local receiver, next to a same-run baseline: the receiver hit directly by a plain loop of
// POSTs of the same size with the same concurrency. Prints figures; asserts nothing.
//   node --import tsx bench/webhook-throughput.ts [--events 2000] [--rate 100] [--concurrency 16]
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../packages/server/src/db/open.js';
import { emitEvent } from '../packages/server/src/webhooks/outbox.js';
import { grantkeeper } from './lib/processes.js';
import { BENCH_KEY, api, encryptionKeys, freshPostgres } from './lib/setup.js';
import { isMain, percentile, printResult, verdict, type BenchResult } from './lib/report.js';

export interface WebhookBenchOptions {
  /** Events in the burst (default 2000). */
  events?: number;
  /** Events per second in the steady phase (default 100), for 5 s. */
  rate?: number;
  /** Deliveries in flight per instance, and the baseline's parallel clients (default 16). */
  concurrency?: number;
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

/** A receiver that notes when each webhook-id first arrived and answers 204. */
async function startReceiver() {
  const firstSeen = new Map<string, { at: number; sentAt: number }>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const id = String(req.headers['webhook-id'] ?? '');
      if (id && !firstSeen.has(id)) {
        let sentAt = Number.NaN;
        try {
          sentAt = Date.parse((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string }).timestamp);
        } catch {
          /* baseline bodies carry a timestamp too */
        }
        firstSeen.set(id, { at: Date.now(), sentAt });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    firstSeen,
    requests: () => requests,
    reset() {
      firstSeen.clear();
      requests = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

type ReceiverHandle = Awaited<ReturnType<typeof startReceiver>>;

const sampleBody = (i: number) =>
  JSON.stringify({
    type: 'connection.refresh_failing',
    timestamp: new Date().toISOString(),
    data: { status: 'refresh_failing', generation: 3, sequence: i, connection: { id: `conn_${'0'.repeat(32)}`, integration: 'salesforce-prod', status: 'refresh_failing' }, last_error: { http_status: 503 } },
  });

/** The ceiling: the same receiver, POSTed to by a plain keep-alive loop. */
async function baseline(receiver: ReceiverHandle, events: number, concurrency: number) {
  receiver.reset();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(receiver.url);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) {
        const i = next++;
        const body = sampleBody(i);
        await new Promise<void>((resolve, reject) => {
          const req = request(
            { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'webhook-id': `evt_b${i}` } },
            (res) => {
              res.resume();
              res.on('end', () => resolve());
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  const lags = [...receiver.firstSeen.values()].map((v) => v.at - v.sentAt).sort((a, b) => a - b);
  return { perSecond: events / elapsedS, p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

async function waitForAll(receiver: ReceiverHandle, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ids.every((id) => receiver.firstSeen.has(id))) {
    if (Date.now() > deadline) throw new Error(`only ${ids.filter((id) => receiver.firstSeen.has(id)).length}/${ids.length} events arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runWebhookThroughputBench(options: WebhookBenchOptions = {}): Promise<BenchResult> {
  const events = options.events ?? arg('events') ?? 2000;
  const rate = options.rate ?? arg('rate') ?? 100;
  const concurrency = options.concurrency ?? arg('concurrency') ?? 16;
  const receiver = await startReceiver();
  const database = await freshPostgres();
  let server: Awaited<ReturnType<typeof grantkeeper>> | null = null;
  const db = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 4 });
  try {
    const base = await baseline(receiver, events, concurrency);

    server = await grantkeeper({
      GRANTKEEPER_DATABASE_URL: database.url,
      GRANTKEEPER_SECRET_KEY: BENCH_KEY,
      GRANTKEEPER_ENCRYPTION_KEYS: encryptionKeys(),
      GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
      GRANTKEEPER_WEBHOOK_CONCURRENCY: String(concurrency),
    });
    await api(server.url, 'POST', '/v1/webhook-endpoints', { url: receiver.url });

    // Burst: every event committed in one transaction, then drained; timed from the commit.
    receiver.reset();
    const burstIds: string[] = [];
    await db.kysely.transaction().execute(async (trx) => {
      for (let j = 0; j < events; j++) {
        burstIds.push(await emitEvent(trx, { type: 'connection.refresh_failing', data: JSON.parse(sampleBody(j)).data }));
      }
    });
    const committedAt = Date.now();
    await waitForAll(receiver, burstIds, 300_000);
    const arrivals = burstIds.map((id) => receiver.firstSeen.get(id)!.at - committedAt).sort((a, b) => a - b);
    const burstS = arrivals[arrivals.length - 1]! / 1000;
    const burstLags = arrivals;

    // Steady: `rate` events per second for 5 s, one transaction each (lag without a queue).
    receiver.reset();
    const steadyIds: string[] = [];
    const steadyStart = Date.now();
    for (let i = 0; i < rate * 5; i++) {
      const due = steadyStart + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      steadyIds.push(await emitEvent(db.kysely, { type: 'connection.refresh_failing', data: JSON.parse(sampleBody(i)).data }));
    }
    await waitForAll(receiver, steadyIds, 60_000);
    const steadyLags = steadyIds.map((id) => receiver.firstSeen.get(id)!).map((v) => v.at - v.sentAt).sort((a, b) => a - b);

    return {
      name: 'webhook-throughput',
      description: `Outbox rows → signed POSTs to a local receiver by one \`grantkeeper start\` process on PostgreSQL (concurrency ${concurrency}), next to the receiver hit directly by a plain keep-alive loop with the same concurrency and body size.`,
      baselineName: 'plain POST loop',
      figures: [
        { label: `burst of ${events}: events delivered per second`, value: events / burstS, unit: '/s', baseline: base.perSecond },
        { label: 'burst: lag p50 (commit → received)', value: percentile(burstLags, 50), unit: 'ms', baseline: base.p50 },
        { label: 'burst: lag p99', value: percentile(burstLags, 99), unit: 'ms', baseline: base.p99 },
        { label: `steady ${rate}/s: lag p50`, value: percentile(steadyLags, 50), unit: 'ms' },
        { label: `steady ${rate}/s: lag p99`, value: percentile(steadyLags, 99), unit: 'ms' },
        { label: 'receiver requests per event (duplicates)', value: receiver.requests() / steadyIds.length, unit: '×' },
      ],
      notes: [
        'Burst: all events commit in one transaction; rate and lag are timed from that commit, so the lag is mostly queueing behind the burst. The steady lag is the pipeline itself (NOTIFY → fan-out → claim → sign → POST → record).',
        'Baseline lag is request latency for a body of the same size.',
      ],
      summary: [
        `Webhook burst of ${events}: ${(events / burstS / base.perSecond).toFixed(2)} × the plain POST loop (goal ≥ 0.5 ×) — ${verdict(events / burstS >= 0.5 * base.perSecond)}`,
        `Webhook steady ${rate}/s: lag p99 ${percentile(steadyLags, 99).toFixed(0)} ms (goal ≤ 20 ms) — ${verdict(percentile(steadyLags, 99) <= 20)}`,
      ],
      reproduce: 'node --import tsx bench/webhook-throughput.ts [--events 2000] [--rate 100] [--concurrency 16]',
    };
  } finally {
    await server?.stop();
    await db.close();
    await database.drop();
    await receiver.stop();
  }
}

if (isMain(import.meta.url)) {
  printResult(await runWebhookThroughputBench());
}

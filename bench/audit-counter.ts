// What counting a token read for the audit log costs on the fast path: one call of the
// audit counter as the token route makes it (a fresh actor/address object and target per
// read, 50 connections, one key), next to serializing the token response with
// JSON.stringify — work every fast-path request already does — in the same run.
//   node --import tsx bench/audit-counter.ts [--reads 2000000]
import { AuditCounter } from '../packages/server/src/audit/counter.js';
import type { Actor } from '../packages/server/src/domain/access.js';
import { isMain, printResult, type BenchResult } from './lib/report.js';

function readsArg(): number {
  const i = process.argv.indexOf('--reads');
  return i > 0 ? Number(process.argv[i + 1]) : 2_000_000;
}

const ACTOR: Actor = { type: 'api_key', id: 'env', name: 'GRANTKEEPER_SECRET_KEY' };
const CONNECTIONS = Array.from({ length: 50 }, (_, i) => `conn_${i.toString(16).padStart(32, '0')}`);
const TOKEN = { access_token: `00D000000000001!${'x'.repeat(112)}`, token_type: 'Bearer', expires_at: new Date().toISOString(), instance_url: 'https://example.my.salesforce.com', generation: 7 };

/** Nanoseconds per operation over `n` operations. */
function time(n: number, op: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op(i);
  return Number(process.hrtime.bigint() - start) / n;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export function runAuditCounterBench(options: { reads?: number } = {}): BenchResult {
  const reads = options.reads ?? readsArg();
  const counter = new AuditCounter();
  let sink = 0;
  const counting: number[] = [];
  const serializing: number[] = [];
  // Alternating rounds, so a busy moment on the machine weighs on both sides alike.
  for (let round = 0; round < 7; round++) {
    serializing.push(time(reads, () => (sink += JSON.stringify(TOKEN).length)));
    counting.push(time(reads, (i) => counter.count({ actor: ACTOR, ip: '127.0.0.1' }, 'token.read', { type: 'connection', id: CONNECTIONS[i % 50]! })));
    // What the flusher would take: one row per connection and minute.
    if (counter.take().length > 100) throw new Error('counting did not aggregate');
  }
  if (sink === 0) throw new Error('nothing serialized');
  const count = median(counting);
  const serialize = median(serializing);
  return {
    name: 'Audit counting on the token fast path',
    description: `One token read counted for the audit log, as the token route does it, ${reads.toLocaleString('en-US')} reads over 50 connections per round, median of 7 alternating rounds, in one process.`,
    baselineName: 'JSON.stringify of the token response',
    figures: [{ label: 'cost per token read', value: count, unit: 'ns', baseline: serialize }],
    notes: [
      `Counting costs ${(100 * count / serialize).toFixed(0)} % of serializing one token response (compare with a whole request in the fast-path benchmark: 1 s / its throughput).`,
      `Rounds (ns, counting / serializing): ${counting.map((c, i) => `${c.toFixed(0)}/${serializing[i]!.toFixed(0)}`).join(', ')}.`,
    ],
    reproduce: 'node --import tsx bench/audit-counter.ts',
  };
}

if (isMain(import.meta.url)) {
  printResult(runAuditCounterBench());
}

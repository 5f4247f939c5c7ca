// The periodic-worker primitive on its own (no database): passes never overlap, wakes
// coalesce, stop drains, failures are counted and the loop goes on. Assertions are about
// counts and order, never about elapsed time; passes that must wait are held on a gate.
import { afterEach, describe, expect, test } from 'vitest';
import { PeriodicWorker, WorkerStoppedError, type PeriodicOptions } from '../src/workers/periodic.js';

const HOUR = 3_600_000;

interface Gate {
  open(): void;
  wait: Promise<void>;
}

function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

/** A worker whose passes record their order; pass n waits on gates[n] when there is one. */
function harness(options: Partial<PeriodicOptions<number>> = {}) {
  const order: string[] = [];
  const warnings: { fields: object; message: string }[] = [];
  const outcomes: string[] = [];
  const gates = new Map<number, Gate>();
  let concurrent = 0;
  let maxConcurrent = 0;
  let n = 0;
  const worker = new PeriodicWorker<number>({
    name: 'test',
    intervalMs: HOUR,
    initialDelayMs: HOUR,
    log: { warn: (fields, message) => warnings.push({ fields, message }) },
    onPassEnd: (outcome) => outcomes.push(outcome),
    pass: async () => {
      const pass = ++n;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      order.push(`start ${pass}`);
      try {
        await gates.get(pass)?.wait;
        return pass;
      } finally {
        order.push(`end ${pass}`);
        concurrent--;
      }
    },
    ...options,
  });
  workers.push(worker);
  return { worker, order, warnings, outcomes, gates, maxConcurrent: () => maxConcurrent };
}

/** Resolves when `predicate` holds, checked after each turn of the event loop. */
async function turnsUntil(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

const workers: PeriodicWorker<number>[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
});

describe('PeriodicWorker', () => {
  test('the first pass comes after the initial delay, then one per interval, never two at once', async () => {
    const h = harness({ intervalMs: 2, initialDelayMs: 1 });
    h.worker.start();
    await h.worker.afterPasses(5);
    expect(h.worker.passes).toBeGreaterThanOrEqual(5);
    expect(h.maxConcurrent()).toBe(1);
    // Strictly alternating: every pass ends before the next starts.
    h.order.forEach((entry, i) => expect(entry.startsWith(i % 2 === 0 ? 'start' : 'end')).toBe(true));
    expect(h.worker.failures).toBe(0);
  });

  test('after a pass, nothing is due before the interval', async () => {
    const h = harness({ initialDelayMs: 0 });
    const first = h.worker.afterPasses(1);
    h.worker.start(); // an initial delay of 0: the first pass starts here
    expect(h.worker.busy).toBe(true);
    await first;
    // Nothing else is due before the hour-long interval: the worker is idle after one pass.
    expect(h.worker.busy).toBe(false);
    expect(h.worker.passes).toBe(1);
  });

  test('wakes during a pass coalesce into one pass right after it', async () => {
    const h = harness();
    const first = gate();
    h.gates.set(1, first);
    h.worker.start();
    h.worker.wake();
    await turnsUntil(() => h.order.length === 1);
    expect(h.order).toEqual(['start 1']);
    for (let i = 0; i < 5; i++) h.worker.wake();
    expect(h.worker.busy).toBe(true);
    const next = h.worker.afterPasses(1);
    first.open();
    await next;
    expect(h.order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    // Five wakes, one follow-up: nothing else is due until the interval.
    expect(h.worker.busy).toBe(false);
    expect(h.worker.passes).toBe(2);
    expect(h.maxConcurrent()).toBe(1);
  });

  test('runNow answers with a pass that starts after the call; concurrent callers share it', async () => {
    const h = harness();
    const first = gate();
    h.gates.set(1, first);
    const running = h.worker.runNow(); // works before start()
    await turnsUntil(() => h.order.length === 1);
    const shared = [h.worker.runNow(), h.worker.runNow(), h.worker.runNow()];
    first.open();
    expect(await running).toBe(1);
    expect(await Promise.all(shared)).toEqual([2, 2, 2]);
    expect(h.worker.passes).toBe(2);
    expect(h.worker.busy).toBe(false);
  });

  test('wake() before start() does nothing; wakeIn coalesces into one pass', async () => {
    const h = harness();
    h.worker.wake();
    h.worker.wakeIn(1);
    expect(h.worker.busy).toBe(false);
    h.worker.start();
    for (let i = 0; i < 5; i++) h.worker.wakeIn(5);
    h.worker.wakeIn(1); // sooner: replaces the pending one
    expect(h.worker.busy).toBe(true);
    await h.worker.afterPasses(1);
    expect(h.worker.passes).toBe(1);
    expect(h.worker.busy).toBe(false);
  });

  test('a failing pass is logged with the worker name and counted; the loop goes on', async () => {
    let calls = 0;
    const h = harness({
      intervalMs: 1,
      initialDelayMs: 0,
      pass: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return calls;
      },
    });
    h.worker.start();
    await h.worker.afterPasses(3);
    expect(h.worker.failures).toBe(1);
    expect(h.outcomes.slice(0, 3)).toEqual(['failed', 'ok', 'ok']);
    expect(h.warnings[0]).toMatchObject({ fields: { worker: 'test' }, message: 'test pass failed' });
    expect((h.warnings[0]!.fields as { err: Error }).err.message).toBe('boom');
  });

  test('a pass that throws at once is a failed pass too, and runNow rejects with its error', async () => {
    const h = harness({
      pass: () => {
        throw new Error('sync boom');
      },
    });
    await expect(h.worker.runNow()).rejects.toThrow('sync boom');
    expect(h.worker.failures).toBe(1);
    expect(h.worker.busy).toBe(false);
  });

  test('stop() aborts the signal, waits for the running pass, and nothing runs afterwards', async () => {
    const seen: boolean[] = [];
    const first = gate();
    const order: string[] = [];
    const worker = new PeriodicWorker<number>({
      name: 'draining',
      intervalMs: 1,
      initialDelayMs: 0,
      log: { warn: () => {} },
      pass: async (signal) => {
        order.push('start');
        await first.wait;
        seen.push(signal.aborted);
        order.push('end');
        return 1;
      },
    });
    workers.push(worker);
    worker.start();
    await turnsUntil(() => order.length === 1);
    // Caught at once: they reject inside stop(), before the assertions below look at them.
    const waiting = worker.runNow().catch((error: unknown) => error);
    const watching = worker.afterPasses(1).catch((error: unknown) => error);
    const stopped = worker.stop().then(() => order.push('stopped'));
    order.push('gate opened');
    first.open();
    await stopped;
    expect(order).toEqual(['start', 'gate opened', 'end', 'stopped']);
    expect(seen).toEqual([true]);
    expect(await waiting).toBeInstanceOf(WorkerStoppedError);
    expect(await watching).toBeInstanceOf(WorkerStoppedError);
    // Stopped for good: wakes are ignored, runNow refuses, no timer is left behind.
    worker.wake();
    worker.wakeIn(0);
    await expect(worker.runNow()).rejects.toBeInstanceOf(WorkerStoppedError);
    expect(worker.busy).toBe(false);
    expect(worker.passes).toBe(1);
    await worker.stop(); // twice is fine
  });
});

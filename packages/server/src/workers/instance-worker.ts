// A periodic worker of this instance: the primitive wired to the instance's log and to
// `grantkeeper_worker_passes_total{worker,outcome}` (how tests in other processes count passes).
import { Counter, type Registry } from 'prom-client';
import type { AppContext } from '../context.js';
import { PeriodicWorker, type PeriodicOptions } from './periodic.js';

const counters = new WeakMap<Registry, Counter<'worker' | 'outcome'>>();

function passCounter(registry: Registry): Counter<'worker' | 'outcome'> {
  let counter = counters.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'grantkeeper_worker_passes_total',
      help: 'Passes of the background workers, by worker and outcome (ok, failed)',
      labelNames: ['worker', 'outcome'] as const,
      registers: [registry],
    });
    counters.set(registry, counter);
  }
  return counter;
}

export function instanceWorker<R>(ctx: AppContext, options: Omit<PeriodicOptions<R>, 'log' | 'onPassEnd'>): PeriodicWorker<R> {
  const counter = passCounter(ctx.metrics.registry);
  return new PeriodicWorker<R>({
    ...options,
    log: ctx.log,
    onPassEnd: (outcome) => counter.inc({ worker: options.name, outcome }),
  });
}

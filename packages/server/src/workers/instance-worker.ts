// A periodic worker of this instance: the primitive wired to the instance's log and to
// `grantkeeper_worker_passes_total{worker,outcome}` (how tests in other processes count passes).
import type { AppContext } from '../context.js';
import { PeriodicWorker, type PeriodicOptions } from './periodic.js';

export function instanceWorker<R>(ctx: AppContext, options: Omit<PeriodicOptions<R>, 'log' | 'onPassEnd'>): PeriodicWorker<R> {
  return new PeriodicWorker<R>({
    ...options,
    log: ctx.log,
    onPassEnd: (outcome) => ctx.metrics.workerPasses.inc({ worker: options.name, outcome }),
  });
}

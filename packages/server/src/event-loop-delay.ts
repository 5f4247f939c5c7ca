// Event-loop delay for /metrics, measured so that every value it shows is a real one.
// prom-client's default collector reads a perf_hooks histogram and resets it at every scrape:
// a scrape with no sample since the last one (right after start, or two scrapes within the
// sampling period) showed the histogram's empty values — min 9223372036.85 s (int64 max in
// nanoseconds) and mean/stddev NaN. These gauges replace that collector's and keep the last
// measured window until new samples exist.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const STATISTICS: [name: string, help: string, read: (h: IntervalHistogram) => number][] = [
  ['min', 'The minimum recorded event loop delay.', (h) => h.min],
  ['max', 'The maximum recorded event loop delay.', (h) => h.max],
  ['mean', 'The mean of the recorded event loop delays.', (h) => h.mean],
  ['stddev', 'The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  ['p50', 'The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  ['p90', 'The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  ['p99', 'The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
];

/** Replaces the default collector's `<prefix>nodejs_eventloop_lag_<statistic>_seconds` gauges. */
export function registerEventLoopDelay(registry: Registry, prefix: string, resolutionMs = 10): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const gauges: { gauge: Gauge; read: (h: IntervalHistogram) => number }[] = [];
  for (const [statistic, help, read] of STATISTICS) {
    const name = `${prefix}nodejs_eventloop_lag_${statistic}_seconds`;
    registry.removeSingleMetric(name);
    // The first gauge's collect reads the window for all of them (a scrape reads them in order).
    const collect = gauges.length === 0 ? () => readWindow() : undefined;
    gauges.push({ gauge: new Gauge({ name, help, registers: [registry], ...(collect ? { collect } : {}) }), read });
  }
  function readWindow(): void {
    if (histogram.count === 0) return; // nothing sampled since the last scrape: keep the last window
    for (const { gauge, read } of gauges) gauge.set(read(histogram) / 1e9);
    histogram.reset();
  }
}

// Benchmarks print figures; they never pass or fail. Each result names its same-run
// baseline so a figure is read against this machine, not against a number in a doc.
import os from 'node:os';

export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** The same measure on the baseline in this run, if there is one. */
  baseline?: number;
}

export interface BenchResult {
  name: string;
  description: string;
  baselineName?: string;
  figures: Figure[];
  notes?: string[];
  /** One line per goal this result measures: the figure against the goal (docs/benchmarks.md's summary). */
  summary?: string[];
  reproduce: string;
}

/** "met" / "NOT met" for a summary line. */
export const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

export function printResult(result: BenchResult): void {
  process.stdout.write(`\n== ${result.name}\n${result.description}\n`);
  for (const f of result.figures) {
    const base = f.baseline !== undefined ? `   (baseline ${result.baselineName ?? ''}: ${fmt(f.baseline)} ${f.unit})` : '';
    process.stdout.write(`  ${f.label.padEnd(44)} ${fmt(f.value).padStart(10)} ${f.unit}${base}\n`);
  }
  for (const note of result.notes ?? []) process.stdout.write(`  note: ${note}\n`);
  for (const line of result.summary ?? []) process.stdout.write(`  goal: ${line}\n`);
}

export function markdown(result: BenchResult): string {
  const hasBaseline = result.figures.some((f) => f.baseline !== undefined);
  const rows = result.figures.map((f) =>
    hasBaseline
      ? `| ${f.label} | ${fmt(f.value)} ${f.unit} | ${f.baseline !== undefined ? `${fmt(f.baseline)} ${f.unit}` : '—'} |`
      : `| ${f.label} | ${fmt(f.value)} ${f.unit} |`,
  );
  const header = hasBaseline ? `| measure | Grantkeeper | ${result.baselineName ?? 'baseline'} (same run) |\n|---|---|---|` : '| measure | value |\n|---|---|';
  return [
    `### ${result.name}`,
    '',
    result.description,
    '',
    header,
    ...rows,
    '',
    ...(result.notes ?? []).map((n) => `- ${n}`),
    ...(result.notes?.length ? [''] : []),
    `Reproduce: \`${result.reproduce}\``,
    '',
  ].join('\n');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs a bench module's main when it is executed directly. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
}

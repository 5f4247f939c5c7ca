// The two reports `grantkeeper doctor` prints besides a connection's diagnosis: the server's
// readiness with the egress its provider calls use (`doctor` alone), and an integration's
// readiness against its provider's requirements (`doctor --<module> <integration>`, one flag
// per provider module that offers a report: the CLI names no provider itself).
import type { ReadinessReport } from '../diagnosis/readiness.js';
import type { IntegrationEgressView } from '../model/egress-report.js';
import { readinessModules } from '../providers/modules.js';
import { CliError, EXIT } from './args.js';
import { ApiClient, enc } from './api-client.js';
import { fields, line, paint, printJson, type Out } from './output.js';

export interface ServerReadiness {
  status: string;
  database: string;
  warnings: string[];
  egress?: { mode: 'direct' | 'proxy'; proxy: string | null; exclude: string[]; integrations?: IntegrationEgressView[] };
}

/** `--<module> <integration>` for every module with a report, as parseArgs options. */
export function readinessOptions(): Record<string, { type: 'string' }> {
  return Object.fromEntries(readinessModules().map((m) => [m.name, { type: 'string' as const }]));
}

export function readinessHelp(): string {
  return readinessModules()
    .map((m) => `  --${m.name} <integration>\n      readiness against ${m.title}`)
    .join('\n');
}

/** The module flag given, if any: [module, integration]. Two at once is a usage error for the caller to raise. */
export function readinessRequest(values: Record<string, unknown>): [string, string][] {
  return readinessModules().flatMap((m) => (typeof values[m.name] === 'string' ? [[m.name, values[m.name] as string] as [string, string]] : []));
}

export function egressText(view: { mode: string; proxy: string | null; source?: string }): string {
  const where = view.mode === 'proxy' ? `proxy ${view.proxy}` : 'direct';
  const why: Record<string, string> = {
    integration: "the integration's own outbound_proxy",
    instance: 'GRANTKEEPER_OUTBOUND_PROXY',
    excluded: 'host on GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE',
  };
  return view.source && why[view.source] ? `${where} (${why[view.source]})` : where;
}

export async function printServerReadiness(out: Out, api: ApiClient): Promise<number> {
  const res = await api.attempt<ServerReadiness>('GET', '/readyz');
  const body = (res.ok ? res.body : res.problem) as unknown as ServerReadiness;
  if (out.json) {
    printJson(out, body);
    return res.ok ? EXIT.ok : EXIT.failed;
  }
  line(out, `${paint(out, 'bold', 'Server')}  ${res.ok ? paint(out, 'green', body.status) : paint(out, 'red', body.status ?? `HTTP ${res.status}`)}  database ${body.database ?? '?'}`);
  for (const warning of body.warnings ?? []) line(out, `  ${paint(out, 'yellow', '!')} ${warning}`);
  if (body.egress) {
    line(out);
    fields(out, [
      ['Egress', egressText(body.egress)],
      ['Excluded hosts', body.egress.exclude.length > 0 ? body.egress.exclude.join(', ') : null],
    ]);
    for (const view of body.egress.integrations ?? []) line(out, `  ${view.integration}: ${egressText(view)}`);
  }
  return res.ok ? EXIT.ok : EXIT.failed;
}

const MARK = { pass: ['green', 'PASS'], warn: ['yellow', 'WARN'], fail: ['red', 'FAIL'] } as const;

/** Exit 0 when nothing fails, 1 when a requirement fails (scripts gate on it). */
export async function printReadiness(out: Out, api: ApiClient, module: string, integration: string, windowDays: number | undefined): Promise<number> {
  const report = (await api.get<ReadinessReport>(`/v1/integrations/${enc(integration)}/readiness`, windowDays ? { window_days: windowDays } : undefined)).body;
  if (report.module !== module) {
    throw new CliError(`Integration "${integration}" is a ${report.provider} integration: use --${report.module} ${integration}.`, [], EXIT.usage);
  }
  const code = report.summary.fail > 0 ? EXIT.failed : EXIT.ok;
  if (out.json) {
    printJson(out, report);
    return code;
  }
  line(out, `${paint(out, 'bold', report.integration)}  ${report.title}`);
  line(out, paint(out, 'gray', `history of the last ${report.window_days} days · ${report.summary.pass} pass, ${report.summary.warn} warn, ${report.summary.fail} fail`));
  for (const check of report.checks) {
    const [colour, label] = MARK[check.status];
    line(out);
    line(out, `${paint(out, colour, label)}  ${paint(out, 'bold', check.title)}`);
    line(out, `      ${check.detail}`);
    if (check.fix) line(out, `      Fix: ${check.fix}`);
  }
  return code;
}

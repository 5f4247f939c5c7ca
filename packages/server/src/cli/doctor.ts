// `grantkeeper doctor <connection-id>` — why a grant is in trouble, who must act, and the
// history that led there, from the running server's API (the connection and its events);
// `doctor` alone and `doctor --<module> <integration>`: doctor-reports.ts.
import type { Connection, ConnectionEvent, Integration, Page } from '../api/schemas.js';
import { API_OPTIONS, API_OPTIONS_HELP, UsageError, exactPositionals, intOption, parse } from './args.js';
import { ApiClient, enc, resolveTarget } from './api-client.js';
import { lastError } from './connections.js';
import { fields, line, makeOut, paint, printJson, status, table, truncate, when, type Out } from './output.js';
import { readinessModules } from '../providers/modules.js';
import { egressText, printReadiness, printServerReadiness, readinessHelp, readinessOptions, readinessRequest, type ServerReadiness } from './doctor-reports.js';

const USAGE = `Usage: grantkeeper doctor [<connection-id>] [--events N]
       grantkeeper doctor --<module> <integration> [--window-days N]

With a connection id: the connection's diagnosis — summary, likely causes, the steps that fix
it, who must act (end user, org admin, developer, or nobody: a transient provider problem),
how to keep it from happening again — the egress its provider calls use, and its recent
history, newest first.

Without one: the server's readiness (database, warnings) and the egress provider calls use
(direct, or the outbound proxy as host:port, and every integration whose route differs).

With a provider flag: the integration's readiness against that provider's requirements, one
line each, pass/warn/fail with the fix; exit code 1 when a requirement fails.
${readinessHelp()}

  --events N       how many events to show (default 20, max 500)
  --window-days N  how much refresh history the readiness report reads (default 30, max 365)

${API_OPTIONS_HELP}

Examples:
  grantkeeper doctor conn_2x5Kq…
  grantkeeper doctor conn_2x5Kq… --json | jq .diagnosis.who_fixes
  grantkeeper doctor
${readinessModules().map((m) => `  grantkeeper doctor --${m.name} ${m.name}-prod --json`).join('\n')}`;

const OPTIONS = { ...API_OPTIONS, events: { type: 'string' }, 'window-days': { type: 'string' }, ...readinessOptions() } as const;

const WHO: Record<string, string> = {
  end_user: 'the end user (reconnect)',
  org_admin: "the customer's org admin",
  developer: 'you, the developer (the integration or the app)',
  nobody_transient: 'nobody — the provider is having trouble; Grantkeeper retries with backoff',
};

export async function runDoctor(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS, USAGE);
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = makeOut(values.json ?? false);
  const api = new ApiClient(resolveTarget(values));
  const asked = readinessRequest(values);
  if (asked.length > 1) throw new UsageError('Give one provider flag at a time.', USAGE);
  if (asked.length === 1) {
    exactPositionals(positionals, [], USAGE);
    const [module, integration] = asked[0]!;
    return printReadiness(out, api, module, integration, intOption(values['window-days'], 'window-days', USAGE, { max: 365 }));
  }
  if (positionals.length === 0) return printServerReadiness(out, api);
  const [id] = exactPositionals(positionals, ['connection-id'], USAGE);
  const limit = intOption(values.events, 'events', USAGE, { max: 500 }) ?? 20;
  const connection = (await api.get<Connection>(`/v1/connections/${enc(id!)}`)).body;
  const events = (await api.get<Page<ConnectionEvent>>(`/v1/connections/${enc(id!)}/events`, { limit })).body.data;
  let integration: Integration | null = null;
  if (connection.status === 'integration_error') integration = (await api.get<Integration>(`/v1/integrations/${enc(connection.integration)}`)).body;
  const reconnectUrl = connection.status === 'needs_reauth' ? await reconnectLink(api, id!) : null;
  const egress = await connectionEgress(api, connection.integration);
  if (out.json) {
    printJson(out, { connection, diagnosis: connection.diagnosis, reconnect_url: reconnectUrl, egress, events, ...(integration ? { integration } : {}) });
    return 0;
  }
  report(out, connection, events, integration, reconnectUrl, egress);
  return 0;
}

/**
 * The signed link the end user reconnects with. It comes with the token endpoint's 409, which
 * on a needs_reauth connection never calls the provider, so asking for it changes nothing.
 */
async function reconnectLink(api: ApiClient, id: string): Promise<string | null> {
  const res = await api.attempt<unknown>('GET', `/v1/connections/${enc(id)}/token`);
  if (res.ok || res.status !== 409) return null;
  const url = res.problem.reconnect_url;
  return typeof url === 'string' ? url : null;
}

/** The route the connection's integration uses, from `/readyz` (null when the server does not say). */
async function connectionEgress(api: ApiClient, integrationKey: string): Promise<{ mode: string; proxy: string | null; source?: string } | null> {
  const res = await api.attempt<ServerReadiness>('GET', '/readyz');
  const egress = res.ok ? res.body.egress : undefined;
  if (!egress) return null;
  return egress.integrations?.find((v) => v.integration === integrationKey) ?? { mode: egress.mode, proxy: egress.proxy, source: egress.proxy ? 'instance' : 'none' };
}

function report(out: Out, c: Connection, events: ConnectionEvent[], integration: Integration | null, reconnectUrl: string | null, egress: Parameters<typeof egressText>[0] | null): void {
  line(out, `${paint(out, 'bold', c.id)}  ${status(out, c.status)}  ${c.integration} · end user ${c.end_user.id}${c.provider_account.org_id ? ` · org ${c.provider_account.org_id}` : ''}`);
  line(out);
  const d = c.diagnosis;
  if (!d) {
    if (c.status === 'active') line(out, paint(out, 'green', 'Healthy: the grant refreshes normally. Nothing to fix.'));
    else if (c.status === 'integration_error' && integration?.last_error)
      line(out, `The integration "${c.integration}" is in error: ${lastError(integration.last_error)}. Fix its credentials or configuration (grantkeeper integrations update ${c.integration} …).`);
    else line(out, `No diagnosis yet (status ${c.status}).`);
  } else {
    line(out, `${paint(out, 'bold', 'Diagnosis')}  ${d.code}${d.confidence && d.confidence !== 'certain' ? paint(out, 'gray', ` (${d.confidence})`) : ''}`);
    line(out, `  ${d.summary}`);
    line(out);
    fields(out, [
      ['Who fixes it', WHO[d.who_fixes] ?? d.who_fixes],
      ['Reconnect link', reconnectUrl],
    ]);
    section(out, 'Likely causes', d.causes.map((s) => `• ${s}`));
    section(out, 'Fix', d.fix.map((s, i) => `${i + 1}. ${s}`));
    section(out, 'Prevention', d.prevention.map((p) => `• [${p.who}] ${p.step}`));
  }
  if (c.last_error || egress) {
    line(out);
    fields(out, [
      ['Last provider answer', c.last_error ? lastError(c.last_error) : null],
      ['Egress', egress ? egressText(egress) : null],
    ]);
  }
  line(out);
  line(out, paint(out, 'bold', `History (newest first, ${events.length} event${events.length === 1 ? '' : 's'})`));
  if (events.length === 0) {
    line(out, '  none');
    return;
  }
  table(
    out,
    ['AT', 'EVENT', 'TRIGGER', 'OUTCOME', 'PROVIDER ANSWER', 'MS'],
    events.map((e) => [
      when(e.at),
      `${e.type}${e.rotated ? ' ↻' : ''}`,
      e.trigger ?? '',
      e.outcome ? paint(out, e.outcome === 'success' ? 'green' : e.outcome === 'transient_error' ? 'yellow' : e.outcome === 'permanent_error' ? 'red' : 'gray', e.outcome) : '',
      truncate([e.http_status, e.error, e.error_description].filter((x) => x !== null && x !== undefined && x !== '').join(' '), 60),
      e.duration_ms === null || e.duration_ms === undefined ? '' : String(e.duration_ms),
    ]),
  );
}

function section(out: Out, title: string, items: string[]): void {
  if (items.length === 0) return;
  line(out);
  line(out, paint(out, 'bold', title));
  for (const item of items) line(out, `  ${item}`);
}

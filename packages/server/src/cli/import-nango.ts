// `grantkeeper import --from-nango <url>`: every connection of a Nango environment, read with
// its current refresh token through Nango's API, imported with external_id = its Nango
// connectionId (docs/migrating-from-nango.md). Resumable: what Grantkeeper already holds (by
// external_id) is skipped before Nango is even asked for its tokens; a connection imported by
// an interrupted run's last request is recognised by its 409 and counted as imported before.
import type { Connection, Page } from '../api/schemas.js';
import { UsageError, intOption } from './args.js';
import { ApiClient, resolveTarget } from './api-client.js';
import { importRow, type Outcome } from './import.js';
import { idempotencyKeyFor, type ImportRow } from './import-file.js';
import { NangoSource, type NangoConnection, type NangoConnectionSummary } from './nango-source.js';
import { pairs, prepareIntegrations, readSecrets, type TargetIntegration } from './nango-integrations.js';
import { line, makeOut, paint, printJson, type Out } from './output.js';
import { ProgressBar } from './progress.js';

interface NangoImportValues {
  url?: string;
  key?: string;
  json?: boolean;
  verify?: boolean;
  concurrency?: string;
  'from-nango'?: string;
  'nango-secret-key'?: string;
  map?: string[];
  secrets?: string;
  'client-secret'?: string[];
}

type Skip = { skip: string };
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISSUED_AT = /^(\d{10,16}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))$/;

/** A Nango connection as the body of POST /v1/connections, or why it cannot be kept alive. */
function importBody(c: NangoConnection, target: TargetIntegration): ImportRow['body'] | Skip {
  const credentials = c.credentials ?? {};
  const raw = isRecord(credentials.raw) ? credentials.raw : {};
  if (credentials.type !== undefined && credentials.type !== 'OAUTH2') return { skip: `a ${credentials.type} connection: Grantkeeper keeps OAuth 2 grants alive` };
  const refreshToken = text(credentials.refresh_token) ?? text(raw.refresh_token);
  if (!refreshToken) return { skip: 'no refresh token: there is no grant to keep alive' };
  const config = isRecord(c.connection_config) ? c.connection_config : {};
  const connectionConfig = Object.fromEntries(Object.entries(config).filter((e): e is [string, string] => target.configNames.has(e[0]) && typeof e[1] === 'string'));
  const accessToken = text(credentials.access_token) ?? text(raw.access_token);
  // The instance URL Nango kept, or the field the provider's token response names its API base in (api_domain…).
  const instanceUrl = text(config.instance_url) ?? text(raw.instance_url) ?? (target.apiBaseField ? text(raw[target.apiBaseField]) : undefined);
  const idUrl = text(raw.id);
  const issuedAt = raw.issued_at === undefined ? undefined : String(raw.issued_at);
  const email = text(c.end_user?.email);
  const metadata = isRecord(c.metadata) && Object.keys(c.metadata).length > 0 ? c.metadata : undefined;
  return {
    integration: target.key,
    external_id: c.connection_id,
    end_user: { id: text(c.end_user?.id) ?? c.connection_id, ...(email && EMAIL.test(email) ? { email } : {}) },
    ...(metadata ? { metadata } : {}),
    ...(Object.keys(connectionConfig).length > 0 ? { connection_config: connectionConfig } : {}),
    credentials: {
      refresh_token: refreshToken,
      ...(accessToken ? { access_token: accessToken } : {}),
      ...(instanceUrl && /^https?:\/\//i.test(instanceUrl) ? { instance_url: instanceUrl } : {}),
      ...(idUrl && /^https?:\/\//i.test(idUrl) ? { id_url: idUrl } : {}),
      ...(issuedAt && ISSUED_AT.test(issuedAt) ? { issued_at: issuedAt } : {}),
    },
  };
}

/** The external ids Grantkeeper already holds in each target integration. */
async function alreadyHeld(gk: ApiClient, targets: Iterable<TargetIntegration>): Promise<Set<string>> {
  const held = new Set<string>();
  for (const target of new Set([...targets].map((t) => t.key))) {
    let cursor: string | undefined;
    do {
      const page = await gk.get<Page<Connection>>('/v1/connections', { integration: target, limit: 500, cursor });
      for (const c of page.body.data) if (c.external_id) held.add(`${target}\u0000${c.external_id}`);
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
  }
  return held;
}

export async function runNangoImport(values: NangoImportValues, usage: string): Promise<number> {
  const secretKey = values['nango-secret-key'] ?? process.env.NANGO_SECRET_KEY;
  if (!secretKey) throw new UsageError('--from-nango needs --nango-secret-key (or NANGO_SECRET_KEY).', usage);
  let nangoUrl: URL;
  try {
    nangoUrl = new URL(values['from-nango']!);
    if (nangoUrl.protocol !== 'http:' && nangoUrl.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`--from-nango must be Nango's http(s) URL, got "${values['from-nango']}".`, usage);
  }
  const concurrency = intOption(values.concurrency, 'concurrency', usage, { max: 32 }) ?? 4;
  const map = pairs(values.map, 'map', usage);
  const secrets = readSecrets(values.secrets, pairs(values['client-secret'], 'client-secret', usage));
  const out = makeOut(values.json ?? false);
  const gk = new ApiClient(resolveTarget(values));
  const nango = new NangoSource(nangoUrl.href, secretKey);
  const bar = new ProgressBar();

  const listed: NangoConnectionSummary[] = [];
  for await (const summary of nango.connections()) {
    listed.push(summary);
    bar.update('listing Nango', listed.length, listed.length + 1);
  }
  bar.update('listing Nango', listed.length, listed.length);
  const targets = await prepareIntegrations(gk, nango, [...new Set(listed.map((c) => c.provider_config_key))], map, secrets);
  const held = await alreadyHeld(gk, targets.values());

  const outcomes: (Outcome & { connection: string })[] = [];
  const pending = listed
    .map((summary, i) => ({ summary, row: i + 1, target: targets.get(summary.provider_config_key)! }))
    .filter(({ summary, row, target }) => {
      if (!held.has(`${target.key}\u0000${summary.connection_id}`)) return true;
      outcomes.push({ row, status: 'already_imported', connection_id: null, connection: summary.connection_id });
      return false;
    });
  let done = 0;
  bar.update('importing', 0, pending.length);
  const worker = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) {
      const { summary, row, target } = next;
      let connection: NangoConnection;
      try {
        connection = await nango.connection(summary);
      } catch (error) {
        outcomes.push({ row, status: 'failed', http_status: null, code: 'nango_read_failed', detail: error instanceof Error ? error.message : String(error), connection: summary.connection_id });
        bar.update('importing', ++done, done + pending.length);
        continue;
      }
      const body = importBody(connection, target);
      if ('skip' in body) outcomes.push({ row, status: 'skipped', problems: [{ row, field: 'credentials', message: body.skip }], connection: summary.connection_id });
      else outcomes.push({ ...(await importRow(gk, { row, body, idempotencyKey: idempotencyKeyFor(body) }, values.verify ?? false, ['duplicate_grant', 'retired_grant', 'external_id_taken'])), connection: summary.connection_id });
      bar.update('importing', ++done, done + pending.length);
    }
  };
  const total = pending.length;
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker));
  outcomes.sort((a, b) => a.row - b.row);

  const count = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  const created = [...targets.values()].filter((t) => t.created).map((t) => t.key);
  const summary = { total: listed.length, imported: count('imported'), already_imported: count('already_imported'), failed: count('failed'), skipped: count('skipped'), integrations_created: created };
  if (out.json) printJson(out, { ...summary, connections: outcomes });
  else report(out, nango.url, summary, outcomes);
  return summary.failed > 0 ? 1 : 0;
}

function report(out: Out, from: string, s: { total: number; imported: number; already_imported: number; failed: number; skipped: number; integrations_created: string[] }, outcomes: (Outcome & { connection: string })[]): void {
  if (s.integrations_created.length) line(out, `Created integration${s.integrations_created.length === 1 ? '' : 's'} ${s.integrations_created.join(', ')}.`);
  const parts = [paint(out, 'green', `${s.imported} imported`), `${s.already_imported} already imported`, s.failed ? paint(out, 'red', `${s.failed} failed`) : '0 failed', `${s.skipped} not OAuth 2 grants (skipped)`];
  line(out, `${parts.join(', ')} — of ${s.total} Nango connection${s.total === 1 ? '' : 's'} at ${from}.`);
  for (const o of outcomes) {
    if (o.status === 'skipped') line(out, `  ${o.connection}: skipped — ${o.problems.map((p) => p.message).join('; ')}`);
    if (o.status === 'failed') line(out, `  ${o.connection}: ${o.http_status ? `${o.http_status} ` : ''}${o.code} — ${o.detail}`);
  }
  if (s.failed) line(out, paint(out, 'gray', 'Run the same command again after fixing the cause: imported connections are recognised and skipped.'));
  else line(out, paint(out, 'gray', 'Next: switch the SDK host to Grantkeeper, and never delete the Nango connections (docs/migrating-from-nango.md).'));
}


// `grantkeeper import <file.csv|file.json>` — bulk import of refresh tokens obtained elsewhere.
// Every row is validated before the first request; each row is one POST /v1/connections with
// an Idempotency-Key derived from the row itself, so an import killed halfway can simply be run
// again: rows that made it are answered from the server's idempotency record (or, after its
// 24 h, by 409 duplicate_grant, or 409 retired_grant once the server has rotated the token
// since) and counted as "already imported", never created twice.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Connection, Integration } from '../api/schemas.js';
import { API_OPTIONS, API_OPTIONS_HELP, CliError, EXIT, exactPositionals, intOption, parse } from './args.js';
import { ApiClient, ApiError, enc, resolveTarget, type Problem } from './api-client.js';
import { catalogExamples, type Examples } from './examples.js';
import { CSV_COLUMNS, parseImportFile, type ImportRow, type RowProblem } from './import-file.js';
import { line, makeOut, paint, printJson, type Out } from './output.js';
import { ProgressBar } from './progress.js';

const SYNOPSIS = 'Usage: grantkeeper import <file.csv|file.json> [options]\n       grantkeeper import --from-nango <url> --nango-secret-key <key> [options]';

const usage = (example: Examples) => `${SYNOPSIS}

Imports existing refresh tokens as connections (POST /v1/connections, one request per row).
Every row is validated first; if any row is invalid, every problem is listed with its row
number and nothing is imported (unless --skip-invalid). Re-running the same file after an
interruption resumes it: rows already imported are recognised, never duplicated.

  --integration KEY   the integration for rows that do not name one
  --skip-invalid      import the valid rows, report the invalid ones as skipped
  --dry-run           validate only (checks the integrations exist on the server)
  --verify            refresh each grant once while importing (?verify=true): proves it works
  --concurrency N     rows in flight at once (default 4, max 32)

CSV: a header row with the columns ${CSV_COLUMNS.join(', ')} (metadata as a JSON object),
and any metadata.<key> / connection_config.<key> columns. Quote fields with commas or quotes.
JSON: an array of POST /v1/connections request bodies (docs/api.md):
  [{ "integration": "${example.integration}", "end_user": { "id": "user-42", "email": "a@b.c" },
     "metadata": {}, "connection_config": {},
     "credentials": { "refresh_token": "5Aep…", "access_token": "00D…", "instance_url": "https://…",
                      "id_url": "https://…", "issued_at": "1700000000000" } }]

From Nango (docs/migrating-from-nango.md): reads every connection of a Nango environment
through Nango's API, with its current refresh token, and imports it with external_id = its
Nango connectionId. Stop Nango's refreshing first. Resumable: connections already imported
(by external_id) are skipped.
  --from-nango URL           Nango's API (https://api.nango.dev, or your self-hosted server)
  --nango-secret-key KEY     the Nango environment's secret key (default: $NANGO_SECRET_KEY)
  --map NANGO_KEY=GK_KEY     import a Nango integration into this Grantkeeper integration (repeatable)
  --secrets FILE             client secrets of integrations to create: {"nango_key": "secret"}
                             or {"nango_key": {"client_secret": "…", "auth_base_url": "…", …}}
  --client-secret NANGO_KEY=SECRET   the same, one integration per flag (repeatable)
  (--concurrency and --json apply; --verify refreshes each grant once after importing it)

Exit status: 0 when every row is imported or already was, 1 when a row failed or was invalid
(or, with --verify, when an imported grant did not refresh: it is imported, and listed).

${API_OPTIONS_HELP}

Examples:
  grantkeeper import grants.csv --integration ${example.integration}
  grantkeeper import grants.json --dry-run
  grantkeeper import grants.csv --skip-invalid --json > report.json
  grantkeeper import --from-nango https://api.nango.dev --map crm=${example.integration} --secrets secrets.json`;

const OPTIONS = {
  ...API_OPTIONS,
  integration: { type: 'string' },
  'skip-invalid': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  verify: { type: 'boolean' },
  concurrency: { type: 'string' },
  'from-nango': { type: 'string' },
  'nango-secret-key': { type: 'string' },
  map: { type: 'string', multiple: true },
  secrets: { type: 'string' },
  'client-secret': { type: 'string', multiple: true },
} as const;

export type Outcome =
  | { row: number; line?: number; status: 'imported' | 'already_imported'; connection_id: string | null; connection_status?: string; diagnosis?: string | null }
  | { row: number; line?: number; status: 'failed'; http_status: number | null; code: string; detail: string; errors?: { field: string; message: string }[] }
  | { row: number; line?: number; status: 'skipped'; problems: RowProblem[] };

export async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS, SYNOPSIS);
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(`${usage(await catalogExamples())}\n`);
    return 0;
  }
  if (values['from-nango'] !== undefined) {
    exactPositionals(positionals, [], SYNOPSIS);
    return (await import('./import-nango.js')).runNangoImport(values, SYNOPSIS);
  }
  const [file] = exactPositionals(positionals, ['file.csv|file.json'], SYNOPSIS);
  const concurrency = intOption(values.concurrency, 'concurrency', SYNOPSIS, { max: 32 }) ?? 4;
  const out = makeOut(values.json ?? false);
  const api = new ApiClient(resolveTarget(values));

  let text: string;
  try {
    text = readFileSync(file!, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? (('code' in error && typeof error.code === 'string' ? error.code : undefined) ?? error.message) : String(error);
    throw new CliError(`Cannot read ${file}: ${reason}.`);
  }
  const parsed = parseImportFile(basename(file!), text, { integration: values.integration });
  if (parsed.fileProblems.length) {
    throw new CliError(`${file} cannot be imported:`, parsed.fileProblems, EXIT.failed, { error: { code: 'invalid_file', problems: parsed.fileProblems } });
  }
  await checkIntegrations(api, parsed.rows, parsed.invalid);
  parsed.invalid.sort((a, b) => a.row - b.row);
  const total = parsed.rows.length + parsed.invalid.length;

  if (parsed.invalid.length && !values['skip-invalid']) {
    const problems = parsed.invalid.flatMap((r) => r.problems);
    throw new CliError(
      `Nothing imported: ${parsed.invalid.length} of ${total} rows are invalid. Fix them, or pass --skip-invalid to import the ${parsed.rows.length} valid rows.`,
      problems.map(describeRowProblem),
      EXIT.failed,
      { error: { code: 'invalid_rows', invalid: parsed.invalid.length, total, problems } },
    );
  }
  const skipped: Outcome[] = parsed.invalid.map((r) => ({ row: r.row, line: r.line, status: 'skipped', problems: r.problems }));
  if (values['dry-run']) {
    if (out.json) printJson(out, { dry_run: true, total, valid: parsed.rows.length, invalid: skipped });
    else {
      line(out, `${file}: ${parsed.rows.length} of ${total} rows are valid${skipped.length ? ` (${skipped.length} would be skipped)` : ''}. Nothing imported (--dry-run).`);
      for (const s of skipped) if (s.status === 'skipped') for (const p of s.problems) line(out, `  ${describeRowProblem(p)}`);
    }
    return 0;
  }

  const bar = new ProgressBar();
  const outcomes: Outcome[] = [...skipped];
  let done = 0;
  bar.update('importing', 0, parsed.rows.length);
  const queue = [...parsed.rows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      outcomes.push(await importRow(api, row, values.verify ?? false));
      bar.update('importing', ++done, parsed.rows.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, parsed.rows.length)) }, worker));
  outcomes.sort((a, b) => a.row - b.row);

  const count = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  const unhealthy = outcomes.filter((o) => 'connection_status' in o && o.connection_status).length;
  const summary = { total, imported: count('imported'), already_imported: count('already_imported'), failed: count('failed'), skipped: count('skipped'), unhealthy };
  if (out.json) printJson(out, { ...summary, rows: outcomes });
  else report(out, summary, outcomes);
  return summary.failed || summary.skipped || summary.unhealthy ? EXIT.failed : EXIT.ok;
}

/** An unknown integration is a problem of every row that names it, found before any import. */
async function checkIntegrations(api: ApiClient, rows: ImportRow[], invalid: { row: number; line?: number; problems: RowProblem[] }[]): Promise<void> {
  const keys = [...new Set(rows.map((r) => r.body.integration))];
  const missing = new Set<string>();
  for (const key of keys) {
    try {
      await api.get<Integration>(`/v1/integrations/${enc(key)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) missing.add(key);
      else throw error;
    }
  }
  if (!missing.size) return;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (!missing.has(r.body.integration)) continue;
    const problem = { row: r.row, line: r.line, field: 'integration', message: `no integration "${r.body.integration}" on the server` };
    const existing = invalid.find((x) => x.row === r.row);
    if (existing) existing.problems.push(problem);
    else invalid.push({ row: r.row, line: r.line, problems: [problem] });
    rows.splice(i, 1);
  }
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * One POST /v1/connections, retried when that is safe. `alreadyCodes`: the 409s that mean the
 * row was imported before (a Nango import adds external_id_taken: its ids come from one source).
 */
export async function importRow(api: ApiClient, row: ImportRow, verify: boolean, alreadyCodes: readonly string[] = ['duplicate_grant', 'retired_grant']): Promise<Outcome> {
  const where = { row: row.row, ...(row.line !== undefined ? { line: row.line } : {}) };
  let last: Problem | null = null;
  // A key "in use" means the interrupted run's request for this row is still being processed;
  // waiting for it is what keeps the row from being imported twice.
  for (let attempt = 0; attempt < 40; attempt++) {
    let res;
    try {
      res = await api.attempt<Connection>('POST', '/v1/connections', {
        body: row.body,
        query: { verify: verify ? 'true' : undefined },
        headers: { 'idempotency-key': row.idempotencyKey },
      });
    } catch (error) {
      // Unreachable or timed out: the request may or may not have landed; the same key makes a retry safe.
      last = { status: 0, code: 'unreachable', detail: error instanceof Error ? error.message : String(error) };
      if (attempt >= 3) break;
      await sleep(500 * 2 ** attempt);
      continue;
    }
    if (res.ok) {
      const replayed = res.headers.get('idempotent-replayed') === 'true';
      const connection = res.body;
      return {
        ...where,
        status: replayed ? 'already_imported' : 'imported',
        connection_id: connection.id,
        // With --verify the answer carries the outcome of the refresh: say which grants are not alive.
        ...(verify && connection.status !== 'active'
          ? { connection_status: connection.status, diagnosis: connection.diagnosis?.code ?? connection.last_error?.error ?? null }
          : {}),
      };
    }
    const problem = res.problem;
    if (res.status === 409 && problem.code !== undefined && alreadyCodes.includes(problem.code)) {
      return { ...where, status: 'already_imported', connection_id: typeof problem.connection_id === 'string' ? problem.connection_id : null };
    }
    last = problem;
    if (res.status === 409 && problem.code === 'idempotency_key_in_use') {
      await sleep(250);
      continue;
    }
    if (RETRYABLE_STATUS.has(res.status) && attempt < 3) {
      await sleep(Math.max(500 * 2 ** attempt, Number(res.headers.get('retry-after') ?? 0) * 1000));
      continue;
    }
    break;
  }
  return {
    ...where,
    status: 'failed',
    http_status: last?.status || null,
    code: last?.code ?? 'failed',
    detail: last?.detail ?? last?.title ?? 'the import of this row failed',
    ...(last?.errors ? { errors: last.errors } : {}),
  };
}

export function report(out: Out, s: { total: number; imported: number; already_imported: number; failed: number; skipped: number; unhealthy: number }, outcomes: Outcome[]): void {
  const parts = [
    paint(out, 'green', `${s.imported} imported`),
    `${s.already_imported} already imported`,
    s.failed ? paint(out, 'red', `${s.failed} failed`) : '0 failed',
    ...(s.skipped ? [paint(out, 'yellow', `${s.skipped} skipped (invalid)`)] : []),
  ];
  line(out, `${parts.join(', ')} — of ${s.total} row${s.total === 1 ? '' : 's'}.`);
  const unhealthy = outcomes.filter((o) => 'connection_status' in o && o.connection_status);
  if (unhealthy.length) {
    line(out);
    line(out, paint(out, 'yellow', `${unhealthy.length} imported grant${unhealthy.length === 1 ? '' : 's'} did not refresh (--verify):`));
    for (const o of unhealthy) {
      if (!('connection_id' in o)) continue;
      line(out, `  row ${o.row}${o.line !== undefined ? ` (line ${o.line})` : ''}: ${o.connection_id} is ${o.connection_status}${o.diagnosis ? ` (${o.diagnosis})` : ''} — grantkeeper doctor ${o.connection_id}`);
    }
  }
  const failed = outcomes.filter((o) => o.status === 'failed' || o.status === 'skipped');
  if (!failed.length) return;
  line(out);
  for (const o of failed) {
    const at = `row ${o.row}${o.line !== undefined ? ` (line ${o.line})` : ''}`;
    if (o.status === 'skipped') for (const p of o.problems) line(out, `  ${describeRowProblem(p)}`);
    if (o.status === 'failed') {
      line(out, `  ${at}: ${o.http_status ? `${o.http_status} ` : ''}${o.code} — ${o.detail}`);
      for (const e of o.errors ?? []) line(out, `      ${e.field}: ${e.message}`);
    }
  }
  line(out);
  line(out, paint(out, 'gray', 'Fix the failed rows and run the same command again: imported rows are recognised and skipped.'));
}

function describeRowProblem(p: RowProblem): string {
  return `row ${p.row}${p.line !== undefined ? ` (line ${p.line})` : ''}: ${p.field} ${p.message}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

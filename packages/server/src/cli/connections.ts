// `grantkeeper connections list|show|refresh|delete` — end users' grants, over /v1/connections.
import { createInterface } from 'node:readline/promises';
import type { Connection, LastError, Page, TokenResponse } from '../api/schemas.js';
import { API_OPTIONS, API_OPTIONS_HELP, CliError, EXIT, UsageError, exactPositionals, intOption, parse } from './args.js';
import { ApiClient, ApiError, enc, resolveTarget } from './api-client.js';
import { catalogExamples, type Examples } from './examples.js';
import { fields, line, makeOut, paint, printJson, status, table, truncate, when, type Out } from './output.js';

const SYNOPSIS = 'Usage: grantkeeper connections <list|show|refresh|delete> [options]';

const usage = (example: Examples) => `${SYNOPSIS}

  list [filters]             connections, newest first (one page; --all follows every page)
      --integration KEY  --status active|refresh_failing|needs_reauth|integration_error
      --end-user ID  --org ORG_ID  --external-id ID (e.g. a Nango connectionId)  --limit N (default 50, max 500)  --cursor C  --all
  show <id>                  one connection, with its last error and diagnosis
  refresh <id>               refresh now (an operator's "try now"; ignores backoff)
      --show-token           also print the new access token (hidden by default)
  delete <id> --yes          delete it and revoke its grant at the provider

${API_OPTIONS_HELP}

Examples:
  grantkeeper connections list --status needs_reauth
  grantkeeper connections list --integration ${example.integration} --all --json | jq '.data[].id'
  grantkeeper connections show conn_2x5Kq…
  grantkeeper connections refresh conn_2x5Kq…
  grantkeeper doctor conn_2x5Kq…           # why a grant died, and who must act`;

const OPTIONS = {
  ...API_OPTIONS,
  integration: { type: 'string' },
  status: { type: 'string' },
  'end-user': { type: 'string' },
  org: { type: 'string' },
  'external-id': { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  'show-token': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const STATUSES = ['active', 'refresh_failing', 'needs_reauth', 'integration_error'];

export async function runConnections(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, OPTIONS, SYNOPSIS);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' || values.help) {
    process.stdout.write(`${usage(await catalogExamples())}\n`);
    return 0;
  }
  const out = makeOut(values.json ?? false);
  switch (sub) {
    case 'list': {
      exactPositionals(positionals, [], SYNOPSIS);
      if (values.status !== undefined && !STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}.`, SYNOPSIS);
      const limit = intOption(values.limit, 'limit', SYNOPSIS, { max: 500 }) ?? 50;
      const api = new ApiClient(resolveTarget(values));
      const data: Connection[] = [];
      let cursor = values.cursor;
      let next: string | null = null;
      do {
        const page = await api.get<Page<Connection>>('/v1/connections', {
          limit: values.all ? 500 : limit,
          cursor,
          integration: values.integration,
          status: values.status,
          end_user_id: values['end-user'],
          org_id: values.org,
          external_id: values['external-id'],
        });
        data.push(...page.body.data);
        next = page.body.next_cursor;
        cursor = next ?? undefined;
      } while (values.all && cursor);
      if (out.json) {
        printJson(out, { data, next_cursor: next });
        return 0;
      }
      if (data.length === 0) line(out, 'No connections match.');
      else
        table(
          out,
          ['ID', 'INTEGRATION', 'END USER', 'EXTERNAL ID', 'STATUS', 'ORG', 'GEN', 'LAST REFRESH', 'GRANT', 'PROBLEM'],
          data.map((c) => [
            c.id,
            c.integration,
            truncate(c.end_user.id, 24),
            c.external_id ? truncate(c.external_id, 24) : '—',
            status(out, c.status),
            c.provider_account.org_id ?? '—',
            String(c.generation),
            when(c.last_refreshed_at),
            c.grant_type,
            c.diagnosis ? `${c.diagnosis.code} (${c.diagnosis.who_fixes})` : c.last_error ? truncate(`${c.last_error.error ?? c.last_error.http_status}`, 30) : '',
          ]),
        );
      if (next) line(out, paint(out, 'gray', `More: --cursor ${next}  (or --all)`));
      return 0;
    }
    case 'show': {
      const [id] = exactPositionals(positionals, ['id'], SYNOPSIS);
      const api = new ApiClient(resolveTarget(values));
      const { body } = await api.get<Connection>(`/v1/connections/${enc(id!)}`);
      if (out.json) printJson(out, body);
      else showConnection(out, body);
      return 0;
    }
    case 'refresh': {
      const [id] = exactPositionals(positionals, ['id'], SYNOPSIS);
      const api = new ApiClient(resolveTarget(values));
      let token: TokenResponse;
      try {
        token = (await api.request<TokenResponse>('POST', `/v1/connections/${enc(id!)}/refresh`)).body;
      } catch (error) {
        throw explainRefreshFailure(error, id!);
      }
      const shown = values['show-token'] ? token : { ...token, access_token: undefined };
      if (out.json) printJson(out, shown);
      else {
        line(out, `Refreshed ${id}: generation ${token.generation}, access token valid until ${when(token.expires_at)}.`);
        if (values['show-token']) line(out, token.access_token);
      }
      return 0;
    }
    case 'delete': {
      const [id] = exactPositionals(positionals, ['id'], SYNOPSIS);
      const api = new ApiClient(resolveTarget(values));
      if (!values.yes && !(await confirm(`Delete ${id} and revoke its grant at the provider? [y/N] `))) {
        throw new CliError('Not deleted.', process.stdin.isTTY ? [] : ['Pass --yes to delete without asking.'], EXIT.usage);
      }
      await api.request<null>('DELETE', `/v1/connections/${enc(id!)}`);
      if (out.json) printJson(out, { id, deleted: true });
      else line(out, `Deleted ${id}; its grant will be revoked at the provider.`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown connections command "${sub}".`, SYNOPSIS);
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** A 409 from a refresh carries the diagnosis: say it, and point at doctor. */
function explainRefreshFailure(error: unknown, id: string): unknown {
  if (!(error instanceof ApiError) || error.status !== 409) return error;
  const { diagnosis, reconnect_url: reconnectUrl } = error.problem;
  const details = [...error.details];
  if (isRecord(diagnosis)) details.push(`diagnosis: ${String(diagnosis.code)} — ${String(diagnosis.summary)}`, `who fixes it: ${String(diagnosis.who_fixes)}`);
  if (typeof reconnectUrl === 'string' && reconnectUrl) details.push(`reconnect link: ${reconnectUrl}`);
  details.push(`More: grantkeeper doctor ${id}`);
  return new CliError(error.message, details, EXIT.failed, error.json);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function showConnection(out: Out, c: Connection): void {
  fields(out, [
    ['id', c.id],
    ['integration', c.integration],
    ['external id', c.external_id],
    ['end user', `${c.end_user.id}${c.end_user.email ? ` <${c.end_user.email}>` : ''}`],
    ['status', status(out, c.status)],
    ['grant type', c.grant_type],
    ['subject', c.subject],
    ['instance', c.provider_account.instance_url],
    ['org / user', c.provider_account.org_id ? `${c.provider_account.org_id} / ${c.provider_account.user_id ?? '?'}` : null],
    ['scopes', c.scopes.join(' ')],
    ['generation', String(c.generation)],
    ['token expires', when(c.access_token_expires_at)],
    ['last refreshed', when(c.last_refreshed_at)],
    ['next refresh', when(c.next_refresh_at)],
    ['failures in a row', c.consecutive_failures ? String(c.consecutive_failures) : null],
    ['last error', c.last_error ? lastError(c.last_error) : null],
    ['diagnosis', c.diagnosis ? `${c.diagnosis.code}: ${c.diagnosis.summary} (who fixes it: ${c.diagnosis.who_fixes})` : null],
    ['metadata', Object.keys(c.metadata).length ? JSON.stringify(c.metadata) : null],
    ['created', when(c.created_at)],
    ['updated', when(c.updated_at)],
  ]);
}

export function lastError(e: LastError): string {
  const what = [e.http_status ? `HTTP ${e.http_status}` : null, e.error, e.error_description ? `“${e.error_description}”` : null].filter(Boolean).join(' ');
  return `${what}${e.at ? ` at ${when(e.at)}` : ''}`;
}

// `grantkeeper api-keys create|list|revoke` — API keys with scopes, over /v1/api-keys (an
// admin key). `create` prints the new secret once, alone on stdout so it can be piped.
import type { ApiKey, ApiKeyCreated, ApiKeyInput } from '../api/api-key-schemas.js';
import type { Page } from '../api/schemas.js';
import { SCOPES, type Scope } from '../domain/access.js';
import { API_OPTIONS, API_OPTIONS_HELP, UsageError, exactPositionals, parse } from './args.js';
import { ApiClient, enc, resolveTarget } from './api-client.js';
import { fields, line, makeOut, printJson, table, when, type Out } from './output.js';

const SYNOPSIS = 'Usage: grantkeeper api-keys <create|list|revoke> [options]';

const USAGE = `${SYNOPSIS}

  list                                  every key: id, name, scopes, integrations, expiry, last use
  create --name N --scopes S [--integrations I] [--expires-at T]
                                        a new key; its secret is printed once (stdout), never again
  revoke <key_…>                        refused from now on, on every instance; its dashboard sessions end

Options of create:
  --name N              who or what uses the key
  --scopes S            comma-separated: ${SCOPES.join(', ')}
  --integrations I      comma-separated integration keys: the key sees nothing else
                        (not with admin or webhooks:write)
  --expires-at T        RFC 3339, e.g. 2027-01-01T00:00:00Z (default: never)

Managing keys needs an admin key (GRANTKEEPER_SECRET_KEY, or one with the admin scope).

${API_OPTIONS_HELP}

Examples:
  grantkeeper api-keys list
  grantkeeper api-keys create --name "billing service" --scopes tokens:read --integrations crm-prod
  grantkeeper api-keys create --name dashboard-viewer --scopes connections:read --expires-at 2027-01-01T00:00:00Z --json
  grantkeeper api-keys revoke key_3f2a…`;

const OPTIONS = {
  ...API_OPTIONS,
  name: { type: 'string' },
  scopes: { type: 'string' },
  integrations: { type: 'string' },
  'expires-at': { type: 'string' },
} as const;

const list = (value: string) => value.split(/[\s,]+/).filter(Boolean);
const isScope = (value: string): value is Scope => SCOPES.some((s) => s === value);

export async function runApiKeys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, OPTIONS, SYNOPSIS);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = makeOut(values.json ?? false);
  switch (sub) {
    case 'list': {
      exactPositionals(positionals, [], SYNOPSIS);
      const api = new ApiClient(resolveTarget(values));
      const all: ApiKey[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<ApiKey>>('/v1/api-keys', { limit: 500, cursor });
        all.push(...page.body.data);
        cursor = page.body.next_cursor ?? undefined;
      } while (cursor);
      if (out.json) printJson(out, { data: all });
      else table(out, ['ID', 'NAME', 'SCOPES', 'INTEGRATIONS', 'EXPIRES', 'LAST USED', 'SOURCE'], all.map((k) => [
        k.id, k.name, k.scopes.join(','), k.integrations?.join(',') ?? 'all', when(k.expires_at), k.source === 'environment' ? 'not recorded' : when(k.last_used_at), k.source,
      ]));
      return 0;
    }
    case 'create': {
      exactPositionals(positionals, [], SYNOPSIS);
      const body = createBody(values);
      const api = new ApiClient(resolveTarget(values));
      const created = (await api.request<ApiKeyCreated>('POST', '/v1/api-keys', { body })).body;
      if (out.json) printJson(out, created);
      else showCreated(out, created);
      return 0;
    }
    case 'revoke': {
      const [id] = exactPositionals(positionals, ['key-id'], SYNOPSIS);
      const api = new ApiClient(resolveTarget(values));
      await api.request('DELETE', `/v1/api-keys/${enc(id!)}`);
      if (out.json) printJson(out, { id, revoked: true });
      else line(out, `Revoked ${id}: it is refused from now on, and its dashboard sessions have ended.`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown api-keys command "${sub}".`, SYNOPSIS);
  }
}

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function createBody(v: Values): ApiKeyInput {
  if (!v.name?.trim()) throw new UsageError('--name is required.', SYNOPSIS);
  if (!v.scopes) throw new UsageError(`--scopes is required (${SCOPES.join(', ')}).`, SYNOPSIS);
  const scopes = list(v.scopes);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0 || scopes.length === 0) throw new UsageError(`--scopes takes ${SCOPES.join(', ')}; got "${v.scopes}".`, SYNOPSIS);
  const integrations = v.integrations === undefined ? undefined : list(v.integrations);
  return {
    name: v.name.trim(),
    scopes: [...new Set(scopes.filter(isScope))],
    ...(integrations && integrations.length > 0 ? { integrations } : {}),
    ...(v['expires-at'] ? { expires_at: v['expires-at'] } : {}),
  };
}

function showCreated(out: Out, k: ApiKeyCreated): void {
  out.stderr.write(`Created API key ${k.id} (${k.name}). The secret below is shown only now; store it somewhere safe:\n`);
  line(out, k.secret);
  const details: [string, string | null][] = [
    ['scopes', k.scopes.join(', ')],
    ['integrations', k.integrations?.join(', ') ?? 'all'],
    ['expires', k.expires_at ? when(k.expires_at) : 'never'],
  ];
  fields({ ...out, stdout: out.stderr }, details);
}

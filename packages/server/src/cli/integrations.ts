// `grantkeeper integrations list|create|show|update` — the OAuth apps, over /v1/integrations.
import { readFileSync } from 'node:fs';
import type { Integration, IntegrationPatch, Page } from '../api/schemas.js';
import { API_OPTIONS, API_OPTIONS_HELP, UsageError, exactPositionals, intOption, parse } from './args.js';
import { ApiClient, enc, resolveTarget } from './api-client.js';
import { catalogExamples, type Examples } from './examples.js';
import { runCertificate } from './integration-certificate.js';
import { fields, line, makeOut, paint, printJson, status, table, when, type Out } from './output.js';

const SYNOPSIS = 'Usage: grantkeeper integrations <list|create|show|update|certificate> [options]';

const usage = (example: Examples) => `${SYNOPSIS}

  list                       every integration
  show <key>                 one integration (never its client secret)
  create <key> --provider P --client-id ID [--client-secret S] [settings]
  update <key> [settings]    change what you pass; client_id/provider/grant_type only while it has no connections
  certificate <key> [--days N] [--common-name CN] [--out FILE]
                             a self-signed certificate of the integration's key, signed by the server (the
                             private key never leaves it), for the provider's app (JWT Bearer, private_key_jwt);
                             default 730 days, CN "Grantkeeper <key>"; PEM to stdout unless --out

Settings (create and update):
  --provider P               ${example.providers}, … (GET /v1/providers), or oauth2
  --client-id ID
  --client-secret S          use "-" to read it from stdin (keeps it out of ps and shell history)
  --scopes "a b"             space- or comma-separated
  --auth-base-url URL        the provider's login host (My Domain, a sandbox, an emulator)
  --authorization-url URL, --token-url URL, --revoke-url URL|none, --client-auth body|basic   (oauth2)
  --grant-type T             authorization_code (default), client_credentials or jwt_bearer (server-to-server)
  --client-auth private_key_jwt   sign a client assertion instead of sending a secret (where the provider documents it);
                             --client-auth default goes back to the provider's own
  --private-key FILE         PKCS#8 PEM RSA key for jwt_bearer / private_key_jwt ("-": stdin); stored encrypted, never shown
  --jwt-audience URL         the aud of JWT Bearer assertions: the login host the provider names (docs/api.md)
  --margin-s N, --keepalive-s N, --access-token-ttl-s N, --max-per-s N, --keep-warm / --no-keep-warm
  --outbound-proxy V         where its provider calls leave from: http://[user:pass@]host:port, direct,
                             or inherit (GRANTKEEPER_OUTBOUND_PROXY); "-" reads it from stdin (docs/outbound-proxy.md)

${API_OPTIONS_HELP}

Examples:
  grantkeeper integrations list
  grantkeeper integrations create ${example.integration} --provider ${example.provider} --client-id 3MVG9… --client-secret - < secret.txt
  grantkeeper integrations update ${example.integration} --auth-base-url ${example.authBaseUrl} --keepalive-s 43200
  grantkeeper integrations show ${example.integration} --json
  grantkeeper integrations create ${example.integration}-jwt --provider ${example.provider} --client-id … --grant-type jwt_bearer --private-key key.pem --jwt-audience ${example.authBaseUrl}
  grantkeeper integrations certificate ${example.integration}-jwt --out ${example.integration}-jwt.crt`;

const OPTIONS = {
  ...API_OPTIONS,
  provider: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  scopes: { type: 'string' },
  'auth-base-url': { type: 'string' },
  'authorization-url': { type: 'string' },
  'token-url': { type: 'string' },
  'revoke-url': { type: 'string' },
  'client-auth': { type: 'string' },
  'margin-s': { type: 'string' },
  'keepalive-s': { type: 'string' },
  'access-token-ttl-s': { type: 'string' },
  'max-per-s': { type: 'string' },
  'keep-warm': { type: 'boolean' },
  'no-keep-warm': { type: 'boolean' },
  'outbound-proxy': { type: 'string' },
  'grant-type': { type: 'string' },
  'private-key': { type: 'string' },
  'jwt-audience': { type: 'string' },
  days: { type: 'string' },
  'common-name': { type: 'string' },
  out: { type: 'string' },
} as const;

export async function runIntegrations(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, OPTIONS, SYNOPSIS);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' || values.help) {
    process.stdout.write(`${usage(await catalogExamples())}\n`);
    return 0;
  }
  const out = makeOut(values.json ?? false);
  const api = new ApiClient(resolveTarget(values));
  switch (sub) {
    case 'list': {
      exactPositionals(positionals, [], SYNOPSIS);
      const all: Integration[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<Integration>>('/v1/integrations', { limit: 500, cursor });
        all.push(...page.body.data);
        cursor = page.body.next_cursor ?? undefined;
      } while (cursor);
      if (out.json) printJson(out, { data: all });
      else if (all.length === 0) line(out, `No integrations yet. Create one: grantkeeper integrations create <key> --provider ${(await catalogExamples()).provider} --client-id … --client-secret -`);
      else table(out, ['KEY', 'PROVIDER', 'STATUS', 'CLIENT ID', 'AUTH BASE URL', 'CREATED', 'GRANT'], all.map((i) => [i.key, i.provider, status(out, i.status), i.client_id, i.auth_base_url ?? '—', when(i.created_at), i.grant_type]));
      return 0;
    }
    case 'show': {
      const [key] = exactPositionals(positionals, ['key'], SYNOPSIS);
      const { body } = await api.get<Integration>(`/v1/integrations/${enc(key!)}`);
      if (out.json) printJson(out, body);
      else showIntegration(out, body);
      return 0;
    }
    case 'certificate': {
      const [key] = exactPositionals(positionals, ['key'], SYNOPSIS);
      return runCertificate(api, out, key!, values, SYNOPSIS);
    }
    case 'create': {
      const [key] = exactPositionals(positionals, ['key'], SYNOPSIS);
      const body = await settingsBody(values);
      if (!body.provider) throw new UsageError('--provider is required.', SYNOPSIS);
      if (!body.client_id) throw new UsageError('--client-id is required.', SYNOPSIS);
      const created = await api.request<Integration>('POST', '/v1/integrations', { body: { key, ...body } });
      if (out.json) printJson(out, created.body);
      else {
        line(out, `Created integration ${paint(out, 'bold', key!)}.`);
        showIntegration(out, created.body);
        line(out);
        line(out, `Register this callback URL (redirect URI) in the OAuth app at the provider: ${paint(out, 'bold', created.body.callback_url)}`);
      }
      return 0;
    }
    case 'update': {
      const [key] = exactPositionals(positionals, ['key'], SYNOPSIS);
      const body = await settingsBody(values);
      if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: pass at least one setting.', SYNOPSIS);
      const updated = await api.request<Integration>('PATCH', `/v1/integrations/${enc(key!)}`, { body });
      if (out.json) printJson(out, updated.body);
      else {
        line(out, `Updated integration ${paint(out, 'bold', key!)}.`);
        showIntegration(out, updated.body);
      }
      return 0;
    }
    default:
      throw new UsageError(`Unknown integrations command "${sub}".`, SYNOPSIS);
  }
}

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

type RefreshSettings = NonNullable<IntegrationPatch['refresh']>;

async function settingsBody(v: Values): Promise<IntegrationPatch> {
  const body: IntegrationPatch = {};
  if (v.provider !== undefined) body.provider = v.provider;
  if (v['client-id'] !== undefined) body.client_id = v['client-id'];
  if (v['client-secret'] !== undefined) body.client_secret = v['client-secret'] === '-' ? readStdin().trim() : v['client-secret'];
  if (v.scopes !== undefined) body.scopes = v.scopes.split(/[\s,]+/).filter(Boolean);
  if (v['auth-base-url'] !== undefined) body.auth_base_url = v['auth-base-url'];
  if (v['authorization-url'] !== undefined) body.authorization_url = v['authorization-url'];
  if (v['token-url'] !== undefined) body.token_url = v['token-url'];
  if (v['revoke-url'] !== undefined) body.revoke_url = v['revoke-url'] === 'none' ? null : v['revoke-url'];
  if (v['client-auth'] !== undefined) body.client_auth = clientAuth(v['client-auth']);
  if (v['grant-type'] !== undefined) body.grant_type = grantType(v['grant-type']);
  if (v['private-key'] !== undefined) body.private_key = v['private-key'] === '-' ? readStdin('--private-key -') : readKeyFile(v['private-key']);
  if (v['jwt-audience'] !== undefined) body.jwt_audience = v['jwt-audience'];
  if (v['outbound-proxy'] !== undefined) body.outbound_proxy = outboundProxy(v['outbound-proxy'], v['client-secret'] === '-');
  const refresh: RefreshSettings = {};
  const n = (name: 'margin-s' | 'keepalive-s' | 'access-token-ttl-s' | 'max-per-s') => intOption(v[name], name, SYNOPSIS);
  if (v['margin-s'] !== undefined) refresh.margin_s = n('margin-s');
  if (v['keepalive-s'] !== undefined) refresh.keepalive_s = n('keepalive-s');
  if (v['access-token-ttl-s'] !== undefined) refresh.access_token_ttl_s = n('access-token-ttl-s');
  if (v['max-per-s'] !== undefined) refresh.max_per_s = n('max-per-s');
  if (v['keep-warm'] && v['no-keep-warm']) throw new UsageError('--keep-warm and --no-keep-warm contradict each other.', SYNOPSIS);
  if (v['keep-warm']) refresh.keep_warm = true;
  if (v['no-keep-warm']) refresh.keep_warm = false;
  if (Object.keys(refresh).length > 0) body.refresh = refresh;
  return body;
}

function clientAuth(value: string): IntegrationPatch['client_auth'] {
  if (value === 'body' || value === 'basic' || value === 'private_key_jwt') return value;
  if (value === 'default') return null;
  throw new UsageError(`--client-auth must be body, basic, private_key_jwt or default, got "${value}".`, SYNOPSIS);
}

function grantType(value: string): IntegrationPatch['grant_type'] {
  if (value === 'authorization_code' || value === 'client_credentials' || value === 'jwt_bearer') return value;
  throw new UsageError(`--grant-type must be authorization_code, client_credentials or jwt_bearer, got "${value}".`, SYNOPSIS);
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--private-key: cannot read ${path}.`, SYNOPSIS);
  }
}

/** `inherit` clears the integration's own setting; `-` reads the URL (it may hold a password) from stdin. */
function outboundProxy(value: string, stdinTaken: boolean): string | null {
  if (value === 'inherit') return null;
  if (value !== '-') return value;
  if (stdinTaken) throw new UsageError('--client-secret - and --outbound-proxy - cannot both read stdin.', SYNOPSIS);
  return readStdin('--outbound-proxy -').trim();
}

function readStdin(option = '--client-secret -'): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    throw new UsageError(`${option} reads from stdin, but stdin could not be read.`, SYNOPSIS);
  }
}

function showIntegration(out: Out, i: Integration): void {
  fields(out, [
    ['key', i.key],
    ['provider', i.provider],
    ['status', status(out, i.status)],
    ['client id', i.client_id],
    ['callback url', i.callback_url],
    ['client secret', i.has_client_secret ? 'set (never shown)' : 'none (public client)'],
    ['grant type', i.grant_type],
    ['private key', i.has_private_key ? `set (never shown); public key SHA-256 ${i.public_key_fingerprint_sha256}` : null],
    ['jwt audience', i.jwt_audience],
    ['scopes', i.scopes.join(' ')],
    ['auth base url', i.auth_base_url],
    ['authorization url', i.authorization_url],
    ['token url', i.token_url],
    ['revoke url', i.revoke_url],
    ['refresh', `margin ${i.refresh.margin_s}s, keepalive ${i.refresh.keepalive_s}s, access-token ttl ${i.refresh.access_token_ttl_s}s, ≤ ${i.refresh.max_per_s}/s${i.refresh.keep_warm ? ', keep warm' : ''}`],
    ['outbound proxy', i.outbound_proxy ?? null],
    ['connections', i.connection_count === undefined ? null : String(i.connection_count)],
    ['last error', i.last_error ? `${when(i.last_error.at)} ${i.last_error.http_status ?? ''} ${i.last_error.error ?? ''}: ${i.last_error.error_description ?? ''}` : null],
    ['created', when(i.created_at)],
    ['updated', when(i.updated_at)],
  ]);
}

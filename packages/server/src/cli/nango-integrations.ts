// The Grantkeeper integrations a Nango import lands in: Nango's `providerConfigKey`, renamed
// by `--map nango_key=gk_key`, and created when missing. Nango's API never gives out client
// secrets, so a missing integration needs its secret from `--secrets <file>` or
// `--client-secret nango_key=secret`; without one, nothing is imported and the list says which.
import { readFileSync } from 'node:fs';
import { CliError, UsageError } from './args.js';
import { ApiClient, ApiError, enc } from './api-client.js';
import type { NangoSource } from './nango-source.js';

export interface TargetIntegration {
  key: string;
  /** The connection_config names the provider's URLs take (others of Nango's are dropped). */
  configNames: Set<string>;
  /** The token response field naming a connection's API base (the entry's api_base_from_token), read from Nango's raw. */
  apiBaseField?: string;
  created: boolean;
}

/** What `--secrets` holds per Nango key: the client secret, or it with more integration fields. */
type SecretEntry = Record<string, unknown> & { client_secret?: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `name=value` pairs of a repeated flag. */
export function pairs(values: string[] | undefined, flag: string, usage: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) throw new UsageError(`--${flag} takes name=value, got "${value}".`, usage);
    map.set(value.slice(0, at), value.slice(at + 1));
  }
  return map;
}

/** `--secrets file.json` (`{ "nango_key": "secret" | { "client_secret", …integration fields } }`) and `--client-secret` flags. */
export function readSecrets(file: string | undefined, flags: Map<string, string>): Map<string, SecretEntry> {
  const secrets = new Map<string, SecretEntry>();
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}.`);
    }
    if (!isRecord(parsed)) throw new CliError(`${file} must be a JSON object: { "nango_key": "client secret" | { "client_secret": "…", … } }.`);
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string') secrets.set(key, { client_secret: value });
      else if (isRecord(value)) secrets.set(key, value);
      else throw new CliError(`${file}: the value of "${key}" must be a string or an object.`);
    }
  }
  for (const [key, secret] of flags) secrets.set(key, { ...secrets.get(key), client_secret: secret });
  return secrets;
}

/** What a connection of the provider carries besides its tokens: its URL parts, and the field naming its API base. */
async function providerFieldsOf(gk: ApiClient, provider: string): Promise<Pick<TargetIntegration, 'configNames' | 'apiBaseField'>> {
  const res = await gk.attempt<{ template_variables?: Record<string, { from?: string }>; api_base_from_token?: { field?: string } }>('GET', `/v1/providers/${enc(provider)}`);
  const variables = res.ok ? (res.body.template_variables ?? {}) : {};
  const field = res.ok ? res.body.api_base_from_token?.field : undefined;
  return {
    configNames: new Set(Object.entries(variables).filter(([, v]) => v.from === 'connection_config').map(([name]) => name)),
    ...(field ? { apiBaseField: field } : {}),
  };
}

/** Finds or creates the integration of every Nango key; fails before any import if a secret is missing. */
export async function prepareIntegrations(
  gk: ApiClient,
  nango: NangoSource,
  nangoKeys: string[],
  map: Map<string, string>,
  secrets: Map<string, SecretEntry>,
): Promise<Map<string, TargetIntegration>> {
  const targets = new Map<string, TargetIntegration>();
  const toCreate: { nangoKey: string; body: Record<string, unknown> }[] = [];
  const missing: string[] = [];
  for (const nangoKey of nangoKeys) {
    const key = map.get(nangoKey) ?? nangoKey;
    try {
      const existing = await gk.get<{ provider: string }>(`/v1/integrations/${enc(key)}`);
      targets.set(nangoKey, { key, ...(await providerFieldsOf(gk, existing.body.provider)), created: false });
      continue;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    const secret = secrets.get(nangoKey);
    const source = await nango.integration(nangoKey);
    const { client_secret: clientSecret, ...fields } = secret ?? {};
    const clientId = fields.client_id ?? source?.credentials?.client_id;
    if (typeof clientSecret !== 'string' || !clientSecret || typeof clientId !== 'string' || !clientId) {
      missing.push(`${nangoKey} → ${key}: ${typeof clientSecret !== 'string' || !clientSecret ? 'its client secret' : 'its client id'} (provider ${source?.provider ?? 'unknown'})`);
      continue;
    }
    toCreate.push({ nangoKey, body: { key, provider: source?.provider, ...fields, client_id: clientId, client_secret: clientSecret } });
  }
  if (missing.length > 0) {
    throw new CliError(
      'Nothing imported: Grantkeeper needs the OAuth app of these integrations, and Nango\'s API does not give out client secrets:',
      [...missing, 'Give each with --client-secret nango_key=secret or in --secrets file.json ({ "nango_key": "secret" }), or create the integration first (grantkeeper integrations create) and --map nango_key=gk_key.'],
    );
  }
  for (const { nangoKey, body } of toCreate) {
    const created = await gk.request<{ key: string; provider: string }>('POST', '/v1/integrations', { body });
    targets.set(nangoKey, { key: created.body.key, ...(await providerFieldsOf(gk, created.body.provider)), created: true });
  }
  return targets;
}

// Integrations: one OAuth app at one provider. Validation beyond the JSON schema (rules
// that depend on the provider or on other fields), encryption of the client secret, and
// the API representation.
import { recordAuditEvent } from '../audit/record.js';
import { isUniqueViolation } from '../db/errors.js';
import { encryptSecret } from '../crypto/envelope.js';
import type { AppContext } from '../context.js';
import { countConnectionsOfIntegration } from '../db/integrations/count-connections.js';
import { deleteIntegration as deleteIntegrationRow } from '../db/integrations/delete-integration.js';
import { findIntegrationByKey } from '../db/integrations/find-integration.js';
import { insertIntegration } from '../db/integrations/insert-integration.js';
import { updateIntegration as updateIntegrationRow } from '../db/integrations/update-integration.js';
import type { AuditContext } from '../domain/audit.js';
import type { RefreshSettings } from '../domain/grants.js';
import type { IntegrationRow } from '../db/types.js';
import { conflict, invalid, notFound, type FieldProblem } from '../errors.js';
import type { ProviderDescription } from '../providers/provider.js';
import { callbackUrl } from './callback-url.js';
import { newRowId } from './ids.js';
import { sealOutboundProxy } from './integration-egress.js';
import { clientSecretChange } from './client-secrets.js';
import { resolveGrantSettings, type GrantColumns, type GrantInput } from './integration-grant.js';
import { publicKeyFingerprint } from './private-keys.js';
import { refusePrivateProviderUrls } from './private-provider-urls.js';
import { integrationSecretPlace } from './secret-places.js';

export interface IntegrationInput extends GrantInput {
  key: string;
  provider: string;
  client_id: string;
  client_secret?: string;
  scopes?: string[];
  auth_base_url?: string;
  authorization_url?: string;
  token_url?: string;
  revoke_url?: string | null;
  /** Custom `oauth2` providers: where their API lives, for the API proxy. */
  api_base_url?: string | null;
  refresh?: Partial<RefreshSettings>;
  /** null: the instance's egress; "direct"; or `http://[user:pass@]host:port` (model/integration-egress.ts). */
  outbound_proxy?: string | null;
  /** How long a replaced client_secret stays usable (staged secrets; default 86400). */
  client_secret_overlap_s?: number;
}

export type IntegrationPatch = Partial<Omit<IntegrationInput, 'key'>>;

export const REFRESH_DEFAULTS: RefreshSettings = {
  margin_s: 300,
  keepalive_s: 86_400,
  access_token_ttl_s: 7_200,
  max_per_s: 20,
  keep_warm: false,
};

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The proxy appends the caller's path to it, so it must be a plain base: no query or fragment. */
function isApiBaseUrl(value: string): boolean {
  return isHttpUrl(value) && !value.includes('?') && !value.includes('#');
}

function validateRefresh(refresh: RefreshSettings, problems: FieldProblem[]): void {
  if (refresh.margin_s >= refresh.access_token_ttl_s) {
    problems.push({ field: 'refresh.margin_s', message: 'must be less than refresh.access_token_ttl_s' });
  }
  if (refresh.keepalive_s < refresh.margin_s) {
    problems.push({ field: 'refresh.keepalive_s', message: 'must be at least refresh.margin_s' });
  }
}

interface ResolvedSettings {
  provider: ProviderDescription;
  grant: GrantColumns;
  scopes: string[];
  authBaseUrl: string | null;
  providerConfig: Record<string, unknown>;
  refresh: RefreshSettings;
}

/** Applies defaults and every cross-field rule of docs/api.md; throws one error listing all problems. */
function resolveSettings(ctx: AppContext, rowId: string, input: IntegrationInput, current?: IntegrationRow, earlierProblems: FieldProblem[] = []): ResolvedSettings {
  const problems: FieldProblem[] = [...earlierProblems];
  const provider = ctx.providers.describe(input.provider);
  if (!provider) {
    if (ctx.providers.entry(input.provider)?.refresh_model === 'none') {
      throw invalid([
        {
          field: 'provider',
          message: `provider "${input.provider}" issues no refresh tokens (refresh_model "none"): its access tokens do not expire by refresh, so there is no grant for Grantkeeper to keep alive`,
        },
      ]);
    }
    const unsupported = ctx.providers.entry(input.provider)?.unsupported?.refresh;
    if (unsupported) throw invalid([{ field: 'provider', message: `provider "${input.provider}" cannot be refreshed by Grantkeeper yet: ${unsupported}` }]);
    throw invalid([{ field: 'provider', message: `unknown provider "${input.provider}"; see GET /v1/providers, or use "oauth2"` }]);
  }
  const scopes = input.scopes ?? provider.defaultScopes;
  // Only an end user's authorization yields a refresh token; server-to-server grants need none.
  const userGrant = (input.grant_type ?? current?.grant_type ?? 'authorization_code') === 'authorization_code';
  if (userGrant && provider.refreshScopes.length > 0 && !scopes.some((s) => provider.refreshScopes.includes(s))) {
    problems.push({
      field: 'scopes',
      message: `must include one of ${provider.refreshScopes.map((s) => `"${s}"`).join(' or ')}: without it ${provider.name} never issues a refresh token`,
    });
  }
  let authBaseUrl: string | null = null;
  if (provider.usesAuthBaseUrl) {
    authBaseUrl = (input.auth_base_url ?? provider.defaultAuthBaseUrl ?? '').replace(/\/+$/, '');
    if (!isHttpUrl(authBaseUrl)) problems.push({ field: 'auth_base_url', message: 'must be an http(s) URL' });
    else {
      // The catalog's own rule for the base URL (a bare origin matching its pattern), so an
      // accepted integration always renders its endpoints.
      const check = ctx.providers.checkConnectionConfig({ provider: provider.key, authBaseUrl }, {});
      const bad = check.ok ? undefined : check.problems.find((p) => p.variable === 'auth_base_url');
      if (bad) problems.push({ field: 'auth_base_url', message: bad.message });
    }
  } else if (input.auth_base_url !== undefined) {
    problems.push({ field: 'auth_base_url', message: `is not used by provider "${provider.key}"` });
  }
  const providerConfig: Record<string, unknown> = {};
  if (provider.key === 'oauth2') {
    for (const field of ['authorization_url', 'token_url'] as const) {
      const value = input[field];
      if (value === undefined) problems.push({ field, message: 'is required for a custom oauth2 provider' });
      else if (!isHttpUrl(value)) problems.push({ field, message: 'must be an http(s) URL' });
      else providerConfig[field] = value;
    }
    if (input.revoke_url !== undefined && input.revoke_url !== null && !isHttpUrl(input.revoke_url)) {
      problems.push({ field: 'revoke_url', message: 'must be an http(s) URL' });
    }
    providerConfig.revoke_url = input.revoke_url ?? null;
    providerConfig.client_auth = input.client_auth === 'basic' ? 'basic' : 'body';
  } else {
    for (const field of ['authorization_url', 'token_url', 'revoke_url', 'client_auth'] as const) {
      // private_key_jwt is a client authentication any provider may document (integration-grant.ts).
      if (field === 'client_auth' && (input.client_auth === 'private_key_jwt' || input.client_auth === null)) continue;
      if (input[field] !== undefined) problems.push({ field, message: `is only for provider "oauth2"; "${provider.key}" endpoints come from the catalog` });
    }
  }
  // Any provider: a custom one's API, or a catalog base this integration overrides (a per-account
  // host such as DocuSign's base_uri, or a Google service on its own host).
  const apiBase = input.api_base_url ?? null;
  if (apiBase !== null && !isApiBaseUrl(apiBase)) problems.push({ field: 'api_base_url', message: 'must be an http(s) URL without credentials, query or fragment' });
  if (apiBase !== null || provider.key === 'oauth2') providerConfig.api_base_url = apiBase === null ? null : apiBase.replace(/\/+$/, '');
  const base = current ? current.refresh : providerRefreshDefaults(provider);
  const refresh: RefreshSettings = { ...REFRESH_DEFAULTS, ...base, ...stripUndefined(input.refresh ?? {}) };
  validateRefresh(refresh, problems);
  const grant = resolveGrantSettings(ctx, rowId, { ...input, provider: provider.key, auth_base_url: authBaseUrl }, current, problems);
  if (problems.length > 0) throw invalid(problems);
  return { provider, grant, scopes, authBaseUrl, providerConfig, refresh };
}

/**
 * A new integration's refresh settings when the request leaves them out: keepalive from the
 * provider's known idle lifetime (a third of it, at most a day), the assumed access-token
 * lifetime from its documented one.
 */
export function providerRefreshDefaults(provider: Pick<ProviderDescription, 'keepaliveS' | 'accessTokenTtlS'>): RefreshSettings {
  const ttlS = provider.accessTokenTtlS ?? REFRESH_DEFAULTS.access_token_ttl_s;
  return {
    ...REFRESH_DEFAULTS,
    // A provider whose access tokens live 10 minutes or less (some live 5) is refreshed halfway
    // through their life; the usual 5-minute margin would leave no valid window at all.
    margin_s: Math.min(REFRESH_DEFAULTS.margin_s, Math.floor(ttlS / 2)),
    keepalive_s: provider.keepaliveS,
    access_token_ttl_s: ttlS,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function createIntegration(ctx: AppContext, audit: AuditContext, input: IntegrationInput): Promise<IntegrationRow> {
  const id = newRowId();
  const egress = sealOutboundProxy(ctx.keyring, id, input.outbound_proxy ?? null);
  const settings = resolveSettings(ctx, id, input, undefined, egress.ok ? [] : [egress.problem]);
  await refusePrivateProviderUrls(ctx, input);
  if (await findIntegrationByKey(ctx.db.kysely, input.key)) {
    throw conflict('integration_exists', `An integration with key "${input.key}" already exists.`);
  }
  try {
    return await ctx.db.kysely.transaction().execute(async (trx) => {
      const row = await insertIntegration(trx, {
        id,
        key: input.key,
        provider: settings.provider.key,
        client_id: input.client_id,
        client_secret_enc:
          input.client_secret === undefined ? null : encryptSecret(ctx.keyring, input.client_secret, integrationSecretPlace(id)),
        scopes: JSON.stringify(settings.scopes),
        auth_base_url: settings.authBaseUrl,
        provider_config: JSON.stringify(settings.providerConfig),
        refresh: JSON.stringify(settings.refresh),
        ...settings.grant,
        ...(egress.ok ? egress.columns : {}),
        ...(input.client_secret_overlap_s !== undefined ? { client_secret_overlap_s: input.client_secret_overlap_s } : {}),
      });
      await recordAuditEvent(trx, audit, 'integration.created', { type: 'integration', id: row.key });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict('integration_exists', `An integration with key "${input.key}" already exists.`);
    }
    throw error;
  }
}

export async function getIntegration(ctx: AppContext, key: string): Promise<IntegrationRow> {
  const row = await findIntegrationByKey(ctx.db.kysely, key);
  if (!row) throw notFound(`Integration "${key}"`);
  return row;
}

export interface IntegrationUpdateResult {
  row: IntegrationRow;
  /** The client secret changed: an `error` status was cleared and one connection should be re-probed. */
  secretChanged: boolean;
}

export async function updateIntegration(ctx: AppContext, audit: AuditContext, key: string, patch: IntegrationPatch): Promise<IntegrationUpdateResult> {
  const current = await getIntegration(ctx, key);
  const providerConfig = current.provider_config;
  const merged: IntegrationInput = {
    key,
    provider: patch.provider ?? current.provider,
    client_id: patch.client_id ?? current.client_id,
    scopes: patch.scopes ?? current.scopes,
    ...(patch.auth_base_url !== undefined ? { auth_base_url: patch.auth_base_url } : current.auth_base_url ? { auth_base_url: current.auth_base_url } : {}),
    ...pickDefined({
      authorization_url: patch.authorization_url ?? providerConfig.authorization_url,
      token_url: patch.token_url ?? providerConfig.token_url,
      revoke_url: patch.revoke_url !== undefined ? patch.revoke_url : providerConfig.revoke_url,
      client_auth: patch.client_auth !== undefined ? patch.client_auth : (current.client_auth ?? providerConfig.client_auth),
      api_base_url: patch.api_base_url !== undefined ? patch.api_base_url : providerConfig.api_base_url,
    }),
    ...(patch.refresh ? { refresh: patch.refresh } : {}),
    ...pickDefined({ grant_type: patch.grant_type, private_key: patch.private_key, jwt_audience: patch.jwt_audience }),
  };
  const egress = patch.outbound_proxy === undefined ? null : sealOutboundProxy(ctx.keyring, current.id, patch.outbound_proxy, current);
  const settings = resolveSettings(ctx, current.id, merged, current, egress && !egress.ok ? [egress.problem] : []);
  await refusePrivateProviderUrls(ctx, patch);
  const identityChanges = (patch.provider !== undefined && patch.provider !== current.provider) ||
    (patch.client_id !== undefined && patch.client_id !== current.client_id) ||
    // Connections hold what their grant type needs (a refresh token, a subject): it cannot change under them.
    (patch.grant_type !== undefined && patch.grant_type !== current.grant_type);
  if (identityChanges && (await countConnectionsOfIntegration(ctx.db.kysely, current.id)) > 0) {
    throw conflict('integration_in_use', '`provider`, `client_id` and `grant_type` cannot change while the integration has connections.');
  }
  const secretChanged = patch.client_secret !== undefined;
  const overlapS = patch.client_secret_overlap_s ?? current.client_secret_overlap_s;
  const row = await ctx.db.kysely.transaction().execute(async (trx) => {
    const updated = await updateIntegrationRow(trx, current.id, current.generation, {
      provider: settings.provider.key,
      client_id: merged.client_id,
      // The replaced secret stays usable for the overlap (staged secrets, model/client-secrets.ts).
      ...(secretChanged ? clientSecretChange(ctx.keyring, current, patch.client_secret!, overlapS) : {}),
      ...(patch.client_secret_overlap_s !== undefined ? { client_secret_overlap_s: patch.client_secret_overlap_s } : {}),
      scopes: JSON.stringify(settings.scopes),
      auth_base_url: settings.authBaseUrl,
      provider_config: JSON.stringify(settings.providerConfig),
      refresh: JSON.stringify(settings.refresh),
      ...settings.grant,
      ...(egress?.ok ? egress.columns : {}),
    });
    // Which fields the request set, never their values (the client secret, a proxy password).
    const fields = Object.entries(patch).filter(([, value]) => value !== undefined).map(([field]) => field).sort();
    if (updated) await recordAuditEvent(trx, audit, 'integration.updated', { type: 'integration', id: updated.key }, { fields });
    return updated;
  });
  if (!row) throw conflict('concurrent_update', 'The integration changed while this update was applied; retry.');
  return { row, secretChanged };
}

function pickDefined(values: Record<string, unknown>): Partial<IntegrationInput> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<IntegrationInput>;
}

export async function removeIntegration(ctx: AppContext, audit: AuditContext, row: IntegrationRow): Promise<void> {
  await ctx.db.kysely.transaction().execute(async (trx) => {
    if (await deleteIntegrationRow(trx, row.id)) await recordAuditEvent(trx, audit, 'integration.deleted', { type: 'integration', id: row.key });
  });
}

/** `publicUrl`: GRANTKEEPER_PUBLIC_URL, the base of the integration's callback URL. */
export function integrationToApi(row: IntegrationRow, publicUrl: string, extra: { connection_count?: number } = {}) {
  const config = row.provider_config;
  const refresh = row.refresh;
  return {
    key: row.key,
    provider: row.provider,
    client_id: row.client_id,
    callback_url: callbackUrl(publicUrl),
    has_client_secret: row.client_secret_enc !== null,
    scopes: row.scopes,
    auth_base_url: row.auth_base_url,
    grant_type: row.grant_type,
    jwt_audience: row.jwt_audience,
    // The public half only (never the private key), so a certificate can be made and uploaded.
    has_private_key: row.private_key_enc !== null,
    public_key_pem: row.public_key_pem,
    public_key_fingerprint_sha256: row.public_key_pem === null ? null : publicKeyFingerprint(row.public_key_pem),
    ...(row.provider === 'oauth2'
      ? {
          authorization_url: config.authorization_url ?? null,
          token_url: config.token_url ?? null,
          revoke_url: config.revoke_url ?? null,
          client_auth: config.client_auth ?? 'body',
        }
      : {}),
    api_base_url: config.api_base_url ?? null,
    // private_key_jwt (any provider) replaces the custom provider's body/basic.
    ...(row.client_auth !== null ? { client_auth: row.client_auth } : {}),
    refresh,
    outbound_proxy: row.outbound_proxy,
    client_secret_overlap_s: row.client_secret_overlap_s,
    // When the secret a change replaced stops being tried (never the secret itself).
    previous_client_secret_expires_at:
      row.previous_client_secret_enc !== null && row.previous_client_secret_expires_at !== null && row.previous_client_secret_expires_at > new Date()
        ? row.previous_client_secret_expires_at.toISOString()
        : null,
    status: row.status,
    last_error: row.last_error ?? null,
    ...extra,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

// Creating and revoking API keys (`/v1/api-keys`, the CLI, the dashboard's keys page). A key
// is 256 random bits shown once; only its SHA-256 is stored. Each change is committed with a
// NOTIFY, so every instance re-reads the keys at once, and this one has re-read them before
// answering: a revoked key is refused from the moment DELETE returns.
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertApiKey } from '../db/api-keys/insert-api-key.js';
import type { ApiKeyRow } from '../db/api-keys/list-active-api-keys.js';
import { revokeApiKey as revokeApiKeyRow } from '../db/api-keys/revoke-api-key.js';
import { notifyAuthChanged } from '../db/auth-notify.js';
import type { Scope } from '../domain/access.js';
import type { AuditContext } from '../domain/audit.js';
import { conflict, invalid, notFound, type FieldProblem } from '../errors.js';
import { fromPublicId, newRowId, toPublicId } from '../model/ids.js';
import type { ApiKeyRecord } from './api-key-store.js';

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  integrations?: string[] | null;
  expires_at?: string | null;
}

/** A key as the API shows it (never its secret). */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  integrations: string[] | null;
  expires_at: string | null;
  created_at: string | null;
  last_used_at: string | null;
  source: 'api' | 'environment' | 'generated';
}

/** Scopes that reach every integration whatever the key is limited to. */
const UNLIMITED_SCOPES: readonly Scope[] = ['admin', 'webhooks:write'];

export function storedKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: toPublicId('apiKey', row.id),
    name: row.name,
    scopes: row.scopes,
    integrations: row.integrations,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    source: row.source,
  };
}

export function environmentKeyView(key: ApiKeyRecord): ApiKeyView {
  return { id: key.id, name: key.name, scopes: [...key.scopes], integrations: null, expires_at: null, created_at: null, last_used_at: null, source: 'environment' };
}

function parseExpiry(value: string, now: number, problems: FieldProblem[]): Date | null {
  const valid = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) ? new Date(value) : null;
  if (!valid || Number.isNaN(valid.getTime())) {
    problems.push({ field: 'expires_at', message: 'must be an RFC 3339 timestamp with an offset, e.g. 2027-01-01T00:00:00Z' });
    return null;
  }
  if (valid.getTime() <= now) problems.push({ field: 'expires_at', message: 'must be in the future' });
  return valid;
}

export async function createApiKey(ctx: AppContext, audit: AuditContext, input: NewApiKey, now = Date.now()): Promise<ApiKeyView & { secret: string }> {
  const problems: FieldProblem[] = [];
  const name = input.name.trim();
  if (name === '') problems.push({ field: 'name', message: 'must not be blank' });
  const integrations = input.integrations ?? null;
  const unlimited = input.scopes.filter((s) => UNLIMITED_SCOPES.includes(s));
  if (integrations !== null && unlimited.length > 0) {
    problems.push({ field: 'integrations', message: `a key limited to some integrations cannot hold ${unlimited.join(' or ')}, which reach every integration` });
  }
  const expiresAt = input.expires_at ? parseExpiry(input.expires_at, now, problems) : null;
  if (problems.length > 0) throw invalid(problems);

  const secret = randomToken('gk_sk_');
  const id = newRowId();
  const row = { id, digest: sha256Hex(secret), name, source: 'api' as const, scopes: input.scopes, integrations, expires_at: expiresAt };
  const { created_at: createdAt } = await ctx.db.kysely.transaction().execute(async (trx) => {
    const created = await insertApiKey(trx, row);
    await recordAuditEvent(trx, audit, 'api_key.created', { type: 'api_key', id: toPublicId('apiKey', id) });
    await notifyAuthChanged(trx, 'keys');
    return created;
  });
  await ctx.auth.reloadKeys();
  return { ...storedKeyView({ ...row, created_at: createdAt, last_used_at: null }), secret };
}

/** Revokes a stored key; the keys of GRANTKEEPER_SECRET_KEY can only be removed from it. */
export async function revokeApiKey(ctx: AppContext, audit: AuditContext, publicId: string): Promise<void> {
  if (ctx.auth.keys.environmentKeys().some((k) => k.id === publicId)) {
    throw conflict('environment_key', 'This key comes from GRANTKEEPER_SECRET_KEY: remove it there and restart the server to revoke it.');
  }
  const id = fromPublicId('apiKey', publicId);
  const stored = id ? (await ctx.auth.readStoredKeys()).find((row) => row.id === id) : undefined;
  if (!id || !stored) throw notFound(`API key "${publicId}"`);
  const revoked = await ctx.db.kysely.transaction().execute(async (trx) => {
    if (!(await revokeApiKeyRow(trx, id))) return false;
    await recordAuditEvent(trx, audit, 'api_key.revoked', { type: 'api_key', id: publicId });
    await notifyAuthChanged(trx, 'keys');
    return true;
  });
  if (!revoked) throw notFound(`API key "${publicId}"`);
  await ctx.auth.reloadKeys();
}

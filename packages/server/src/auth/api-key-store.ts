// Every valid API key, in memory: authentication is one SHA-256 and one map lookup, with no
// query. The map is keyed by the key's digest, so a lookup's timing depends only on a hash
// the caller cannot steer, never on how close a guess came. Keys from GRANTKEEPER_SECRET_KEY
// are fixed at start; rows (keys made through the API, and the embedded mode's generated
// key) are re-read whenever an instance announces a change (auth-state.ts).
import { sha256Hex } from '../crypto/hashing.js';
import type { ApiKeyRow } from '../db/api-keys/list-active-api-keys.js';
import type { Scope } from '../domain/access.js';
import { toPublicId } from '../model/ids.js';
import { environmentKeyId } from './environment-keys.js';
import type { Principal } from './principal.js';
import { effectiveScopes } from './scopes.js';

export type KeySource = 'environment' | 'generated' | 'api';

export interface ApiKeyRecord {
  /** Public id, `key_…`. */
  id: string;
  /** The row's uuid; null for environment keys. */
  rowId: string | null;
  name: string;
  source: KeySource;
  /** As granted (implied scopes are in the principals). */
  scopes: readonly Scope[];
  integrations: readonly string[] | null;
  expiresAt: Date | null;
  createdAt: Date | null;
  /** Built once, so an authenticated request allocates nothing. */
  principal: Principal;
  sessionPrincipal: Principal;
}

function record(fields: Omit<ApiKeyRecord, 'principal' | 'sessionPrincipal'>): ApiKeyRecord {
  const integrations = fields.integrations === null ? null : new Set(fields.integrations);
  const actor = { id: fields.id, name: fields.name };
  return {
    ...fields,
    principal: { actor: { type: 'api_key', ...actor }, keyId: fields.id, scopes: effectiveScopes(fields.scopes, { viaSession: false }), integrations, viaSession: false },
    sessionPrincipal: { actor: { type: 'dashboard', ...actor }, keyId: fields.id, scopes: effectiveScopes(fields.scopes, { viaSession: true }), integrations, viaSession: true },
  };
}

/** The record of a stored key. */
export function rowRecord(row: ApiKeyRow): ApiKeyRecord {
  return record({
    id: toPublicId('apiKey', row.id),
    rowId: row.id,
    name: row.name,
    source: row.source,
    scopes: row.scopes,
    integrations: row.integrations,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  });
}

export class ApiKeyStore {
  private readonly environment: { digest: string; key: ApiKeyRecord }[];
  private byDigest = new Map<string, ApiKeyRecord>();
  private byId = new Map<string, ApiKeyRecord>();
  /** Per key id: when a use was last marked for writing, and a use not yet written. */
  private readonly uses = new Map<string, { markedAt: number; pending: Date | null }>();

  constructor(environmentSecrets: readonly string[], private readonly lastUsedResolutionMs: number) {
    this.environment = environmentSecrets.map((secret, i) => ({
      digest: sha256Hex(secret),
      key: record({
        id: environmentKeyId(secret),
        rowId: null,
        name: environmentSecrets.length > 1 ? `GRANTKEEPER_SECRET_KEY #${i + 1}` : 'GRANTKEEPER_SECRET_KEY',
        source: 'environment',
        scopes: ['admin'],
        integrations: null,
        expiresAt: null,
        createdAt: null,
      }),
    }));
    this.replaceRows([]);
  }

  /** The stored keys changed: these are all the valid ones now. */
  replaceRows(rows: readonly ApiKeyRow[]): void {
    const byDigest = new Map<string, ApiKeyRecord>();
    for (const { digest, key } of this.environment) byDigest.set(digest, key);
    for (const row of rows) byDigest.set(row.digest, rowRecord(row));
    this.byDigest = byDigest;
    this.byId = new Map([...byDigest.values()].map((key) => [key.id, key]));
  }

  /** The key a presented secret is, expired or not; undefined for no key at all. */
  find(secret: string): ApiKeyRecord | undefined {
    return this.byDigest.get(sha256Hex(secret));
  }

  /** A valid key by its public id (what a dashboard session names). */
  get(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id);
  }

  environmentKeys(): ApiKeyRecord[] {
    return this.environment.map((e) => e.key);
  }

  /**
   * Notes a successful use in memory. A stored key's use is queued for writing at most once
   * per resolution; the write happens later, off the request (`takeUses`).
   */
  noteUse(key: ApiKeyRecord, now: number): void {
    if (key.rowId === null) return;
    const use = this.uses.get(key.rowId);
    if (use && now - use.markedAt < this.lastUsedResolutionMs) return;
    this.uses.set(key.rowId, { markedAt: now, pending: new Date(now) });
  }

  /** The uses to write now (each handed out once). */
  takeUses(): { rowId: string; at: Date }[] {
    const taken: { rowId: string; at: Date }[] = [];
    for (const [rowId, use] of this.uses) {
      if (use.pending) taken.push({ rowId, at: use.pending });
      use.pending = null;
      if (!this.byId.has(toPublicId('apiKey', rowId))) this.uses.delete(rowId);
    }
    return taken;
  }
}

// What authentication reads from memory, kept in step with the database: the valid API keys,
// dashboard logouts and blocked clients. A change made on one instance is applied there at
// once and announced through NOTIFY on AUTH_CHANNEL; every instance applies what it hears,
// and re-reads everything every GRANTKEEPER_AUTH_SYNC_INTERVAL_MS in case a notification was
// lost (the `auth-sync` worker, which also writes the queued `last_used_at` marks).
import type { Config } from '../config.js';
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertApiKey } from '../db/api-keys/insert-api-key.js';
import { listActiveApiKeys, type ApiKeyRow } from '../db/api-keys/list-active-api-keys.js';
import { markApiKeyUsed } from '../db/api-keys/mark-api-key-used.js';
import { listBlockedClients } from '../db/auth-failures/list-blocked-clients.js';
import { notifyAuthChanged } from '../db/auth-notify.js';
import { insertSessionRevocation } from '../db/dashboard-sessions/insert-session-revocation.js';
import { listSessionRevocations } from '../db/dashboard-sessions/list-session-revocations.js';
import type { Executor } from '../db/types.js';
import type { Logger } from '../log.js';
import { newRowId } from '../model/ids.js';
import { ApiKeyStore } from './api-key-store.js';
import { SessionRevocations } from './session-revocations.js';
import { WrongKeyLimit } from './wrong-key-limit.js';

export class AuthState {
  readonly keys: ApiKeyStore;
  readonly sessions = new SessionRevocations();
  readonly limit: WrongKeyLimit;
  /** Generated keys stand in for GRANTKEEPER_SECRET_KEY only while it is unset. */
  private readonly withGenerated: boolean;
  private reloadRunning: Promise<void> | null = null;
  private reloadQueued: Promise<void> | null = null;

  private constructor(private readonly db: Executor, private readonly config: Config, log: Logger) {
    this.keys = new ApiKeyStore(config.secretKeys, config.auth.lastUsedResolutionS * 1000);
    this.limit = new WrongKeyLimit(db, config.auth, log);
    this.withGenerated = config.secretKeys.length === 0;
  }

  /**
   * Reads everything once. Without GRANTKEEPER_SECRET_KEY and without any stored key, the
   * embedded mode's first start generates one admin key: only its digest is stored, and the
   * key is returned to be shown once.
   */
  static async load(db: Executor, config: Config, log: Logger): Promise<{ auth: AuthState; generatedKey: string | null }> {
    const auth = new AuthState(db, config, log);
    let generatedKey: string | null = null;
    if (auth.withGenerated && (await listActiveApiKeys(db, { withGenerated: true })).length === 0) {
      generatedKey = randomToken('gk_sk_');
      await insertApiKey(db, {
        id: newRowId(), digest: sha256Hex(generatedKey), name: 'generated on first start', source: 'generated', scopes: ['admin'], integrations: null, expires_at: null,
      });
    }
    await auth.reloadAll();
    return { auth, generatedKey };
  }

  /**
   * Re-reads the stored keys. Calls are serialized, and one asked for while another runs
   * starts after it, so a caller that committed a change sees it applied when this resolves.
   */
  reloadKeys(): Promise<void> {
    this.reloadQueued ??= (async () => {
      await this.reloadRunning?.catch(() => {});
      this.reloadQueued = null;
      this.reloadRunning = this.readStoredKeys().then((rows) => this.keys.replaceRows(rows));
      return this.reloadRunning;
    })();
    return this.reloadQueued;
  }

  /** The stored keys that authenticate on this server (fresh `last_used_at`), newest first. */
  readStoredKeys(): Promise<ApiKeyRow[]> {
    return listActiveApiKeys(this.db, { withGenerated: this.withGenerated });
  }

  /** Applies what another instance (or this one) announced on AUTH_CHANNEL. */
  onNotification(payload: string): Promise<void> {
    if (payload === 'keys') return this.reloadKeys();
    const session = /^session:([0-9a-f]{64}):(\d+)$/.exec(payload);
    if (session) this.sessions.add(session[1]!, Number(session[2]));
    const blocked = /^blocked:(\d+):(.+)$/.exec(payload);
    if (blocked) this.limit.block(blocked[2]!, Number(blocked[1]));
    return Promise.resolve();
  }

  /** Logs a dashboard session out, on every instance, for good. */
  async revokeSession(session: { id: string; expiresAt: number }): Promise<void> {
    const digest = SessionRevocations.digest(session.id);
    await insertSessionRevocation(this.db, digest, new Date(session.expiresAt));
    this.sessions.add(digest, session.expiresAt);
    await notifyAuthChanged(this.db, `session:${digest}:${session.expiresAt}`);
  }

  /** One `auth-sync` pass: write the queued uses, then re-read everything. */
  async sync(): Promise<{ usesWritten: number }> {
    const usesWritten = await this.writeUses();
    await this.reloadAll();
    return { usesWritten };
  }

  /** Writes the `last_used_at` marks queued since the last pass (no query when there are none). */
  async writeUses(): Promise<number> {
    const uses = this.keys.takeUses();
    for (const use of uses) await markApiKeyUsed(this.db, use.rowId, use.at, this.config.auth.lastUsedResolutionS);
    return uses.length;
  }

  private async reloadAll(): Promise<void> {
    await this.reloadKeys();
    this.sessions.merge(await listSessionRevocations(this.db));
    this.limit.merge(await listBlockedClients(this.db, this.config.auth.loginMaxFailures, this.config.auth.loginWindowS));
  }
}

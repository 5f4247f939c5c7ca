// Retention (docs/design.md "Storage and secrets"; docs/operations.md has the table → rule → setting
// list): every GRANTKEEPER_RETENTION_INTERVAL_MS, each table that grows on its own is pruned
// by its rule, in batches of at most 500 rows, each its own short statement — so the
// embedded database, whose single connection every request shares, is never held for long.
import type { AppContext } from '../context.js';
import { pruneIdempotencyKeys } from '../db/idempotency/idempotency-keys.js';
import { pruneRevokedApiKeys } from '../db/retention/prune-api-keys.js';
import { clearExpiredPreviousClientSecrets } from '../db/retention/clear-previous-client-secrets.js';
import { pruneAuthFailures } from '../db/retention/prune-auth-failures.js';
import { pruneSessionRevocations } from '../db/retention/prune-session-revocations.js';
import { pruneAuditEvents } from '../db/retention/prune-audit-events.js';
import { pruneConnectSessions } from '../db/retention/prune-connect-sessions.js';
import { pruneGrantLedger } from '../db/retention/prune-grant-ledger.js';
import { pruneRefreshStats } from '../db/retention/prune-refresh-stats.js';
import { pruneRetiredGrants } from '../db/retention/prune-retired-grants.js';
import { pruneRevocations } from '../db/retention/prune-revocations.js';
import { pruneDeliveries, pruneEvents, pruneOutbox, pruneSpikes } from '../db/retention/prune.js';
import type { Executor } from '../db/types.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

/** Rows deleted by one pass, per rule. */
export interface RetentionSummary {
  events: number;
  deliveries: number;
  outbox: number;
  spikes: number;
  idempotencyKeys: number;
  connectSessions: number;
  revocations: number;
  grantLedger: number;
  refreshStats: number;
  revokedApiKeys: number;
  retiredGrants: number;
  /** Replaced client secrets wiped once their overlap ended (a column, not rows). */
  previousClientSecrets: number;
  sessionRevocations: number;
  authFailures: number;
  auditEvents: number;
}

/** Deletes one batch of at most `batch` rows; returns how many went. */
type PruneBatch = (db: Executor, batch: number) => Promise<number>;

/** The most rows one statement deletes, whatever the configuration says. */
const MAX_BATCH = 500;

export class Retention {
  readonly worker: PeriodicWorker<RetentionSummary>;

  constructor(private readonly ctx: AppContext) {
    this.worker = instanceWorker(ctx, {
      name: 'retention',
      intervalMs: ctx.config.retention.intervalMs,
      pass: (signal) => this.pass(signal),
    });
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** One full pass now (or right after the running one). */
  prune(): Promise<RetentionSummary> {
    return this.worker.runNow();
  }

  /** The rules, in order: deliveries go before the outbox rows they belong to. */
  private rules(): [keyof RetentionSummary, PruneBatch][] {
    const { retention, idempotencyTtlS, hardening, auth, audit } = this.ctx.config;
    return [
      ['events', (db, batch) => pruneEvents(db, retention.days, batch)],
      ['deliveries', (db, batch) => pruneDeliveries(db, retention.days, batch)],
      ['outbox', (db, batch) => pruneOutbox(db, retention.days, batch)],
      ['spikes', (db, batch) => pruneSpikes(db, retention.days, batch)],
      // A key older than its TTL is never replayed (the API releases it on sight): only its encrypted response remains.
      ['idempotencyKeys', (db, batch) => pruneIdempotencyKeys(db, new Date(Date.now() - idempotencyTtlS * 1000), batch)],
      ['connectSessions', (db, batch) => pruneConnectSessions(db, retention.connectSessionDays, batch)],
      ['revocations', (db, batch) => pruneRevocations(db, retention.revocationDays, batch)],
      ['grantLedger', (db, batch) => pruneGrantLedger(db, retention.grantLedgerDays, batch)],
      ['refreshStats', (db, batch) => pruneRefreshStats(db, retention.refreshStatsDays, batch)],
      ['revokedApiKeys', (db, batch) => pruneRevokedApiKeys(db, retention.revokedApiKeyDays, batch)],
      ['retiredGrants', (db, batch) => pruneRetiredGrants(db, hardening.retiredGrantDays, batch)],
      ['previousClientSecrets', (db, batch) => clearExpiredPreviousClientSecrets(db, batch)],
      // A logout is kept until the session would have expired anyway; a wrong-key count until its window ends.
      ['sessionRevocations', (db, batch) => pruneSessionRevocations(db, batch)],
      ['authFailures', (db, batch) => pruneAuthFailures(db, auth.loginWindowS, batch)],
      ['auditEvents', (db, batch) => pruneAuditEvents(db, audit.retentionDays, batch)],
    ];
  }

  private async pass(signal: AbortSignal): Promise<RetentionSummary> {
    const summary: RetentionSummary = {
      events: 0, deliveries: 0, outbox: 0, spikes: 0, idempotencyKeys: 0,
      connectSessions: 0, revocations: 0, grantLedger: 0, refreshStats: 0, revokedApiKeys: 0, retiredGrants: 0, previousClientSecrets: 0,
      sessionRevocations: 0, authFailures: 0, auditEvents: 0,
    };
    for (const [rule, prune] of this.rules()) summary[rule] = await this.drain(prune, signal);
    if (Object.values(summary).some((n) => n > 0)) this.ctx.log.info(summary, 'retention pruned old rows');
    return summary;
  }

  private async drain(prune: PruneBatch, signal: AbortSignal): Promise<number> {
    const batch = Math.min(MAX_BATCH, this.ctx.config.retention.batchSize);
    let total = 0;
    while (!signal.aborted) {
      const deleted = await prune(this.ctx.db.kysely, batch);
      total += deleted;
      if (deleted < batch) break;
      // Let queued requests through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}

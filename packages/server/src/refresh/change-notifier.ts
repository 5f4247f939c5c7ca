// Tells the other instances that grants changed (their token caches drop the old access
// token; callers waiting on the lease wake up), for the commits that announce nothing.
// A NOTIFY inside a commit takes PostgreSQL's one notify lock for the whole commit, WAL flush
// included, so every refresh commit of every instance queued behind the previous one; sent
// right after the commit instead, in batches (one statement carries every change queued while
// the previous one ran), the lock is taken once per batch. A batch lost to a crash or an
// outage is covered by the token cache's re-validation (GRANTKEEPER_CACHE_TTL_MS) and the
// waiters' re-check (GRANTKEEPER_LEASE_POLL_MS).
import type { AppContext } from '../context.js';
import { notifyConnectionsChanged, type ConnectionChange } from '../db/notify.js';

const MAX_BATCH = 100;

class ChangeNotifier {
  private queue: ConnectionChange[] = [];
  private sending: Promise<void> | null = null;

  constructor(private readonly ctx: AppContext) {}

  /** Queues one committed change; resolves once its notification went out (or failed). */
  announce(change: ConnectionChange): Promise<void> {
    this.queue.push(change);
    this.sending ??= this.drain().finally(() => (this.sending = null));
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await notifyConnectionsChanged(this.ctx.db.kysely, batch);
      } catch (error) {
        this.ctx.log.warn({ err: { message: (error as Error).message }, changes: batch.length }, 'announcing refreshed grants failed; caches re-validate within their TTL');
      }
    }
  }
}

const notifiers = new WeakMap<AppContext, ChangeNotifier>();

/** Announces a committed grant change to every instance, batched with its neighbours. */
export function announceChange(ctx: AppContext, change: ConnectionChange): Promise<void> {
  let notifier = notifiers.get(ctx);
  if (!notifier) notifiers.set(ctx, (notifier = new ChangeNotifier(ctx)));
  return notifier.announce(change);
}

// The row lease that makes one instance the only refresher of a connection (docs/design.md "The
// refresh algorithm", step 3): taken in database time, renewed every third of its lifetime
// while the provider call runs, released by the commit. A renewal that fails, or finds the
// lease taken by someone else, is never silent: it is logged and counted, and a lost lease
// is flagged so the commit can record it (the compare-and-set on `generation` still guards
// the write itself).
import type { AppContext } from '../context.js';
import { acquireLease } from '../db/refresh/acquire-lease.js';
import { releaseLease, renewLease } from '../db/refresh/renew-lease.js';
import type { ConnectionRow } from '../db/types.js';
import { toPublicId } from '../model/ids.js';

export interface HeldLease {
  /** Set once a renewal found the lease no longer ours. */
  readonly lost: boolean;
  /** Stops renewing (the commit or the failure write releases the lease itself). */
  stop(): void;
}

/** The leased row, or undefined while another holder's lease (or its intent grace) runs. */
export function takeLease(ctx: AppContext, connectionId: string): Promise<ConnectionRow | undefined> {
  const { config } = ctx;
  return acquireLease(ctx.db.kysely, connectionId, config.instanceId, config.refresh.leaseTtlMs, config.refresh.intentGraceS);
}

/** Keeps the lease alive while the provider call runs. */
export function holdLease(ctx: AppContext, connectionId: string): HeldLease {
  const { config, metrics, log } = ctx;
  const connection = toPublicId('connection', connectionId);
  let lost = false;
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return; // the previous renewal is still waiting on the database
    renewing = true;
    renewLease(ctx.db.kysely, connectionId, config.instanceId, config.refresh.leaseTtlMs)
      .then((state) => {
        if (state === 'renewed') return;
        clearInterval(timer);
        if (state === 'released') return; // our commit ended it: nothing lost
        lost = true;
        metrics.leaseRenewalsFailed.inc({ reason: 'lost' });
        log.warn({ connection }, 'refresh lease lost while the provider call runs; the commit is still guarded by the generation check');
      })
      .catch((error: unknown) => {
        metrics.leaseRenewalsFailed.inc({ reason: 'error' });
        log.warn({ connection, err: { message: (error as Error).message } }, 'renewing the refresh lease failed; retrying at the next renewal');
      })
      .finally(() => {
        renewing = false;
      });
  }, Math.max(50, Math.floor(config.refresh.leaseTtlMs / 3)));
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    stop: () => clearInterval(timer),
  };
}

/** Gives the lease back without a commit (an early answer under the lease, or an error). */
export async function giveBackLease(ctx: AppContext, connectionId: string): Promise<void> {
  try {
    await releaseLease(ctx.db.kysely, connectionId, ctx.config.instanceId);
  } catch (error) {
    // The lease then simply expires; other holders wait at most its TTL.
    ctx.log.warn({ connection: toPublicId('connection', connectionId), err: { message: (error as Error).message } }, 'releasing the refresh lease failed');
  }
}

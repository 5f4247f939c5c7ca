// The wrong-key limit: GRANTKEEPER_LOGIN_MAX_FAILURES wrong keys per client address per
// GRANTKEEPER_LOGIN_WINDOW_S, counted in the database so every instance shares the count.
// Once a client reaches it, every key it presents is refused with 429 until the window ends —
// a right one too, or the 429s would only tell a guesser which guesses were wrong. Blocked
// clients are held in memory (and announced to the other instances), so neither a correct
// key nor a blocked client's retry costs a query.
import type { AuthConfig } from '../config/auth.js';
import { countAuthFailure } from '../db/auth-failures/count-auth-failure.js';
import { notifyAuthChanged } from '../db/auth-notify.js';
import type { Executor } from '../db/types.js';
import type { Logger } from '../log.js';

export class WrongKeyLimit {
  private readonly blocked = new Map<string, number>();

  constructor(private readonly db: Executor, private readonly config: AuthConfig, private readonly log: Logger) {}

  /** Seconds until a blocked client may present a key again; null when it is not blocked. */
  retryAfterS(client: string, now = Date.now()): number | null {
    const until = this.blocked.get(client);
    if (until === undefined) return null;
    if (until <= now) {
      this.blocked.delete(client);
      return null;
    }
    return Math.max(1, Math.ceil((until - now) / 1000));
  }

  /**
   * Counts one wrong key. Returns the seconds to wait when this attempt is already over the
   * limit (answer 429); null when it is within it (answer 401). Reaching the limit blocks the
   * client here and on every other instance.
   */
  async count(client: string, now = Date.now()): Promise<number | null> {
    const { failures, window_ends_at: windowEndsAt } = await countAuthFailure(this.db, client, this.config.loginWindowS);
    const until = windowEndsAt.getTime();
    if (failures < this.config.loginMaxFailures) return null;
    if (!this.blocked.has(client)) {
      this.block(client, until);
      this.log.warn({ client, failures, window_s: this.config.loginWindowS }, 'too many wrong API keys from one client: refusing its keys until the window ends');
      await notifyAuthChanged(this.db, `blocked:${until}:${client}`).catch(() => {});
    }
    return failures > this.config.loginMaxFailures ? Math.max(1, Math.ceil((until - now) / 1000)) : null;
  }

  block(client: string, untilMs: number): void {
    if (untilMs > Date.now() && untilMs > (this.blocked.get(client) ?? 0)) this.blocked.set(client, untilMs);
  }

  /** Adds the blocks the database holds (merged: a block heard meanwhile stays). */
  merge(rows: readonly { client: string; window_ends_at: Date }[]): void {
    for (const r of rows) this.block(r.client, r.window_ends_at.getTime());
  }
}

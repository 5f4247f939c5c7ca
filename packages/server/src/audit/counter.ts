// Frequent actions (token reads, proxy calls, wrong keys) are counted here, in memory, per
// (minute, action, actor, target, client address): on the token fast path counting is one
// Map lookup and an increment, no I/O. The audit flusher (workers/audit-flush.ts) takes the
// counts every GRANTKEEPER_AUDIT_FLUSH_MS and writes them as rows with a count.
import type { Actor } from '../domain/access.js';
import type { AuditContext, AuditTarget, CountedAuditAction } from '../domain/audit.js';

export interface CountedEvent {
  /** Identifies the row across flushes and instances (the row id is derived from it). */
  key: string;
  /** Start of the minute the actions fell in (ms since epoch). */
  minute: number;
  action: CountedAuditAction;
  actor: Actor;
  target: AuditTarget | null;
  ip: string | null;
  count: number;
}

/** Distinct rows pending before the flusher is asked to write early (bounds memory). */
const PRESSURE_AT = 10_000;

export class AuditCounter {
  private pending = new Map<string, CountedEvent>();
  /** Called when many distinct rows are pending: the flusher writes them now. */
  onPressure: (() => void) | null = null;

  count(audit: AuditContext, action: CountedAuditAction, target: AuditTarget | null, now = Date.now()): void {
    const minute = now - (now % 60_000);
    const { actor, ip } = audit;
    // Ids, types, addresses and actions hold no newline: the key is unambiguous.
    const key = `${minute}\n${action}\n${actor.type}\n${actor.id ?? ''}\n${target?.type ?? ''}\n${target?.id ?? ''}\n${ip ?? ''}`;
    const entry = this.pending.get(key);
    if (entry) {
      entry.count++;
      return;
    }
    this.pending.set(key, { key, minute, action, actor, target, ip, count: 1 });
    if (this.pending.size === PRESSURE_AT) this.onPressure?.();
  }

  /** Everything counted so far; counting starts afresh. */
  take(): CountedEvent[] {
    const taken = [...this.pending.values()];
    this.pending = new Map();
    return taken;
  }

  /** Counts a flush could not write: merged back, so the next flush writes them. */
  restore(events: CountedEvent[]): void {
    for (const event of events) {
      const entry = this.pending.get(event.key);
      if (entry) entry.count += event.count;
      else this.pending.set(event.key, { ...event });
    }
  }

  /** Distinct rows waiting for the next flush. */
  get size(): number {
    return this.pending.size;
  }
}

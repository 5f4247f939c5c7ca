// Frequent actions (token reads, proxy calls, wrong keys) are counted here, in memory, per
// (minute, action, actor, target, client address): on the token fast path counting is a few
// Map lookups and an increment — no key string is built, no I/O. The audit flusher
// (workers/audit-flush.ts) takes the counts every GRANTKEEPER_AUDIT_FLUSH_MS and writes
// them as rows with a count.
import type { Actor } from '../domain/access.js';
import type { AuditContext, AuditTarget, CountedAuditAction } from '../domain/audit.js';

export interface CountedEvent {
  /** Start of the minute the actions fell in (ms since epoch). */
  minute: number;
  action: CountedAuditAction;
  actor: Actor;
  target: AuditTarget | null;
  ip: string | null;
  count: number;
}

/** One level per part of a row's identity, so a count walks existing keys instead of building one. */
type Level<V> = Map<string, V>;
/** minute → action → actor type → actor id → target type → target id → address → the pending row. */
type Pending = Map<number, Level<Level<Level<Level<Level<Level<CountedEvent>>>>>>>;

function level<K, V>(map: Map<K, Level<V>>, key: K): Level<V> {
  let next = map.get(key);
  if (!next) map.set(key, (next = new Map()));
  return next;
}

/** Distinct rows pending before the flusher is asked to write early (bounds memory). */
const PRESSURE_AT = 10_000;

export class AuditCounter {
  private pending: Pending = new Map();
  private rows = 0;
  /** Called when many distinct rows are pending: the flusher writes them now. */
  onPressure: (() => void) | null = null;

  count(audit: AuditContext, action: CountedAuditAction, target: AuditTarget | null, now = Date.now()): void {
    this.add(now - (now % 60_000), action, audit.actor, target, audit.ip, 1);
  }

  /** Everything counted so far; counting starts afresh. */
  take(): CountedEvent[] {
    const taken: CountedEvent[] = [];
    for (const byAction of this.pending.values()) {
      for (const byActorType of byAction.values()) {
        for (const byActorId of byActorType.values()) {
          for (const byTargetType of byActorId.values()) {
            for (const byTargetId of byTargetType.values()) {
              for (const byAddress of byTargetId.values()) taken.push(...byAddress.values());
            }
          }
        }
      }
    }
    this.pending = new Map();
    this.rows = 0;
    return taken;
  }

  /** Counts a flush could not write: merged back, so the next flush writes them. */
  restore(events: CountedEvent[]): void {
    for (const e of events) this.add(e.minute, e.action, e.actor, e.target, e.ip, e.count);
  }

  /** Distinct rows waiting for the next flush. */
  get size(): number {
    return this.rows;
  }

  private add(minute: number, action: CountedAuditAction, actor: Actor, target: AuditTarget | null, ip: string | null, count: number): void {
    const byAddress = level(level(level(level(level(level(this.pending, minute), action), actor.type), actor.id ?? ''), target?.type ?? ''), target?.id ?? '');
    const address = ip ?? '';
    const entry = byAddress.get(address);
    if (entry) {
      entry.count += count;
      return;
    }
    byAddress.set(address, { minute, action, actor, target, ip, count });
    if (++this.rows === PRESSURE_AT) this.onPressure?.();
  }
}

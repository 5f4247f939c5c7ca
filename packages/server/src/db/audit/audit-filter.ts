import type { SelectQueryBuilder } from 'kysely';
import type { ActorType } from '../../domain/access.js';
import type { AuditAction } from '../../domain/audit.js';
import type { Database } from '../schema.js';

/** What GET /v1/audit-events and its export narrow rows by; every member optional. */
export interface AuditFilter {
  /** An actor's id (`key_…`, `env`). */
  actorId?: string;
  actorType?: ActorType;
  /** Any of these actions. */
  actions?: AuditAction[];
  /** A target's public id (`conn_…`). */
  targetId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** The filter's conditions on a query over audit_events (each one an index range, see 0003). */
export function whereAudit<O>(query: SelectQueryBuilder<Database, 'audit_events', O>, filter: AuditFilter): SelectQueryBuilder<Database, 'audit_events', O> {
  let q = query;
  if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
  if (filter.actorType !== undefined) q = q.where('actor_type', '=', filter.actorType);
  if (filter.actions !== undefined) q = q.where('action', 'in', filter.actions);
  if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
  if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('at', '<', filter.to);
  return q;
}

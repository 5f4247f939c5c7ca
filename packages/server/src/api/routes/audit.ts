// GET /v1/audit-events (newest first, keyset pages) and GET /v1/audit-events/export (NDJSON,
// oldest first, streamed from the database one batch at a time): who did what, to what,
// when and from where. Admin only.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import type { AuditFilter } from '../../db/audit/audit-filter.js';
import { listAuditEvents } from '../../db/audit/list-audit-events.js';
import { readAuditExportBatch } from '../../db/audit/read-export-batch.js';
import { encodeCursor } from '../../db/pagination.js';
import type { Executor } from '../../db/types.js';
import type { ActorType } from '../../domain/access.js';
import { AUDIT_ACTIONS, type AuditAction } from '../../domain/audit.js';
import { invalid, type FieldProblem } from '../../errors.js';
import { auditEventToApi } from '../../model/audit-event-view.js';
import { requireScope } from '../../auth/scopes.js';
import { AuditEventSchema, AuditFilterQuery } from '../audit-schemas.js';
import { cursorParam } from '../cursor.js';
import { parseInstant } from '../instant.js';
import { PageQuery, listOf, problemResponses } from '../schemas.js';

/** Rows per database read while exporting: the export never holds more than this in memory. */
export const EXPORT_BATCH = 1000;

const ACTOR_TYPES: readonly ActorType[] = ['api_key', 'dashboard', 'cli', 'system'];
const CONNECTION_ID = /^conn_[0-9a-f]{32}$/;

interface FilterQuery {
  actor?: string;
  action?: string;
  connection?: string;
  from?: string;
  to?: string;
}

/** The query's filters, or a 400 naming every bad one. */
function filterOf(q: FilterQuery): AuditFilter {
  const problems: FieldProblem[] = [];
  const filter: AuditFilter = {};
  if (q.actor !== undefined) {
    const actorType = ACTOR_TYPES.find((t) => t === q.actor);
    if (actorType) filter.actorType = actorType;
    else filter.actorId = q.actor;
  }
  if (q.action !== undefined) {
    const actions = actionsOf(q.action);
    if (actions.length === 0) {
      problems.push({ field: 'querystring.action', message: `must be an action or a family such as "connection.*"; known actions: ${AUDIT_ACTIONS.join(', ')}` });
    } else filter.actions = actions;
  }
  if (q.connection !== undefined) {
    const id = q.connection.toLowerCase();
    if (!CONNECTION_ID.test(id)) problems.push({ field: 'querystring.connection', message: 'must be a connection id (conn_…)' });
    else filter.targetId = id;
  }
  for (const bound of ['from', 'to'] as const) {
    const value = q[bound];
    if (value === undefined) continue;
    const at = parseInstant(value);
    if (!at) problems.push({ field: `querystring.${bound}`, message: 'must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z' });
    else filter[bound] = at;
  }
  if (filter.from && filter.to && filter.from.getTime() >= filter.to.getTime()) problems.push({ field: 'querystring.from', message: 'must be before to' });
  if (problems.length > 0) throw invalid(problems);
  return filter;
}

/** `connection.deleted` → itself; `connection.*` → every action of that family; anything else → none. */
function actionsOf(value: string): AuditAction[] {
  if (value.endsWith('.*')) {
    const family = value.slice(0, -1);
    return AUDIT_ACTIONS.filter((a) => a.startsWith(family));
  }
  return AUDIT_ACTIONS.filter((a) => a === value);
}

/** NDJSON, one batch of rows per chunk; a batch is read only when the client has taken the last. */
async function* exportLines(db: Executor, filter: AuditFilter): AsyncGenerator<string> {
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    const rows = await readAuditExportBatch(db, filter, EXPORT_BATCH, after);
    if (rows.length === 0) return;
    yield rows.map((row) => `${JSON.stringify(auditEventToApi(row))}\n`).join('');
    if (rows.length < EXPORT_BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.id };
  }
}

export function auditRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['audit'];

    r.get('/v1/audit-events', {
      config: requireScope('admin'),
      schema: {
        tags,
        summary: 'The audit log, newest first',
        description: 'Who did what, to what, when and from where. Token reads are counted per actor, connection, client address and minute (`count`). Needs the `admin` scope.',
        querystring: Type.Object({ ...PageQuery, ...AuditFilterQuery }, { additionalProperties: false }),
        response: { 200: listOf(AuditEventSchema), ...problemResponses },
      },
    }, async (request) => {
      const { limit = 50, cursor, ...filters } = request.query;
      const rows = await listAuditEvents(ctx.db.kysely, filterOf(filters), limit, cursorParam(cursor));
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(auditEventToApi),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
      };
    });

    r.get('/v1/audit-events/export', {
      config: requireScope('admin'),
      schema: {
        tags,
        summary: 'The audit log as NDJSON, oldest first (for a SIEM)',
        description:
          'One audit event per line, in the shape of GET /v1/audit-events, streamed from the database in batches. `from` is inclusive, `to` exclusive. A counted row of the current minute may still grow: export up to a minute and a flush interval ago for final counts.',
        querystring: Type.Object(AuditFilterQuery, { additionalProperties: false }),
      },
    }, async (request, reply) => {
      const filter = filterOf(request.query);
      return reply
        .type('application/x-ndjson')
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment; filename="grantkeeper-audit.ndjson"')
        .send(Readable.from(exportLines(ctx.db.kysely, filter)));
    });
  };
}

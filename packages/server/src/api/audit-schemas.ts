// The audit log's request and response schemas (API "Audit log"), and their Static<> types.
import { Type, type Static } from 'typebox';
import { AUDIT_ACTIONS } from '../domain/audit.js';
import { Nullable, Timestamp } from './schemas.js';

const ActorTypeSchema = Type.Union([Type.Literal('api_key'), Type.Literal('dashboard'), Type.Literal('cli'), Type.Literal('system')]);

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.Object({ type: ActorTypeSchema, id: Nullable(Type.String()), name: Nullable(Type.String()) }),
  action: Type.Unsafe<string>({ type: 'string', enum: [...AUDIT_ACTIONS] }),
  target: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  ip: Nullable(Type.String()),
  count: Type.Integer({ minimum: 1, description: 'How many times: above 1 only for counted actions (token.read, proxy.request, api_key.auth_failed), one row per minute' }),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

const Instant = Type.String({ maxLength: 40, description: 'RFC 3339 with an offset, e.g. 2026-01-01T00:00:00Z' });

/** The filters both the list and the export take. */
export const AuditFilterQuery = {
  actor: Type.Optional(Type.String({ maxLength: 128, description: 'An actor id (key_…) or an actor type (api_key, dashboard, cli, system)' })),
  action: Type.Optional(Type.String({ maxLength: 64, description: 'An action (connection.deleted) or a family of them (connection.*)' })),
  connection: Type.Optional(Type.String({ maxLength: 64, description: 'A connection id (conn_…): the actions done to it' })),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
};

export type AuditEvent = Static<typeof AuditEventSchema>;

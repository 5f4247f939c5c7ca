// GET /ui/audit: reads the audit log through /v1 with the visitor's session and decides what
// to show (the page, a filter problem, or that the session's key is not an admin key).
import { Type } from 'typebox';
import type { AuditEvent } from '../api/audit-schemas.js';
import type { Page } from '../api/schemas.js';
import { withQuery } from './api-client.js';
import type { UiRequest } from './guard.js';
import { auditPage, type AuditFiltersInput } from './pages/audit.js';

const field = Type.Optional(Type.Unknown());
export const AuditPageQuery = Type.Object({ actor: field, action: field, connection: field, from: field, to: field, cursor: field });

const str = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined;

/** A `datetime-local` value is read as UTC; anything else goes to the API as typed (it says if it is wrong). */
function utcInstant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const local = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(value);
  return local ? `${local[1]}${local[2] ?? ':00'}Z` : value;
}

export async function auditView(ui: Pick<UiRequest, 'api' | 'csrf' | 'permissions'>, q: Record<string, unknown>): Promise<{ status: number; html: string }> {
  const { api, csrf, permissions } = ui;
  const filters: AuditFiltersInput = {
    actor: str(q.actor, 128),
    action: str(q.action, 64),
    connection: str(q.connection, 64),
    from: str(q.from, 40),
    to: str(q.to, 40),
  };
  const cursor = str(q.cursor, 512) ?? null;
  const apiFilters = { actor: filters.actor, action: filters.action, connection: filters.connection, from: utcInstant(filters.from), to: utcInstant(filters.to) };
  const list = await api.get<Page<AuditEvent>>(withQuery('/v1/audit-events', { ...apiFilters, cursor, limit: 50 }));
  const exportQuery = withQuery('', apiFilters);
  if (list.ok) return { status: 200, html: auditPage({ csrf, permissions, filters, cursor, result: list.body, exportQuery, error: null }) };
  const error = list.status === 403
    ? 'The audit log is for admin keys only: log in with a key that has the admin scope.'
    : `The filters were not accepted: ${list.problem?.errors?.map((e) => `${e.field.replace(/^querystring\./, '')} ${e.message}`).join('; ') || list.problem?.detail || 'unknown error'}`;
  return { status: list.status === 403 ? 403 : 400, html: auditPage({ csrf, permissions, filters, cursor, result: null, exportQuery, error }) };
}

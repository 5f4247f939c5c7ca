// The audit log's vocabulary: what was done (the action), to what (the target), by whom
// (an Actor, domain/access.ts) and from where. Types and the fixed list of actions only;
// audit/ writes the rows, api/ reads them.
import type { Actor } from './access.js';

/** Every action an audit row can record (API "Audit log"); names are part of the contract. */
export const AUDIT_ACTIONS = [
  'token.read',
  'proxy.request',
  'token.refresh',
  'connection.imported',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'connect_session.created',
  'integration.created',
  'integration.updated',
  'integration.deleted',
  'integration.certificate_issued',
  'webhook_endpoint.created',
  'webhook_endpoint.updated',
  'webhook_endpoint.deleted',
  'webhook_endpoint.secret_rotated',
  'api_key.created',
  'api_key.revoked',
  'api_key.auth_failed',
  'keys.rotated',
  'dashboard.login',
  'dashboard.login_failed',
  'dashboard.logout',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Actions too frequent for a row each: counted in memory per actor, action, target, client
 * address and minute, and written as one row with its count (audit/counter.ts).
 */
export type CountedAuditAction = Extract<AuditAction, 'token.read' | 'proxy.request' | 'api_key.auth_failed' | 'dashboard.login_failed'>;

export type AuditTargetType = 'connection' | 'integration' | 'webhook_endpoint' | 'api_key' | 'encryption_key';

/** What an action was done to, by its public id (`conn_…`, an integration key, `we_…`, `key_…`, a key id). */
export interface AuditTarget {
  type: AuditTargetType;
  id: string;
}

/**
 * Who acts and from where, handed explicitly to every service that records a change: the
 * API builds it from the request's principal, the connect flow and workers act as
 * `system`, offline CLI commands as `cli`.
 */
export interface AuditContext {
  actor: Actor;
  /** The client's address as the server saw it; null when no request is involved. */
  ip: string | null;
}

/**
 * A few facts an auditor needs beside the action, never a secret or a request body: names
 * of the fields a change touched, counts of a key rotation.
 */
export type AuditDetail = Record<string, string | number | boolean | string[]>;

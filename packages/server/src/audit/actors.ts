// The actors that are not an API key: Grantkeeper itself (the connect flow, workers) and
// the CLI working on the database without a server.
import { hostname, userInfo } from 'node:os';
import type { Actor } from '../domain/access.js';
import type { AuditContext } from '../domain/audit.js';

const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'grantkeeper' };

/** Work Grantkeeper does on its own or for an end user (the connect flow): `ip` is that user's, if any. */
export function systemAudit(ip: string | null = null): AuditContext {
  return { actor: SYSTEM_ACTOR, ip };
}

/** An offline CLI command: named by the operating-system account that ran it, for the reader. */
export function cliAudit(): AuditContext {
  let who = 'unknown';
  try {
    who = `${userInfo().username}@${hostname()}`;
  } catch {
    // No passwd entry for this uid (some containers): the host alone still says where.
    who = `uid ${process.getuid?.() ?? '?'}@${hostname()}`;
  }
  return { actor: { type: 'cli', id: null, name: who }, ip: null };
}

// A connect flow that fails after it reached the provider is recorded on its integration
// (an event of type `connect_failed`), with the real reason: the end user's return URL only
// gets a short code such as `code_exchange_failed`, and a developer must be able to see
// that it was, say, Grantkeeper's own outbound policy refusing a loopback token URL.
import type { AppContext } from '../context.js';
import type { ConnectSessionRow } from '../db/connect-sessions/find-session.js';
import { insertEvent } from '../db/events/insert-event.js';
import { CONNECT_FAILED_EVENT } from '../db/events/list-integration-events.js';
import { LAST_ERROR_FIELD_MAX_BYTES, truncateUtf8 } from '../diagnosis/last-error.js';
import { newRowId, toPublicId } from '../model/ids.js';
import type { ProviderFailure } from '../providers/classify.js';

export interface ConnectFailure {
  /** The flow's error code, as the return URL gets it (`code_exchange_failed`, a diagnosis code …). */
  code: string;
  /** What happened, in words: the provider's answer, or which of Grantkeeper's rules refused it. */
  reason: string;
  /** A network error, a timeout or a 5xx: trying again later may work. */
  transient?: boolean;
  httpStatus?: number | null;
  /** The provider's own OAuth `error`, when it sent one. */
  providerError?: string | null;
  /** The connection involved: the one a failed verification left behind; default the one being reconnected (null: none). */
  connectionId?: string | null;
}

/** Never fails the flow: a lost record is logged, the end user still gets their answer. */
export async function recordConnectFailure(ctx: AppContext, session: ConnectSessionRow, failure: ConnectFailure): Promise<void> {
  const connectionId = failure.connectionId !== undefined ? failure.connectionId : session.connection_id;
  // The event is the integration's: linked to no connection row (deleting one would delete it
  // too); the connection it involved is named in its detail.
  ctx.log.warn(
    { integration_id: session.integration_id, code: failure.code, http_status: failure.httpStatus ?? null, provider_error: failure.providerError ?? null, reason: failure.reason },
    'connect flow failed',
  );
  try {
    await insertEvent(ctx.db.kysely, {
      id: newRowId(),
      connection_id: null,
      integration_id: session.integration_id,
      type: CONNECT_FAILED_EVENT,
      trigger: 'connect',
      outcome: failure.transient ? 'transient_error' : 'permanent_error',
      http_status: failure.httpStatus ?? null,
      error: failure.code,
      error_description: truncateUtf8(failure.reason, LAST_ERROR_FIELD_MAX_BYTES),
      instance_id: ctx.config.instanceId,
      detail: JSON.stringify({
        end_user_id: session.end_user_id,
        reconnect: session.connection_id !== null,
        connection_id: connectionId === null ? null : toPublicId('connection', connectionId),
        provider_error: failure.providerError ?? null,
      }),
    });
  } catch (error) {
    ctx.log.error({ err: error }, 'recording a failed connect flow failed');
  }
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return 'the token endpoint';
  }
};

/** The code exchange's failure, in words that name the setting or the answer behind it. */
export function codeExchangeFailure(failure: ProviderFailure, tokenUrl: string, timeoutMs: number): ConnectFailure {
  const where = originOf(tokenUrl);
  const base = { code: 'code_exchange_failed', httpStatus: failure.httpStatus, providerError: failure.error };
  switch (failure.kind) {
    case 'blocked':
      return {
        ...base,
        reason: `Grantkeeper's outbound policy refused the token endpoint ${where}: it is a loopback or private address (or plain http://) and GRANTKEEPER_ALLOW_PRIVATE_NETWORK does not allow it. Nothing was sent to the provider.`,
      };
    case 'network_error':
      return { ...base, transient: true, reason: `The token endpoint ${where} could not be reached (network error: refused connection, DNS or TLS failure).` };
    case 'proxy_error':
      return { ...base, transient: true, reason: `The outbound proxy refused or failed to tunnel the call to ${where} (its address, credentials or reachability: docs/outbound-proxy.md).` };
    case 'timeout':
      return { ...base, transient: true, reason: `The token endpoint ${where} did not answer within ${timeoutMs} ms (GRANTKEEPER_TOKEN_TIMEOUT_MS).` };
    case 'oauth_error':
      return {
        ...base,
        transient: failure.httpStatus !== null && failure.httpStatus >= 500,
        reason: `The provider refused the code exchange at ${where}: HTTP ${failure.httpStatus ?? '?'} ${failure.error ?? ''}${failure.errorDescription ? ` — ${failure.errorDescription}` : ''}.`,
      };
    case 'http_error':
      return {
        ...base,
        transient: failure.httpStatus !== null && (failure.httpStatus >= 500 || failure.httpStatus === 429),
        reason: `The token endpoint ${where} answered HTTP ${failure.httpStatus ?? '?'} without an OAuth error${failure.bodyWasJson ? '' : ' (not JSON: a proxy or an error page?)'}.`,
      };
  }
}

/** The provider sent the user back with an error instead of a code. */
export function authorizationFailure(code: 'access_denied' | 'authorization_failed', query: { error?: string; error_description?: string }): ConnectFailure {
  const said = query.error ? `error=${query.error}${query.error_description ? ` (${query.error_description})` : ''}` : 'no authorization code';
  return {
    code,
    providerError: query.error ?? null,
    reason: code === 'access_denied' ? `The user did not allow access at the provider: ${said}.` : `The provider sent the user back with ${said}.`,
  };
}

const STORE_REASONS: Record<'account_mismatch' | 'connection_not_found' | 'duplicate_grant' | 'conflict', string> = {
  account_mismatch: 'The reconnect was authorized as another provider account than the one the connection belongs to; the connection was left unchanged and the new grant revoked.',
  connection_not_found: 'The connection being reconnected was deleted during the flow; the new grant was revoked.',
  duplicate_grant: 'The provider returned a refresh token another connection already holds.',
  conflict: 'The connection kept changing (refreshes holding it) while the new grant was stored; the new grant was revoked.',
};

export function storeFailure(code: keyof typeof STORE_REASONS): ConnectFailure {
  return { code, reason: STORE_REASONS[code] };
}

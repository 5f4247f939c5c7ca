// What the SDK tests need from "a Grantkeeper and a provider behind it". Today the only
// implementation is the pair of test peers in ./peers; a later task adds one backed by the
// real server and the Salesforce emulator, and the same test files run against it. Tests
// count HTTP calls through a recording `fetch` given to the SDK (./harness.ts), not
// through backend internals, so those assertions hold against any backend.
import { startGrantkeeperPeer, PEER_SECRET_KEY } from './peers/grantkeeper-peer.js';
import { startSalesforceRestPeer, NOT_VALID_FOR_REST, SESSION_EXPIRED } from './peers/salesforce-rest-peer.js';

export type ProblemState = 'reauth_required' | 'integration_error' | 'provider_unavailable' | 'refresh_in_progress';

export interface Backend {
  name: string;
  baseUrl: string;
  secretKey: string;
  /** A REST resource on the connection's instance_url, relative (`/services/data/…`). */
  restPath: string;
  createConnection(init?: { integration?: string; endUserId?: string; orgId?: string }): Promise<string>;
  /** The provider forgets the connection's current access token (session expired or revoked). */
  expireSession(connectionId: string): Promise<void>;
  /** The provider refuses every token of the connection with this 401 INVALID_SESSION_ID message. */
  refuseAllSessions(connectionId: string, message: string): Promise<void>;
  /** The stored grant is replaced (as by a reconnect): the generation increases. */
  replaceGrant(connectionId: string): Promise<void>;
  /** Puts the connection where its token request answers that problem; absent if this backend cannot. */
  problemStates: Partial<Record<ProblemState, (connectionId: string) => Promise<void>>>;
  /** Requests the provider's REST API received. */
  restRequests(): { method: string; path: string; token: string | null; body: string }[];
  close(): Promise<void>;
}

export { NOT_VALID_FOR_REST, SESSION_EXPIRED };

export async function startPeerBackend(): Promise<Backend> {
  const salesforce = await startSalesforceRestPeer();
  const grantkeeper = await startGrantkeeperPeer(salesforce);

  const connectionOf = async (id: string) => {
    const res = await fetch(`${grantkeeper.origin}/v1/connections/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${PEER_SECRET_KEY}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const diagnosis = {
    code: 'refresh_token_revoked',
    summary: 'The refresh token was revoked',
    causes: ['The user or an admin revoked the app'],
    fix: ['Reconnect'],
    who_fixes: 'end_user',
    prevention: [],
    confidence: 'certain',
  };

  return {
    name: 'test peers',
    baseUrl: grantkeeper.origin,
    secretKey: PEER_SECRET_KEY,
    restPath: '/services/data/v60.0/sobjects/Account/001000000000001AAA',
    createConnection: async (init) => grantkeeper.createConnection(init),
    expireSession: async (id) => salesforce.revoke(grantkeeper.current(id).accessToken),
    refuseAllSessions: async (id, message) => salesforce.refuseAll(id, message),
    replaceGrant: async (id) => grantkeeper.replaceGrant(id),
    problemStates: {
      reauth_required: async (id) =>
        grantkeeper.answerWith(id, {
          status: 409,
          body: {
            code: 'reauth_required',
            detail: 'The grant is no longer usable',
            diagnosis,
            reconnect_url: `${grantkeeper.origin}/reconnect/${id}?sig=abc`,
            connection: { ...(await connectionOf(id)), status: 'needs_reauth', diagnosis },
          },
        }),
      integration_error: async (id) =>
        grantkeeper.answerWith(id, {
          status: 409,
          body: {
            code: 'integration_error',
            detail: 'The provider rejects the integration credentials',
            connection: { ...(await connectionOf(id)), status: 'integration_error' },
            last_error: { at: new Date().toISOString(), http_status: 400, error: 'invalid_client', error_description: 'invalid client credentials' },
          },
        }),
      provider_unavailable: async (id) =>
        grantkeeper.answerWith(id, {
          status: 503,
          body: { code: 'provider_unavailable', detail: 'The provider failed; retrying with backoff' },
          headers: { 'retry-after': '17' },
        }),
      refresh_in_progress: async (id) =>
        grantkeeper.answerWith(id, {
          status: 503,
          body: { code: 'refresh_in_progress', detail: 'Another instance is refreshing' },
          headers: { 'retry-after': '1' },
        }),
    },
    restRequests: () => salesforce.requests,
    close: async () => {
      await grantkeeper.close();
      await salesforce.close();
    },
  };
}

/** The backend under test. Only the peers exist today; the real server plugs in here later. */
export async function startBackend(): Promise<Backend> {
  return startPeerBackend();
}

// TEST PEER — not Salesforce, and not the Salesforce emulator. A tiny stand-in for
// `{instance_url}/services/data/vXX.X/…` that answers bad sessions exactly as
// docs/salesforce.md shows: 401, application/json, no WWW-Authenticate, body
// [{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}].
import { listen, readBody, sendJson, type Listening } from './listen.js';

export const SESSION_EXPIRED = 'Session expired or invalid';
export const NOT_VALID_FOR_REST = 'This session is not valid for use with the REST API';

export interface SalesforceRestPeer extends Listening {
  /** The token endpoint (here: the Grantkeeper peer) issued this token for this connection. */
  issue(accessToken: string, connectionId: string): void;
  /** The session behind this token ended (expired, revoked, logged out). */
  revoke(accessToken: string): void;
  /** Every token of the connection, current and future, is refused with this message. */
  refuseAll(connectionId: string, message: string): void;
  /** Requests seen, in order. */
  readonly requests: { method: string; path: string; token: string | null; body: string }[];
}

export async function startSalesforceRestPeer(): Promise<SalesforceRestPeer> {
  const owner = new Map<string, string>(); // live access token → connection id
  const refusing = new Map<string, string>(); // connection id → 401 message
  const requests: SalesforceRestPeer['requests'] = [];

  const listening = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1] ?? null;
    const body = await readBody(req);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, token, body });

    if (!url.pathname.startsWith('/services/data/')) return sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    if (token === null) return sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_AUTH_HEADER' }]);
    const connectionId = owner.get(token);
    if (connectionId === undefined) return sendJson(res, 401, [{ message: SESSION_EXPIRED, errorCode: 'INVALID_SESSION_ID' }]);
    const refusal = refusing.get(connectionId);
    if (refusal !== undefined) return sendJson(res, 401, [{ message: refusal, errorCode: 'INVALID_SESSION_ID' }]);

    if (req.method === 'POST') return sendJson(res, 201, { id: '001000000000001AAA', success: true, errors: [], received: body });
    return sendJson(res, 200, { attributes: { type: 'Account' }, Id: '001000000000001AAA', Name: 'Acme' });
  });

  return {
    ...listening,
    requests,
    issue: (accessToken, connectionId) => void owner.set(accessToken, connectionId),
    revoke: (accessToken) => void owner.delete(accessToken),
    refuseAll: (connectionId, message) => void refusing.set(connectionId, message),
  };
}

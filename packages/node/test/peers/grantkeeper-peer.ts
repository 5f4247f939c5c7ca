// TEST PEER — not the Grantkeeper server. It implements only the slice of docs/api.md the SDK
// tests need (token, refresh, connections list/get/delete, connect sessions) with the
// contract's paths, fields, status codes and problem+json codes, so the same tests can
// later run against the real server (see ../backend.ts).
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listen, readBody, sendJson, type Listening } from './listen.js';
import type { SalesforceRestPeer } from './salesforce-rest-peer.js';

export const PEER_SECRET_KEY = 'gk_test_peer_secret_key';
const ACCESS_TOKEN_TTL_S = 7200;

/** A canned problem the token endpoint answers with, instead of a token. */
export interface CannedProblem {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface PeerConnection {
  id: string;
  integration: string;
  endUserId: string;
  orgId: string;
  status: string;
  generation: number;
  accessToken: string;
  expiresAt: number;
  problem: CannedProblem | null;
  createdAt: string;
}

export interface GrantkeeperPeer extends Listening {
  createConnection(init?: { integration?: string; endUserId?: string; orgId?: string }): string;
  /** The stored grant was replaced (reconnect): new token, generation + 1. */
  replaceGrant(connectionId: string): void;
  /** The token endpoint answers this problem for the connection from now on. */
  answerWith(connectionId: string, problem: CannedProblem): void;
  current(connectionId: string): { accessToken: string; generation: number };
}

export async function startGrantkeeperPeer(salesforce: SalesforceRestPeer): Promise<GrantkeeperPeer> {
  const connections = new Map<string, PeerConnection>();

  const issue = (c: PeerConnection): void => {
    c.accessToken = `00D000000000001!${randomBytes(24).toString('base64url')}`;
    c.expiresAt = Date.now() + ACCESS_TOKEN_TTL_S * 1000;
    c.generation += 1;
    salesforce.issue(c.accessToken, c.id);
  };

  const view = (c: PeerConnection) => ({
    id: c.id,
    integration: c.integration,
    end_user: { id: c.endUserId, email: null },
    status: c.status,
    provider_account: { instance_url: salesforce.origin, org_id: c.orgId, user_id: '005000000000001AAA', id_url: null },
    scopes: ['api', 'refresh_token'],
    metadata: {},
    generation: c.generation,
    access_token_expires_at: new Date(c.expiresAt).toISOString(),
    last_refreshed_at: null,
    next_refresh_at: null,
    consecutive_failures: 0,
    last_error: null,
    diagnosis: null,
    created_at: c.createdAt,
    updated_at: c.createdAt,
  });

  const tokenBody = (c: PeerConnection) => ({
    access_token: c.accessToken,
    token_type: 'Bearer',
    expires_at: new Date(c.expiresAt).toISOString(),
    instance_url: salesforce.origin,
    generation: c.generation,
  });

  const problem = (res: ServerResponse, status: number, code: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    res.end(JSON.stringify({ type: `https://grantkeeper.dev/problems/${code}`, title: code.replaceAll('_', ' '), status, detail, code, ...extra }));
  };

  const listening = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    if (req.headers.authorization !== `Bearer ${PEER_SECRET_KEY}`) {
      return problem(res, 401, 'unauthorized', 'missing or invalid API key');
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['v1', 'connections', id, 'token']

    if (req.method === 'GET' && url.pathname === '/v1/connections') {
      const limitRaw = url.searchParams.get('limit') ?? '50';
      const limit = Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        return problem(res, 400, 'validation_failed', 'invalid query', { errors: [{ field: 'limit', message: 'must be an integer from 1 to 500' }] });
      }
      const filter = (c: PeerConnection) =>
        (!url.searchParams.has('integration') || c.integration === url.searchParams.get('integration')) &&
        (!url.searchParams.has('status') || c.status === url.searchParams.get('status')) &&
        (!url.searchParams.has('end_user_id') || c.endUserId === url.searchParams.get('end_user_id')) &&
        (!url.searchParams.has('org_id') || c.orgId === url.searchParams.get('org_id'));
      const all = [...connections.values()].filter(filter);
      const cursor = url.searchParams.get('cursor');
      const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
      return sendJson(res, 200, { data: page.map(view), next_cursor: next });
    }

    if (req.method === 'POST' && url.pathname === '/v1/connect-sessions') {
      let input: { integration?: unknown; end_user?: { id?: unknown }; verify?: unknown };
      try {
        input = JSON.parse(body);
      } catch {
        return problem(res, 400, 'validation_failed', 'body is not JSON', { errors: [{ field: '', message: 'invalid JSON' }] });
      }
      const errors = [];
      if (typeof input.integration !== 'string') errors.push({ field: 'integration', message: 'required' });
      if (typeof input.end_user?.id !== 'string') errors.push({ field: 'end_user.id', message: 'required' });
      if (errors.length) return problem(res, 400, 'validation_failed', 'invalid body', { errors });
      const token = randomBytes(16).toString('base64url');
      return sendJson(res, 201, { token, url: `${listening.origin}/connect/${token}`, expires_at: new Date(Date.now() + 30 * 60_000).toISOString(), verify: input.verify === true });
    }

    if (parts[0] === 'v1' && parts[1] === 'connections' && parts[2] !== undefined) {
      const c = connections.get(parts[2]);
      if (!c) return problem(res, 404, 'not_found', 'no such connection');
      const action = parts[3];

      if (req.method === 'GET' && action === undefined) return sendJson(res, 200, view(c));
      if (req.method === 'DELETE' && action === undefined) {
        connections.delete(c.id);
        salesforce.revoke(c.accessToken);
        res.writeHead(204).end();
        return;
      }
      if ((req.method === 'GET' && action === 'token') || (req.method === 'POST' && action === 'refresh')) {
        const rawMin = url.searchParams.get('min_valid_s');
        const minValidS = rawMin === null ? 300 : Number(rawMin);
        if (!Number.isInteger(minValidS) || minValidS < 0 || minValidS >= ACCESS_TOKEN_TTL_S) {
          return problem(res, 400, 'validation_failed', 'invalid query', { errors: [{ field: 'min_valid_s', message: `must be below access_token_ttl_s (${ACCESS_TOKEN_TTL_S})` }] });
        }
        if (c.problem) return problem(res, c.problem.status, String(c.problem.body.code), String(c.problem.body.detail ?? ''), c.problem.body, c.problem.headers);
        const force = action === 'refresh' || url.searchParams.get('force') === 'true';
        if (force || c.expiresAt - minValidS * 1000 <= Date.now()) issue(c);
        return sendJson(res, 200, tokenBody(c));
      }
    }
    return problem(res, 404, 'not_found', 'no such route');
  });

  let counter = 0;
  return {
    ...listening,
    createConnection(init = {}) {
      counter += 1;
      const c: PeerConnection = {
        id: `conn_${String(counter).padStart(4, '0')}_${randomBytes(4).toString('hex')}`,
        integration: init.integration ?? 'salesforce-prod',
        endUserId: init.endUserId ?? `user-${counter}`,
        orgId: init.orgId ?? '00D000000000001AAA',
        status: 'active',
        generation: 0,
        accessToken: '',
        expiresAt: 0,
        problem: null,
        createdAt: new Date().toISOString(),
      };
      issue(c);
      connections.set(c.id, c);
      return c.id;
    },
    replaceGrant(connectionId) {
      const c = connections.get(connectionId);
      if (!c) throw new Error(`no ${connectionId}`);
      salesforce.revoke(c.accessToken);
      issue(c);
    },
    answerWith(connectionId, canned) {
      const c = connections.get(connectionId);
      if (!c) throw new Error(`no ${connectionId}`);
      c.problem = canned;
    },
    current(connectionId) {
      const c = connections.get(connectionId);
      if (!c) throw new Error(`no ${connectionId}`);
      return { accessToken: c.accessToken, generation: c.generation };
    },
  };
}

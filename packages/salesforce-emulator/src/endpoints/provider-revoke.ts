import type { EmulatorContext } from '../context.js';
import { revokeApproval } from '../grants.js';
import { basicCredentials, parseForm, parseJsonObject, sendJson, type RequestInfo } from '../http.js';
import type { ProviderRevocationShape } from '../request-log.js';
import type { AppRecord } from '../state.js';

/**
 * A provider's own revocation API, for generic-mode apps (GitHub, HubSpot, Slack, Square …
 * revoke with their own requests, not RFC 7009). Routes are added by a test at the path and
 * method the provider uses (`addRevocationEndpoint`); the handler accepts any request shape,
 * finds the token wherever it was put (path segment, query, form or JSON body, Bearer header)
 * and the client authentication (Basic, `<scheme> <secret>` header, body fields), records the
 * shape it saw in the request log, and ends the token's family. Unknown token: 401; wrong
 * client credentials: 401 invalid_client. Success: 200 `{"ok":true}`.
 */
export function handleProviderRevoke(ctx: EmulatorContext, r: RequestInfo): void {
  const type = (r.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const content: ProviderRevocationShape['content'] = r.body.length === 0 ? 'none' : type === 'application/json' ? 'json' : type === 'application/x-www-form-urlencoded' ? 'form' : 'other';
  const body = new Map<string, string>();
  if (content === 'form') for (const [k, v] of parseForm(r.body)) body.set(k, v);
  if (content === 'json') for (const [k, v] of Object.entries(parseJsonObject(r.body) ?? {})) if (typeof v === 'string') body.set(k, v);

  const candidates: { place: ProviderRevocationShape['token_in']; field?: string; value: string }[] = [];
  const bearer = /^bearer\s+(.+)$/i.exec(r.req.headers.authorization ?? '')?.[1]?.trim();
  if (bearer) candidates.push({ place: 'bearer', value: bearer });
  for (const segment of r.url.pathname.split('/')) if (segment) candidates.push({ place: 'path', value: decodeSegment(segment) });
  for (const [field, value] of r.url.searchParams) candidates.push({ place: 'query', field, value });
  for (const [field, value] of body) candidates.push({ place: 'body', field, value });

  const found = candidates.map((c) => ({ ...c, token: findToken(ctx, c.value) })).find((c) => c.token !== undefined);
  const client = clientAuthOf(ctx, r, body, found?.token?.app);
  const shape: ProviderRevocationShape = {
    token_in: found?.place ?? 'none',
    ...(found?.field ? { token_field: found.field } : {}),
    token_kind: found?.token?.kind ?? 'unknown',
    client_auth: client.method,
    ...(client.idField ? { client_id_field: client.idField } : {}),
    content,
    fields: [...body.keys(), ...[...r.url.searchParams.keys()].map((k) => `?${k}`)].sort(),
  };
  r.note.revocation = shape;
  // A token in a path segment must not reach the request log.
  if (found?.place === 'path') r.note.path = r.url.pathname.split('/').map((s) => (s && decodeSegment(s) === found.value ? ':token' : s)).join('/');
  if (client.method !== 'none' && !client.valid) return sendJson(r.res, 401, { ok: false, error: 'invalid_client' });
  if (!found?.token) return sendJson(r.res, 401, { ok: false, error: 'invalid_token' });
  const approval = ctx.state.approvals.get(found.token.approvalId);
  if (!approval || approval.revokedAt !== null) return sendJson(r.res, 401, { ok: false, error: 'invalid_token' });
  revokeApproval(ctx, approval, 'revoked');
  ctx.stats.count('revocations');
  sendJson(r.res, 200, { ok: true, revoked: true });
}

function findToken(ctx: EmulatorContext, value: string): { kind: 'refresh_token' | 'access_token'; approvalId: string; app: AppRecord | undefined } | undefined {
  const refresh = ctx.state.refreshTokens.get(value);
  const access = refresh ? undefined : ctx.state.accessTokens.get(value);
  const approvalId = refresh?.approvalId ?? access?.approvalId;
  if (!approvalId) return undefined;
  const clientId = ctx.state.approvals.get(approvalId)?.clientId;
  return { kind: refresh ? 'refresh_token' : 'access_token', approvalId, app: clientId ? ctx.state.apps.get(clientId) : undefined };
}

/** How the request authenticated the client, judged against the token's app. */
function clientAuthOf(
  ctx: EmulatorContext,
  r: RequestInfo,
  body: Map<string, string>,
  app: AppRecord | undefined,
): { method: ProviderRevocationShape['client_auth']; valid: boolean; idField?: string } {
  const basic = basicCredentials(r.req);
  if (basic === 'malformed') return { method: 'basic', valid: false };
  if (basic) return { method: 'basic', valid: !!app && basic.clientId === app.clientId && basic.clientSecret === app.clientSecret };
  const idField = [...body].find(([, v]) => ctx.state.apps.has(v))?.[0];
  const header = /^([A-Za-z]+)\s+(.+)$/.exec(r.req.headers.authorization ?? '');
  if (header && !/^bearer$/i.test(header[1]!)) {
    return { method: `header:${header[1]}`, valid: !!app && header[2] === app.clientSecret && (!idField || body.get(idField) === app.clientId), ...(idField ? { idField } : {}) };
  }
  if (idField) {
    // A secret field makes it client authentication; a client id alone only names the client.
    if (![...body.keys()].some((k) => /secret/i.test(k))) return { method: 'client_id', valid: !!app && body.get(idField) === app.clientId, idField };
    const secretGiven = [...body.values()].some((v) => app !== undefined && v === app.clientSecret);
    return { method: 'body', valid: !!app && body.get(idField) === app.clientId && secretGiven, idField };
  }
  return { method: 'none', valid: true };
}

/** A path segment decoded; a malformed escape is taken as it is (never a 500). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

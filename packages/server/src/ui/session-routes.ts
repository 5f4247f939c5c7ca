// Logging in and out of the dashboard. Any API key that may read connections opens it; the
// session carries that key's scopes and integration limits and ends with the key. Wrong keys
// count against the client's wrong-key limit exactly as on /v1. Logging out always ends the
// session the request carries (with or without the page's CSRF token: ending a session is
// never harmful), for good and on every instance.
import type { FastifyPluginAsync } from 'fastify';
import { recordAuditEvent } from '../audit/record.js';
import { recordAuthFailure } from '../auth/auth-failures.js';
import { tooManyWrongKeys } from '../auth/authenticate.js';
import { clientAddress } from '../auth/client-address.js';
import { mayUseDashboard, requestSession, requestSessionCookie } from '../auth/dashboard-access.js';
import { clearedSessionCookie, issueSession, sessionCookie } from '../auth/dashboard-sessions.js';
import type { AppContext } from '../context.js';
import { forbidden, unauthorized } from '../errors.js';
import { formOf, sameOrigin, sendPage } from './guard.js';
import { loginPage } from './pages/login.js';

export function sessionRoutes(ctx: AppContext): FastifyPluginAsync {
  const secure = ctx.config.publicUrl.startsWith('https:');
  return async (app) => {
    app.get('/ui/login', { schema: { hide: true } }, async (request, reply) => {
      if (requestSession(ctx, request)) return reply.code(303).header('location', '/ui').send();
      return sendPage(reply, 200, loginPage(null));
    });

    app.post('/ui/session', {
      schema: {
        tags: ['operations'],
        summary: 'Exchange an API key for a dashboard session cookie',
        description:
          'Form field or JSON member `key`, an API key holding connections:read (whichever key). Sets an HttpOnly, SameSite=Strict session cookie; the session has the key\'s scopes (never a token) and ends when the key is revoked. Wrong keys count against the client\'s limit (429 with Retry-After).',
      },
    }, async (request, reply) => {
      const isForm = String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const { key: given } = formOf(request);
      const secret = typeof given === 'string' ? given.trim() : '';
      const client = clientAddress(request.ip);
      const now = Date.now();
      const refuse = (status: 401 | 403 | 429, message: string, error: Error, retryAfterS?: number) => {
        if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
        if (isForm) return sendPage(reply, status, loginPage(message));
        throw error;
      };
      const blockedForS = ctx.auth.limit.retryAfterS(client, now);
      if (blockedForS !== null) {
        await recordAuthFailure(ctx, { client, via: 'dashboard_login', reason: 'blocked' });
        return refuse(429, 'Too many wrong keys from this address. Try again later.', tooManyWrongKeys(blockedForS), blockedForS);
      }
      // No key, an over-long one or a cross-site post is refused without being counted: none is a guess at a key.
      if (!sameOrigin(request) || secret === '' || secret.length > 1024) return refuse(401, 'That key is not valid.', unauthorized('The secret key is not valid.'));
      const key = ctx.auth.keys.find(secret);
      if (!key || (key.expiresAt !== null && key.expiresAt.getTime() <= now)) {
        const retryAfterS = await recordAuthFailure(ctx, { client, via: 'dashboard_login', reason: key ? 'expired_key' : 'unknown_key', keyId: key?.id });
        if (retryAfterS !== null) return refuse(429, 'Too many wrong keys from this address. Try again later.', tooManyWrongKeys(retryAfterS), retryAfterS);
        return refuse(401, 'That key is not valid.', unauthorized('The secret key is not valid.'));
      }
      if (!mayUseDashboard(key)) {
        return refuse(403, 'That key cannot open the dashboard: it needs the connections:read scope.', forbidden('insufficient_scope', 'This key cannot open the dashboard.', { required_scope: 'connections:read' }));
      }
      await recordAuditEvent(ctx.db.kysely, { actor: key.sessionPrincipal.actor, ip: request.ip }, 'dashboard.login', null);
      const { cookieValue } = issueSession(ctx.keyring, ctx.config.ui.sessionTtlS, key.id);
      reply.header('set-cookie', sessionCookie(cookieValue, ctx.config.ui.sessionTtlS, secure));
      if (isForm) return reply.code(303).header('location', '/ui').send();
      return reply.code(204).send();
    });

    app.post('/ui/logout', { schema: { hide: true } }, async (request, reply) => {
      const session = requestSessionCookie(ctx, request);
      if (session) {
        await ctx.auth.revokeSession(session);
        // The key may be gone already (a revoked key's session is still logged out): its id stays.
        const actor = ctx.auth.keys.get(session.keyId)?.sessionPrincipal.actor ?? { type: 'dashboard' as const, id: session.keyId, name: null };
        await recordAuditEvent(ctx.db.kysely, { actor, ip: request.ip }, 'dashboard.logout', null);
      }
      return reply.header('set-cookie', clearedSessionCookie(secure)).code(303).header('location', '/ui/login').send();
    });
  };
}

// Connect flow (issue #5): POST /v1/connect-sessions (authenticated) and the public
// /connect/{token}, /oauth/callback, /reconnect/{connection_id} pages.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { systemAudit } from '../../audit/actors.js';
import { principalOf } from '../../auth/principal.js';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { beginFlow, finishFlow, showReconnectPage, showStartPage, type CallbackQuery, type FlowResponse } from '../../connect/flow.js';
import { createConnectSession } from '../../connect/sessions.js';
import type { VerifyGrant } from '../../connect/verify-grant.js';
import type { ProviderEgress } from '../../outbound/provider-egress.js';
import { auditOf } from '../audit-context.js';
import { ConnectionConfigSchema, EndUserSchema, ExternalIdSchema, Timestamp, problemResponses } from '../schemas.js';

interface ConnectDeps {
  /** The instance's outbound client for providers (the code exchange goes through it). */
  providerFetch: ProviderEgress;
  /** Sends queued revocations now (a dead grant's token, before the user re-authorizes). */
  revokeQueued?: () => Promise<unknown>;
  /** A session's `verify`: refreshes the new grant once, right after the code exchange. */
  verifyGrant?: VerifyGrant;
}

const ConnectSessionBody = Type.Object(
  {
    integration: Type.String({ minLength: 1, maxLength: 64 }),
    end_user: EndUserSchema,
    connection_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    external_id: Type.Optional(ExternalIdSchema),
    return_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    connection_config: Type.Optional(ConnectionConfigSchema),
    verify: Type.Optional(
      Type.Boolean({
        description:
          "Refresh the new grant once right after the code exchange; a permanent failure stores the connection needs_reauth and redirects with status=error&error=<diagnosis code>. Default: the provider's catalog entry (verify_on_connect, GET /v1/providers).",
      }),
    ),
  },
  { additionalProperties: false },
);

const ConnectSessionResponse = Type.Object({
  token: Type.String(),
  url: Type.String(),
  expires_at: Timestamp,
  verify: Type.Boolean({ description: 'Whether this session verifies the new grant.' }),
});

/** Authenticated: `POST /v1/connect-sessions`. */
export function connectSessionRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post('/v1/connect-sessions', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connect'],
        summary: 'Create a connect session (a one-time link for an end user to authorize, or re-authorize a connection)',
        body: ConnectSessionBody,
        response: { 201: ConnectSessionResponse, ...problemResponses },
      },
    }, async (request, reply) => {
      const created = await createConnectSession(ctx, auditOf(request), request.body, principalOf(request).integrations);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    });
  };
}

function send(reply: FastifyReply, response: FlowResponse): FastifyReply {
  if (response.kind === 'redirect') {
    // The redirect carries the provider's authorization request or the product's return URL:
    // it must not be cached, and must not leak this page's URL (the connect token).
    reply.header('set-cookie', response.cookies).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    return reply.redirect(response.location, 302);
  }
  if (response.cookies?.length) reply.header('set-cookie', response.cookies);
  return reply.code(response.page.status).headers(response.page.headers).send(response.page.html);
}

const TokenParams = Type.Object({ token: Type.String({ maxLength: 256 }) });
const PageSchema = { hide: true } as const;
// The provider's callback parameters stay `unknown` until read as strings: an odd value is
// the flow's to explain on its page, never a JSON 400.
const field = Type.Optional(Type.Unknown());
const CallbackParams = Type.Object({ state: field, code: field, error: field, error_description: field });
const ReconnectQuery = Type.Object({ sig: field });
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Public: the hosted pages and the OAuth callback. */
export function connectPublicRoutes(ctx: AppContext, deps: ConnectDeps): FastifyPluginAsync {
  return async (app) => {
    // The start page's form posts an empty urlencoded body; nothing in it is read.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, _body, done) => done(null, {}));
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get('/connect/:token', { schema: { ...PageSchema, params: TokenParams } }, async (request, reply) =>
      send(reply, await showStartPage(ctx, request.params.token)),
    );

    r.post('/connect/:token', { schema: { ...PageSchema, params: TokenParams } }, async (request, reply) =>
      send(reply, await beginFlow(ctx, request.params.token, deps.revokeQueued)),
    );

    r.get('/oauth/callback', { schema: { ...PageSchema, querystring: CallbackParams } }, async (request, reply) => {
      const query: CallbackQuery = {};
      for (const name of ['state', 'code', 'error', 'error_description'] as const) {
        const value = text(request.query[name]);
        if (value !== undefined) query[name] = value;
      }
      // The connect flow acts as Grantkeeper itself, for the end user whose browser this is.
      return send(reply, await finishFlow(ctx, systemAudit(request.ip), deps.providerFetch, query, request.headers.cookie, deps.verifyGrant));
    });

    r.get('/reconnect/:connection_id', {
      schema: { ...PageSchema, params: Type.Object({ connection_id: Type.String({ maxLength: 64 }) }), querystring: ReconnectQuery },
    }, async (request, reply) => {
      return send(reply, await showReconnectPage(ctx, systemAudit(request.ip), request.params.connection_id, text(request.query.sig)));
    });
  };
}

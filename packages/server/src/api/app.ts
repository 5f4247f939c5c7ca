// The HTTP server: one Fastify plugin per resource, problem+json for every error, the
// OpenAPI document generated from the route schemas. The routes are given the services they
// act through; they build none themselves.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { authenticate } from '../auth/authenticate.js';
import type { AppContext } from '../context.js';
import { notFound } from '../errors.js';
import type { Services } from '../services.js';
import { DOCS_THEME } from './docs-theme.js';
import { registerIdempotency } from './idempotency.js';
import { boundJsonBodies } from './json-bounds.js';
import { openApiWebhooks } from './openapi-webhooks.js';
import { clientErrorHandler, limitSocketsPerIp, requestDeadlineOptions } from './socket-limits.js';
import { assertRouteScope, declareRouteScopes } from './route-scopes.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { errorHandler, nangoErrorHandler, sendProblem } from './problem.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { connectPublicRoutes, connectSessionRoutes } from './routes/connect.js';
import { connectionRoutes } from './routes/connections.js';
import { integrationEventRoutes } from './routes/integration-events.js';
import { integrationRoutes } from './routes/integrations.js';
import { operationsRoutes } from './routes/operations.js';
import { providerRoutes } from './routes/providers.js';
import { markIfProxyUrl, proxyRoutes } from './routes/proxy.js';
import { mcpRoutes } from './routes/mcp.js';
import { readinessRoutes } from './routes/readiness.js';
import { rootRoutes } from './routes/root.js';
import { spikeRoutes } from './routes/spikes.js';
import { statsRoutes } from './routes/stats.js';
import { webhookRoutes } from './routes/webhooks.js';
import { nangoRoutes } from './nango/plugin.js';

/** What the routes act through. */
type ApiServices = Pick<Services, 'engine' | 'dispatcher' | 'hooks' | 'outbound' | 'proxy'>;

export async function buildApp(ctx: AppContext, services: ApiServices): Promise<FastifyInstance> {
  // Typed as Fastify's own logger interface, so the app is a plain FastifyInstance.
  const logger: FastifyBaseLogger = ctx.log;
  const app = Fastify({
    loggerInstance: logger,
    // Per-request lines would dominate the token fast path; metrics count requests instead,
    // and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: building one (with the redaction rules) cost more than the
    // rest of the token fast path. Error lines carry the request themselves.
    childLoggerFactory: (logger) => logger,
    bodyLimit: 1024 * 1024,
    // Slow clients cannot hold sockets: a request arrives whole in time or is closed.
    ...requestDeadlineOptions(ctx.config.hardening),
    clientErrorHandler: clientErrorHandler((reason) => ctx.metrics.httpClientErrors.inc({ reason })),
    // Malformed URLs and over-long path parameters become problem+json like every other error.
    frameworkErrors: (error, request, reply) => {
      markIfProxyUrl(request.url, reply);
      // Under /nango, in Nango's error shape like everything else there.
      return /^\/nango(?:[/?]|$)/.test(request.url) ? nangoErrorHandler(error, request, reply) : errorHandler(error, request, reply);
    },
    routerOptions: { maxParamLength: 256 },
    ajv: {
      customOptions: {
        removeAdditional: false, // unknown fields are rejected, not silently dropped
        coerceTypes: 'array',
        allErrors: true,
        useDefaults: true,
      },
    },
  });

  limitSocketsPerIp(app.server, ctx.config.hardening.maxSocketsPerIp, () => ctx.metrics.httpConnectionsRefused.inc());
  app.setErrorHandler(errorHandler);
  boundJsonBodies(app, ctx.config.hardening.jsonMaxDepth);
  app.setNotFoundHandler((request, reply) => {
    markIfProxyUrl(request.url, reply);
    return sendProblem(reply, notFound(`${request.method} ${request.url.split('?')[0]}`));
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) request.log.warn({ req: request, res: reply }, 'request failed');
  });

  // Every response is nosniff; every HTML page that did not set its own policy (the
  // reference docs) still gets one that forbids framing and foreign scripts.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      if (!reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      }
      if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
      if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
    }
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Grantkeeper API',
        version: '0.1.0',
        description: 'Keeps OAuth grants alive: encrypted token storage, single-flight refresh, diagnosis of dead grants, signed webhooks.',
        license: { name: 'MIT' },
      },
      components: { securitySchemes: { secretKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ secretKey: [] }],
      webhooks: openApiWebhooks(),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', ...DOCS_THEME });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const { engine, dispatcher, hooks, outbound, proxy } = services;
  await app.register(operationsRoutes(ctx, outbound.providers));
  await app.register(rootRoutes());
  await app.register(mcpRoutes(ctx, proxy, (options) => app.inject(options)));
  await app.register(connectPublicRoutes(ctx, { providerFetch: outbound.providers, revokeQueued: hooks.revokeQueued, verifyGrant: hooks.verifyConnected }));

  // Everything under /v1 needs an API key (or the dashboard's session) holding the route's scope.
  const guarded = (scope: FastifyInstance) => {
    declareRouteScopes(scope);
    // One hook: who is calling, then whether the route's scope allows it — before the body is read.
    scope.addHook('onRequest', async (request) => {
      await authenticate(ctx, request);
      assertRouteScope(request);
    });
  };
  // The API proxy apart: its bodies are the provider's, and an Idempotency-Key is the provider's too.
  await app.register(async (v1proxy) => {
    guarded(v1proxy);
    await v1proxy.register(proxyRoutes(ctx, proxy));
  });
  await app.register(async (v1) => {
    guarded(v1);
    registerIdempotency(v1, ctx);
    await v1.register(integrationRoutes(ctx, hooks));
    await v1.register(integrationEventRoutes(ctx));
    await v1.register(connectionRoutes(ctx, engine, hooks));
    await v1.register(adminRoutes(ctx));
    await v1.register(connectSessionRoutes(ctx));
    await v1.register(webhookRoutes(ctx, { dispatcher }));
    await v1.register(providerRoutes(ctx));
    await v1.register(readinessRoutes(ctx, outbound.providers));
    await v1.register(statsRoutes(ctx));
    await v1.register(spikeRoutes(ctx));
    await v1.register(apiKeyRoutes(ctx));
    await v1.register(auditRoutes(ctx));
  });

  // Nango's API for apps leaving Nango (docs/migrating-from-nango.md): same keys, same scopes.
  await app.register(nangoRoutes(ctx, engine, proxy), { prefix: '/nango' });

  return app;
}

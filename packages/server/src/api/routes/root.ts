// GET / — where to go from here (and /favicon.ico, which browsers ask every origin for). A browser (it asks for HTML first) is sent to the dashboard;
// an API client gets a JSON index of the documentation, the probes and the /v1 resources.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const LINKS = {
  docs: '/docs',
  openapi: '/openapi.json',
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
  ui: '/ui',
  integrations: '/v1/integrations',
  connections: '/v1/connections',
  webhook_endpoints: '/v1/webhook-endpoints',
  webhook_deliveries: '/v1/webhook-deliveries',
  providers: '/v1/providers',
  refresh_stats: '/v1/stats/refreshes',
  connection_stats: '/v1/stats/connections',
  spikes: '/v1/spikes',
} as const;

const IndexSchema = Type.Object({
  name: Type.Literal('Grantkeeper'),
  description: Type.String(),
  authentication: Type.String(),
  links: Type.Object(Object.fromEntries(Object.keys(LINKS).map((k) => [k, Type.String()]))),
});

/** The q-value an Accept header gives a media type (exact type, then `type/*`, then `*\/*`); 0 when absent. */
function quality(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}

/** A browser names text/html itself and ranks it at least as high as JSON; curl and fetch send `*\/*`. */
function wantsHtml(accept: string | undefined): boolean {
  if (!accept || !/text\/html/i.test(accept)) return false;
  const html = quality(accept, 'text/html');
  return html > 0 && html >= quality(accept, 'application/json');
}

export function rootRoutes(): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    // Browsers ask every origin for /favicon.ico (the connect pages' origin too): one icon, no 404.
    r.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(301).header('location', '/ui/assets/icon.svg').header('cache-control', 'max-age=86400').send(),
    );

    r.get('/', {
      schema: {
        tags: ['operations'],
        summary: 'Links to the API reference, the probes, the dashboard and the /v1 resources',
        description: 'A browser (Accept: text/html) is redirected to /ui; any other client gets this JSON index.',
        response: { 200: IndexSchema, 302: Type.Null({ description: 'To /ui (a browser)' }) },
      },
    }, async (request, reply) => {
      if (wantsHtml(request.headers.accept)) return reply.code(302).header('location', '/ui').send(null);
      return {
        name: 'Grantkeeper' as const,
        description: 'Keeps OAuth grants alive. The reference is at /docs (OpenAPI 3.1 at /openapi.json).',
        authentication: 'Every /v1 path needs Authorization: Bearer <API key>.',
        links: LINKS,
      };
    });
  };
}

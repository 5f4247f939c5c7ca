// The dashboard's integration pages: /ui/integrations (each OAuth app and the callback URL to
// register) and /ui/integrations/{key} (its settings, health and failed connect flows). Read
// through the /v1 API like every page; the session guard and page sending come from routes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Integration, IntegrationEvent, Page } from '../api/schemas.js';
import { withQuery } from './api-client.js';
import type { IssuedCertificateDocument } from '../api/certificate-schemas.js';
import { forbiddenPage, type UiRequest } from './guard.js';
import { integrationPage } from './pages/integration.js';
import { integrationsPage } from './pages/integrations.js';

/** What routes.ts lends a group of pages. */
export interface PageKit {
  /** The visitor's session, or null after answering (redirect to the login page). */
  guard(request: FastifyRequest, reply: FastifyReply, options?: { post?: boolean }): UiRequest | null;
  sendPage(reply: FastifyReply, status: number, body: string): FastifyReply;
  notFoundPage(reply: FastifyReply, ui: UiRequest, what: string): FastifyReply;
}

const INTEGRATION_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const field = Type.Optional(Type.Unknown());
const cursorOf = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : null);

export function integrationPages(plugin: FastifyInstance, kit: PageKit): void {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/ui/integrations', { schema: { hide: true } }, async (request, reply) => {
    const ui = kit.guard(request, reply);
    if (!ui) return reply;
    const list = await ui.api.get<Page<Integration>>('/v1/integrations?limit=500');
    return kit.sendPage(reply, 200, integrationsPage({ csrf: ui.csrf, permissions: ui.permissions, result: list.ok ? list.body : null }));
  });

  app.get('/ui/integrations/:key', {
    schema: { hide: true, params: Type.Object({ key: Type.String() }), querystring: Type.Object({ cursor: field }) },
  }, async (request, reply) => {
    const ui = kit.guard(request, reply);
    if (!ui) return reply;
    const { key } = request.params;
    if (!INTEGRATION_KEY.test(key)) return kit.notFoundPage(reply, ui, 'This integration');
    const cursor = cursorOf(request.query.cursor);
    const [integration, failures] = await Promise.all([
      ui.api.get<Integration>(`/v1/integrations/${encodeURIComponent(key)}`),
      ui.api.get<Page<IntegrationEvent>>(withQuery(`/v1/integrations/${encodeURIComponent(key)}/events`, { limit: 25, cursor })),
    ]);
    if (!integration.ok) return kit.notFoundPage(reply, ui, 'This integration');
    return kit.sendPage(reply, 200, integrationPage({ csrf: ui.csrf, permissions: ui.permissions, integration: integration.body, failures: failures.ok ? failures.body : null, failuresCursor: cursor }));
  });

  // "Download certificate": the server signs it (the private key never reaches the browser),
  // and the PEM comes back as a file, never rendered into a page.
  app.post('/ui/integrations/:key/certificate', { schema: { hide: true, params: Type.Object({ key: Type.String() }) } }, async (request, reply) => {
    const ui = kit.guard(request, reply, { post: true });
    if (!ui) return reply;
    const { key } = request.params;
    if (!INTEGRATION_KEY.test(key)) return kit.notFoundPage(reply, ui, 'This integration');
    if (!ui.permissions.manageIntegrations) return forbiddenPage(reply, ui, 'integrations:write');
    const result = await ui.api.send<IssuedCertificateDocument>('POST', `/v1/integrations/${encodeURIComponent(key)}/certificate`, {});
    if (!result.ok) return kit.notFoundPage(reply, ui, 'The certificate of this integration');
    return reply
      .header('content-type', 'application/x-pem-file')
      .header('content-disposition', `attachment; filename="${key}.crt"`)
      .header('cache-control', 'no-store')
      .send(result.body.certificate_pem);
  });
}

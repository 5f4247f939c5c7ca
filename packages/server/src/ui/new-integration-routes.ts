// The dashboard's provider picker and new-integration form (integrations:write sessions),
// through GET /v1/providers and POST /v1/integrations like every page.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Integration } from '../api/schemas.js';
import type { AppContext } from '../context.js';
import { withQuery } from './api-client.js';
import { formOf, forbiddenPage, sendPage, uiGuard, type UiRequest } from './guard.js';
import { newIntegrationPage, type NewIntegrationForm, type ProviderSummary } from './pages/new-integration.js';

const PICKER_PAGE = 25;
const PROVIDER_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const field = Type.Optional(Type.Unknown());
const PickerQuery = Type.Object({ q: field, cursor: field, provider: field });
const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

async function providerByKey(ui: UiRequest, key: string): Promise<ProviderSummary | null> {
  if (!PROVIDER_KEY.test(key)) return null;
  const result = await ui.api.get<ProviderSummary>(`/v1/providers/${key}`);
  return result.ok && result.body.supported ? result.body : null;
}

export function newIntegrationRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const guard = uiGuard(ctx, plugin);

    app.get('/ui/integrations/new', { schema: { hide: true, querystring: PickerQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      if (!ui.permissions.manageIntegrations) return forbiddenPage(reply, ui, 'integrations:write');
      const q = text(request.query.q, 100);
      const chosen = await providerByKey(ui, text(request.query.provider, 64));
      const cursor = text(request.query.cursor, 512);
      const list = chosen ? null : await ui.api.get<{ data: ProviderSummary[]; next_cursor: string | null }>(withQuery('/v1/providers', { limit: PICKER_PAGE, q, cursor }));
      const form: NewIntegrationForm = { key: chosen?.key ?? '', client_id: '', scopes: chosen?.integration_defaults.scopes.join(' ') ?? '', auth_base_url: '' };
      return sendPage(reply, 200, newIntegrationPage({ csrf: ui.csrf, permissions: ui.permissions, q, providers: list?.ok ? list.body : null, chosen, form, errors: [] }));
    });

    app.post('/ui/integrations/new', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      if (!ui.permissions.manageIntegrations) return forbiddenPage(reply, ui, 'integrations:write');
      const raw = formOf(request);
      const chosen = await providerByKey(ui, text(raw.provider, 64));
      if (!chosen) return reply.code(303).header('location', '/ui/integrations/new').send();
      const form: NewIntegrationForm = { key: text(raw.key, 64), client_id: text(raw.client_id, 512), scopes: text(raw.scopes, 2000), auth_base_url: text(raw.auth_base_url, 300) };
      const secret = text(raw.client_secret, 2048);
      const scopes = form.scopes.split(/\s+/).filter(Boolean);
      const result = await ui.api.send<Integration>('POST', '/v1/integrations', {
        key: form.key,
        provider: chosen.key,
        client_id: form.client_id,
        ...(secret ? { client_secret: secret } : {}),
        ...(scopes.length ? { scopes } : {}),
        ...(form.auth_base_url ? { auth_base_url: form.auth_base_url } : {}),
      });
      if (result.ok) return reply.code(303).header('location', `/ui/integrations/${encodeURIComponent(result.body.key)}`).send();
      const errors = result.problem?.errors?.map((e) => `${e.field}: ${e.message}`) ?? [result.problem?.detail ?? 'The server refused the integration.'];
      return sendPage(reply, 400, newIntegrationPage({ csrf: ui.csrf, permissions: ui.permissions, q: '', providers: null, chosen, form, errors }));
    });
  };
}

// The dashboard's API keys page (admin sessions only), through /v1/api-keys like every page.
// A new key's secret is rendered in the answer to the form that made it (never in a URL, a
// redirect or a later page). Revoking the session's own key ends the session.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiKey, ApiKeyCreated, ApiKeyInput } from '../api/api-key-schemas.js';
import type { Page } from '../api/schemas.js';
import { SCOPES } from '../domain/access.js';
import type { AppContext } from '../context.js';
import { formOf, forbiddenPage, sendPage, uiGuard, type UiRequest } from './guard.js';
import { keysPage, type KeyFormValues, type KeysData } from './pages/keys.js';

const NOTICES: Record<string, { text: string; error?: boolean }> = {
  key_revoked: { text: 'Key revoked: it is refused from now on, on every instance, and its dashboard sessions have ended.' },
  revoke_failed: { text: 'That key could not be revoked; it may be gone already.', error: true },
};

const EMPTY_FORM: KeyFormValues = { name: '', scopes: [], integrations: '', expires_on: '' };
const IdParams = Type.Object({ id: Type.String() });
const KeysQuery = Type.Object({ notice: Type.Optional(Type.Unknown()) });

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

function formValues(form: Record<string, unknown>): KeyFormValues {
  return {
    name: text(form.name, 100),
    scopes: SCOPES.filter((s) => form[`scope_${s}`] === 'on'),
    integrations: text(form.integrations, 2000),
    expires_on: text(form.expires_on, 10),
  };
}

function createBody(values: KeyFormValues): ApiKeyInput {
  const integrations = values.integrations.split(/[\s,]+/).filter(Boolean);
  return {
    name: values.name,
    scopes: SCOPES.filter((s) => values.scopes.includes(s)),
    ...(integrations.length > 0 ? { integrations } : {}),
    ...(/^\d{4}-\d{2}-\d{2}$/.test(values.expires_on) ? { expires_at: `${values.expires_on}T23:59:59Z` } : {}),
  };
}

export function keysRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const guard = uiGuard(ctx, plugin);

    const render = async (ui: UiRequest, extra: Partial<KeysData>) => {
      const list = await ui.api.get<Page<ApiKey>>('/v1/api-keys?limit=500');
      return keysPage({
        csrf: ui.csrf, permissions: ui.permissions, sessionKeyId: ui.access.key.id,
        keys: list.ok ? list.body.data : null, message: null, created: null, form: EMPTY_FORM, errors: [], ...extra,
      });
    };

    app.get('/ui/keys', { schema: { hide: true, querystring: KeysQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      if (!ui.permissions.manageKeys) return forbiddenPage(reply, ui, 'admin');
      const key = typeof request.query.notice === 'string' ? request.query.notice : '';
      return sendPage(reply, 200, await render(ui, { message: Object.hasOwn(NOTICES, key) ? NOTICES[key] : null }));
    });

    app.post('/ui/keys', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      if (!ui.permissions.manageKeys) return forbiddenPage(reply, ui, 'admin');
      const values = formValues(formOf(request));
      const result = await ui.api.send<ApiKeyCreated>('POST', '/v1/api-keys', createBody(values));
      if (result.ok) return sendPage(reply, 201, await render(ui, { created: result.body }));
      const errors = result.problem?.errors?.map((e) => `${e.field}: ${e.message}`) ?? [result.problem?.detail ?? 'The server refused the key.'];
      return sendPage(reply, 400, await render(ui, { form: values, errors }));
    });

    app.post('/ui/keys/:id/revoke', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      if (!ui.permissions.manageKeys) return forbiddenPage(reply, ui, 'admin');
      const { id } = request.params;
      const result = /^key_[0-9a-f]{32}$/.test(id) ? await ui.api.send('DELETE', `/v1/api-keys/${id}`) : null;
      const revoked = result?.status === 204;
      // The session's own key: the session ended with it.
      if (revoked && id === ui.access.key.id) return reply.code(303).header('location', '/ui/login').send();
      return reply.code(303).header('location', `/ui/keys?notice=${revoked ? 'key_revoked' : 'revoke_failed'}`).send();
    });
  };
}

// The provider catalog (issue #10): GET /v1/providers, GET /v1/providers/{key}. The entries
// are published as they are (they hold no secrets: endpoints, template variables, token
// facts with their sources), plus what Grantkeeper derives from them for a new integration.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { ProviderEntrySchema } from '../../providers/catalog/schema.js';
import { defaultKeepaliveS, getProvider, listProviders, type ProviderEntry } from '../../providers/catalog/catalog.js';
import { badRequest, notFound } from '../../errors.js';
import { PageQuery, listOf, problemResponses } from '../schemas.js';

const ProviderSchema = Type.Object(
  {
    ...ProviderEntrySchema.properties,
    supported: Type.Boolean({
      description:
        'Whether an integration can use this provider: false when it issues no refresh tokens (refresh_model none) or the engine cannot refresh it yet (unsupported.refresh says why).',
    }),
    integration_defaults: Type.Object(
      {
        scopes: Type.Array(Type.String()),
        keepalive_s: Type.Integer({ description: "refresh.keepalive_s when not given: a third of the refresh token's idle lifetime, at most a day." }),
        access_token_ttl_s: Type.Integer({ description: 'refresh.access_token_ttl_s when not given: the documented access-token lifetime, else 7200.' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'Provider' },
);

const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    ...PageQuery,
    refresh_model: Type.Optional(Type.Union([Type.Literal('rotating'), Type.Literal('static'), Type.Literal('none')])),
    grant_type: Type.Optional(
      Type.Union([Type.Literal('authorization_code'), Type.Literal('client_credentials'), Type.Literal('jwt_bearer')], {
        description: 'Only providers that document this grant type.',
      }),
    ),
    rotates: Type.Optional(
      Type.Union(
        [Type.Literal('always'), Type.Literal('configurable'), Type.Literal('sometimes'), Type.Literal('never'), Type.Literal('unknown')],
        { description: "Only providers whose refresh-token rotation (tokens.rotation.rotates) is this; unknown: not documented." },
      ),
    ),
    category: Type.Optional(Type.String({ pattern: '^[a-z_]+$', maxLength: 32 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Case-insensitive text in the key, name or category.' })),
  },
  { additionalProperties: false },
);

type ProviderFilters = Static<typeof ListQuery>;

function matches(entry: ProviderEntry, f: ProviderFilters): boolean {
  if (f.refresh_model && entry.refresh_model !== f.refresh_model) return false;
  if (f.grant_type && !entry.grant_types.includes(f.grant_type)) return false;
  if (f.rotates && (entry.tokens.rotation.rotates ?? 'unknown') !== f.rotates) return false;
  if (f.category && entry.category !== f.category) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (![entry.key, entry.name, entry.category ?? ''].some((text) => text.toLowerCase().includes(q))) return false;
  }
  return true;
}

function toApi(ctx: AppContext, entry: ProviderEntry) {
  const description = ctx.providers.describe(entry.key);
  return {
    ...entry,
    supported: description !== undefined,
    integration_defaults: {
      scopes: description?.defaultScopes ?? [...entry.auth.default_scopes],
      keepalive_s: description?.keepaliveS ?? defaultKeepaliveS(entry),
      access_token_ttl_s: description?.accessTokenTtlS ?? entry.tokens.access_token_ttl_s ?? 7_200,
    },
  };
}

// The catalog is a fixed, sorted list: the cursor is the last key of the previous page.
const encodeCursor = (key: string) => Buffer.from(JSON.stringify({ after: key })).toString('base64url');
function decodeCursor(value: string): string | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('after' in parsed)) return null;
    const { after } = parsed;
    return typeof after === 'string' && after.length <= 64 ? after : null;
  } catch {
    return null;
  }
}

export function providerRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get('/v1/providers', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['providers'],
        summary: 'List the provider catalog',
        description:
          `${listProviders()[0]?.name ?? 'The featured providers'} first, then by key. ` +
          "Use a key as an integration's `provider` (or `oauth2` for an OAuth 2.0 provider outside the catalog). " +
          'Filters combine: `refresh_model`, `grant_type`, `rotates`, `category`, `q` (text in key, name or category).',
        querystring: ListQuery,
        response: { 200: listOf(ProviderSchema), ...problemResponses },
      },
    }, async (request) => {
      const limit = request.query.limit ?? 50;
      const entries = listProviders().filter((e) => matches(e, request.query));
      let start = 0;
      if (request.query.cursor !== undefined) {
        const after = decodeCursor(request.query.cursor);
        const index = after === null ? -1 : entries.findIndex((e) => e.key === after);
        if (index === -1) throw badRequest('invalid_cursor', 'The cursor is malformed.');
        start = index + 1;
      }
      const page = entries.slice(start, start + limit);
      const more = start + limit < entries.length;
      return { data: page.map((e) => toApi(ctx, e)), next_cursor: more && page.length > 0 ? encodeCursor(page[page.length - 1]!.key) : null };
    });

    r.get('/v1/providers/:key', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['providers'],
        summary: 'Get one provider of the catalog',
        params: KeyParams,
        response: { 200: ProviderSchema, ...problemResponses },
      },
    }, async (request) => {
      const entry = getProvider(request.params.key);
      if (!entry) throw notFound(`Provider "${request.params.key}"`);
      return toApi(ctx, entry);
    });
  };
}

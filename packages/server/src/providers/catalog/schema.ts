// The shape of one provider catalog entry (packages/server/providers/<key>.json).
// TypeBox, so the same schema validates the files at start, types the engine and can be
// published by `GET /v1/providers` later. Field names are snake_case because they are
// part of the public API.
//
// Conventions every entry follows (checked by the loader, see catalog.ts):
// - `null` means "unknown" when the fact for that field says `confidence: "unknown"`, and
//   "documented as absent / not applicable" otherwise (e.g. no revoke endpoint, a refresh
//   token that never expires of idleness).
// - Every provider fact has an entry in `facts`, keyed by the JSON pointer of the field it
//   backs, with the documentation URL it came from and a confidence label.
import { Type, type Static } from 'typebox';
import { RevocationRequestSchema } from './revocation-schema.js';

export const Confidence = Type.Union(
  [Type.Literal('doc'), Type.Literal('code'), Type.Literal('third_party'), Type.Literal('unknown')],
  {
    description:
      'doc: the provider documentation says so; code: seen in real client/SDK code or a real response in an issue; third_party: blogs, Q&A; unknown: not found.',
  },
);
export type Confidence = Static<typeof Confidence>;

const HttpsUrl = Type.String({ pattern: '^https://[^\\s]+$' });

// A URL that may contain `{variable}` placeholders declared in `template_variables`.
const UrlTemplate = Type.String({
  pattern: '^(https://|\\{auth_base_url\\})[^\\s]*$',
  description: 'An https URL, possibly with {variable} placeholders declared in template_variables.',
});

export const ClientAuth = Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')]);
export type ClientAuth = Static<typeof ClientAuth>;

export const FactSchema = Type.Object(
  {
    source: Type.Union([HttpsUrl, Type.Null()], {
      description: 'The page the fact came from (required unless confidence is unknown; then the page that was checked, if any).',
    }),
    confidence: Confidence,
    note: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type Fact = Static<typeof FactSchema>;

export const TemplateVariableSchema = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    // Anchored (^…$) and strict enough that a value can never add a host, a port, a path
    // or a userinfo part; the renderer checks that again after substitution.
    pattern: Type.String({ pattern: '^\\^.*\\$$' }),
    // Where the engine takes the value from: the connection's `connection_config`, or the
    // integration (Salesforce `auth_base_url`, a whole origin).
    from: Type.Union([Type.Literal('connection_config'), Type.Literal('integration')]),
    kind: Type.Union([Type.Literal('value'), Type.Literal('base_url'), Type.Literal('host')], {
      description:
        'value: percent-encoded into a host label or path segment; base_url: an origin (scheme://host[:port]) replacing the start of the URL; host: an optional per-connection host name that, when given, replaces the base_url variable named by `replaces` with https://<host> (one integration, many login hosts).',
    }),
    replaces: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'For a host variable: the base_url variable it replaces.' })),
    pattern_description: Type.Optional(Type.String({ minLength: 1, description: 'The pattern in words, for error messages.' })),
    default: Type.Optional(Type.String()),
    example: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type TemplateVariable = Static<typeof TemplateVariableSchema>;

export const RefreshModel = Type.Union([Type.Literal('rotating'), Type.Literal('static'), Type.Literal('none')], {
  description:
    'rotating: a refresh may return a new refresh token that must replace the stored one (also the model when rotation is unknown: it is the safe handling); static: documented or observed to keep the same refresh token; none: no refresh token (long-lived access token).',
});
export type RefreshModel = Static<typeof RefreshModel>;

export const Rotation = Type.Union(
  [Type.Literal('always'), Type.Literal('configurable'), Type.Literal('sometimes'), Type.Literal('never')],
  {
    description:
      'always: every refresh returns a new refresh token; configurable: an app/tenant setting decides; sometimes: the provider may return one; never: the refresh token is reused.',
  },
);

const Seconds = Type.Integer({ minimum: 1 });
const NullableSeconds = Type.Union([Seconds, Type.Null()]);
const NullableBoolean = Type.Union([Type.Boolean(), Type.Null()]);
const Params = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), Type.String());

export const AuthSchema = Type.Object(
  {
    authorization_url: UrlTemplate,
    token_url: UrlTemplate,
    refresh_url: Type.Union([UrlTemplate, Type.Null()], {
      description: 'Where the refresh grant goes when it is not token_url; null: token_url.',
    }),
    revoke_style: Type.Union([Type.Literal('rfc7009'), Type.Literal('custom'), Type.Literal('none'), Type.Null()], {
      description:
        'rfc7009: POST token=… to revoke_url; custom: a provider-specific API (auth.revocation describes the request, revoke_url null); none: no API to revoke; null: unknown. Backed by the /auth/revoke_url fact.',
    }),
    revoke_url: Type.Union([UrlTemplate, Type.Null()]),
    revoke_client_auth: Type.Union([ClientAuth, Type.Literal('none'), Type.Null()], {
      description: 'How the revoke request authenticates the client; none: token only; null when there is no endpoint or it is unknown.',
    }),
    client_auth: Type.Union([ClientAuth, Type.Null()], {
      description: 'How the client authenticates at the token endpoint (the method to use when several work).',
    }),
    token_request_format: Type.Union([Type.Literal('form'), Type.Literal('json')], {
      description: 'Body encoding of token requests (RFC 6749 says form; a few providers want JSON).',
    }),
    pkce: Type.Union([Type.Literal('required'), Type.Literal('supported'), Type.Literal('unsupported'), Type.Null()]),
    scope_separator: Type.Union([Type.Literal(' '), Type.Literal(',')]),
    // Extra query parameters every authorization request needs (e.g. Atlassian `audience`).
    authorization_params: Params,
    default_scopes: Type.Array(Type.String({ minLength: 1 }), {
      description: "Grantkeeper's default scopes for a new integration (a choice, not a provider fact).",
    }),
    offline: Type.Union(
      [
        Type.Object(
          {
            authorization_params: Params,
            scopes: Type.Array(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        description:
          'What to add to the authorization request to get a refresh token: extra query parameters and scopes (both empty: nothing needed). Null: unknown, or no refresh token exists.',
      },
    ),
    token_params: Params,
    revocation: Type.Optional(
      Type.Union([RevocationRequestSchema, Type.Null()], {
        description:
          "For revoke_style custom: the provider's revocation request, as data. null or absent: not automated (the /auth/revoke_url fact says why).",
      }),
    ),
    client_auth_methods: Type.Optional(
      Type.Array(Type.Union([ClientAuth, Type.Literal('private_key_jwt')]), {
        uniqueItems: true,
        description:
          'Every client authentication method the token endpoint documents (client_auth is the one Grantkeeper uses by default). Backed by the /auth/client_auth_methods fact.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** What kind of product a provider is, for the catalog's listings (docs/providers.md counts by it). */
export const PROVIDER_CATEGORIES = [
  'crm', 'support', 'accounting', 'hr', 'marketing', 'developer_tools', 'storage', 'communication', 'e_signature', 'payments',
  'analytics', 'productivity', 'project_management', 'ecommerce', 'calendar', 'identity', 'other',
] as const;
export const ProviderCategory = Type.Union(PROVIDER_CATEGORIES.map((c) => Type.Literal(c)));

/** How a provider lets an application obtain access tokens (a provider fact; the integration picks one). */
export const CatalogGrantType = Type.Union([Type.Literal('authorization_code'), Type.Literal('client_credentials'), Type.Literal('jwt_bearer')], {
  description:
    'authorization_code: an end user authorizes (with refresh tokens where the provider issues them); client_credentials: the application itself (RFC 6749 §4.4); jwt_bearer: a signed assertion per token (RFC 7523 §2.1).',
});

export const MaxGrantsSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1 }),
    scope: Type.String({ minLength: 1, description: 'What the limit counts over, in words.' }),
    eviction: Type.Union([Type.Literal('oldest'), Type.Literal('least_recently_used'), Type.Literal('refused'), Type.Null()], {
      description: 'What happens past the limit: oldest/least_recently_used grant revoked, or the new one refused; null unknown.',
    }),
  },
  { additionalProperties: false },
);

export const TokensSchema = Type.Object(
  {
    returns_expires_in: NullableBoolean,
    access_token_ttl_s: NullableSeconds,
    returns_refresh_token_expires_in: NullableBoolean,
    rotation: Type.Object(
      {
        rotates: Type.Union([Rotation, Type.Null()]),
        reuse_revokes_family: NullableBoolean,
      },
      { additionalProperties: false },
    ),
    refresh_token_idle_ttl_s: NullableSeconds,
    refresh_token_absolute_ttl_s: NullableSeconds,
    max_grants_per_user: Type.Union([MaxGrantsSchema, Type.Null()]),
  },
  { additionalProperties: false },
);

// The provider modules Grantkeeper ships (src/providers/modules.ts maps each name to its code).
export const ModuleName = Type.Union([Type.Literal('salesforce'), Type.Literal('generic')], {
  description:
    "Which of Grantkeeper's provider modules reads this provider's token responses, classifies its errors and words its diagnoses; absent: generic (RFC 6749 only).",
});
export type ModuleName = Static<typeof ModuleName>;

export const ProviderEntrySchema = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    name: Type.String({ minLength: 1 }),
    docs_url: HttpsUrl,
    module: Type.Optional(ModuleName),
    verify_on_connect: Type.Optional(
      Type.Boolean({
        description:
          "Grantkeeper's default for a connect session's `verify` (a choice, not a provider fact): refresh the new grant once right after the code exchange, because a policy at this provider can issue refresh tokens that never work. Absent: false.",
      }),
    ),
    category: ProviderCategory,
    refresh_model: RefreshModel,
    api_base_url: Type.Union([UrlTemplate, Type.Null()], {
      description:
        "Where the provider's API lives, for the proxy (templated like the token URL). null: per connection (the provider module reads it from the grant, e.g. an instance URL) or unknown — the fact says which. Backed by the /api_base_url fact.",
    }),
    api_base_from_token: Type.Optional(
      Type.Object(
        {
          field: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'The token response field naming the API base (e.g. api_domain).' }),
          host_pattern: Type.String({
            pattern: '^\\^.*\\$$',
            description: 'An anchored regular expression the base URL\'s host must match: a provider answer is untrusted input, so only its own API hosts are stored.',
          }),
        },
        {
          additionalProperties: false,
          description:
            "Where api_base_url is null because each connection's API host differs: the token response field that names it (an https URL on a host matching host_pattern), stored as the grant's instance URL for the proxy. Backed by the /api_base_url fact.",
        },
      ),
    ),
    unsupported: Type.Optional(
      Type.Object(
        {
          refresh: Type.Optional(Type.String({ minLength: 1, description: 'Why the engine cannot refresh this provider yet (no integration can use it).' })),
          connect: Type.Optional(Type.String({ minLength: 1, description: "Why the connect flow cannot obtain a grant yet (import grants instead)." })),
        },
        { additionalProperties: false, description: "What Grantkeeper's engine cannot do with this provider yet, in words (absent: everything works)." },
      ),
    ),
    grant_types: Type.Array(CatalogGrantType, {
      minItems: 1,
      uniqueItems: true,
      description: 'The grant types the provider documents. Backed by the /grant_types fact.',
    }),
    auth: AuthSchema,
    template_variables: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), TemplateVariableSchema),
    tokens: TokensSchema,
    notes: Type.Array(Type.String({ minLength: 1 })),
    facts: Type.Record(Type.String({ pattern: '^(/[a-z0-9_]+)+$' }), FactSchema),
  },
  { additionalProperties: false },
);
export type ProviderEntry = Static<typeof ProviderEntrySchema>;

// The fields that are provider facts: each needs an entry in `facts`. (`default_scopes`,
// `token_request_format`, `scope_separator` etc. may carry one too, but need not.)
export const REQUIRED_FACTS = [
  '/refresh_model',
  '/api_base_url',
  '/grant_types',
  '/auth/authorization_url',
  '/auth/token_url',
  '/auth/revoke_url',
  '/auth/client_auth',
  '/auth/pkce',
  '/auth/offline',
  '/tokens/returns_expires_in',
  '/tokens/access_token_ttl_s',
  '/tokens/rotation/rotates',
  '/tokens/rotation/reuse_revokes_family',
  '/tokens/refresh_token_idle_ttl_s',
  '/tokens/refresh_token_absolute_ttl_s',
  '/tokens/max_grants_per_user',
] as const;

// Facts that can never be unknown: without them nothing works.
export const FACTS_NEVER_UNKNOWN = ['/refresh_model', '/auth/authorization_url', '/auth/token_url'] as const;

// Request and response schemas shared by the routes (TypeBox → JSON Schema → OpenAPI), and
// their Static<> types: the dashboard and the CLI read the API through these, so a change of
// the contract is a change of their types.
import { Type, type Static, type TSchema } from 'typebox';
import { listProviders } from '../providers/catalog/catalog.js';

export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
};

export const LastErrorSchema = Nullable(
  Type.Object({
    at: Type.String(),
    http_status: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    error_description: Nullable(Type.String()),
  }),
);

const Seconds = Type.Integer({ minimum: 1, maximum: 31_536_000 });

const RefreshSettingsInput = Type.Object(
  {
    margin_s: Type.Optional(Seconds),
    keepalive_s: Type.Optional(Seconds),
    access_token_ttl_s: Type.Optional(Seconds),
    max_per_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    keep_warm: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

// The example names the catalog's first provider, whichever it is.
export const IntegrationKey = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: `Unique key, e.g. ${listProviders()[0]?.key ?? 'acme'}-prod` });
const Url = Type.String({ minLength: 1, maxLength: 2048 });
const Scope = Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7E]+$' });

const IntegrationFields = {
  provider: Type.String({ minLength: 1, maxLength: 64 }),
  client_id: Type.String({ minLength: 1, maxLength: 1024 }),
  client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  scopes: Type.Optional(Type.Array(Scope, { maxItems: 100, uniqueItems: true })),
  auth_base_url: Type.Optional(Url),
  authorization_url: Type.Optional(Url),
  token_url: Type.Optional(Url),
  revoke_url: Type.Optional(Nullable(Url)),
  client_auth: Type.Optional(
    Nullable(
      Type.Union([Type.Literal('body'), Type.Literal('basic'), Type.Literal('private_key_jwt')], {
        description: 'body/basic: custom oauth2 providers only; private_key_jwt (RFC 7523): every provider whose catalog entry documents it, with private_key; null: the provider default',
      }),
    ),
  ),
  grant_type: Type.Optional(
    Type.Union([Type.Literal('authorization_code'), Type.Literal('client_credentials'), Type.Literal('jwt_bearer')], {
      description: 'How tokens are minted: authorization_code (default: end users connect, refresh tokens), client_credentials or jwt_bearer (server-to-server)',
    }),
  ),
  private_key: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384, description: 'PKCS#8 PEM RSA key (jwt_bearer, private_key_jwt); stored encrypted, never returned' })),
  jwt_audience: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 2048, description: 'The aud of JWT Bearer assertions (the login host the provider names, docs/api.md)' }))),
  api_base_url: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 2048, description: 'Where the API proxy (…/connections/{id}/proxy/{path}) sends calls: required for a custom oauth2 provider\'s API; for a catalog provider it overrides the catalog\'s base (a per-account host, another service\'s host). null: none.' }))),
  refresh: Type.Optional(RefreshSettingsInput),
  outbound_proxy: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 2048, description: 'null: the instance\'s egress; "direct"; or http://[user:pass@]host:port (docs/outbound-proxy.md)' }))),
  client_secret_overlap_s: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 31_536_000, description: 'How long a replaced client_secret stays usable (staged secrets); default 86400, 0 drops it at once.' }),
  ),
};

export const IntegrationCreateBody = Type.Object({ key: IntegrationKey, ...IntegrationFields }, { additionalProperties: false });

export const IntegrationPatchBody = Type.Object(
  {
    ...IntegrationFields,
    provider: Type.Optional(IntegrationFields.provider),
    client_id: Type.Optional(IntegrationFields.client_id),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const IntegrationSchema = Type.Object(
  {
    key: Type.String(),
    provider: Type.String(),
    client_id: Type.String(),
    callback_url: Type.String({
      description: 'The redirect URI to register at the provider for this OAuth app (GRANTKEEPER_PUBLIC_URL + /oauth/callback); the connect flow sends exactly this.',
    }),
    has_client_secret: Type.Boolean(),
    scopes: Type.Array(Type.String()),
    auth_base_url: Nullable(Type.String()),
    authorization_url: Type.Optional(Nullable(Type.String())),
    token_url: Type.Optional(Nullable(Type.String())),
    revoke_url: Type.Optional(Nullable(Type.String())),
    client_auth: Type.Optional(Type.String()),
    grant_type: Type.String(),
    jwt_audience: Nullable(Type.String()),
    has_private_key: Type.Boolean(),
    public_key_pem: Nullable(Type.String({ description: 'The public half of private_key (SPKI PEM), for the certificate the provider needs' })),
    public_key_fingerprint_sha256: Nullable(Type.String()),
    api_base_url: Type.Optional(Nullable(Type.String())),
    refresh: Type.Object({
      margin_s: Type.Integer(),
      keepalive_s: Type.Integer(),
      access_token_ttl_s: Type.Integer(),
      max_per_s: Type.Integer(),
      keep_warm: Type.Boolean(),
    }),
    client_secret_overlap_s: Type.Integer(),
    previous_client_secret_expires_at: Nullable(Timestamp),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    last_error: LastErrorSchema,
    outbound_proxy: Type.Optional(Nullable(Type.String({ description: 'null, "direct", or the proxy URL with its password masked' }))),
    connection_count: Type.Optional(Type.Integer()),
    created_at: Timestamp,
    updated_at: Timestamp,
  }
);

export const EndUserSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    email: Type.Optional(Nullable(Type.String({ maxLength: 320, format: 'email' }))),
  },
  { additionalProperties: false },
);

/** The id another system knows a connection by (Nango's connectionId): unique per integration. */
export const ExternalIdSchema = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f]+$', description: 'The id another system knows this connection by (e.g. its Nango connectionId); unique per integration' });

export const MetadataSchema = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), { maxProperties: 50 });

export const ConnectionConfigSchema = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), { maxProperties: 20 });

export const ConnectionStatusSchema = Type.Union([
  Type.Literal('active'),
  Type.Literal('refresh_failing'),
  Type.Literal('needs_reauth'),
  Type.Literal('integration_error'),
]);

export const DiagnosisSchema = Nullable(
  Type.Object({
    code: Type.String(),
    summary: Type.String(),
    causes: Type.Array(Type.String()),
    fix: Type.Array(Type.String()),
    who_fixes: Type.String(),
    prevention: Type.Array(Type.Object({ who: Type.String(), step: Type.String() })),
    confidence: Type.String(),
  }, { additionalProperties: true }),
);

export const ConnectionSchema = Type.Object(
  {
    id: Type.String(),
    integration: Type.String(),
    external_id: Nullable(Type.String({ description: 'The id another system knows this connection by (e.g. its Nango connectionId), unique per integration' })),
    end_user: Type.Object({ id: Type.String(), email: Nullable(Type.String()) }),
    status: ConnectionStatusSchema,
    grant_type: Type.String(),
    subject: Nullable(Type.String()),
    provider_account: Type.Object({
      instance_url: Nullable(Type.String()),
      org_id: Nullable(Type.String()),
      user_id: Nullable(Type.String()),
      id_url: Nullable(Type.String()),
    }),
    scopes: Type.Array(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    connection_config: Type.Record(Type.String(), Type.String()),
    generation: Type.Integer(),
    access_token_expires_at: Nullable(Timestamp),
    last_refreshed_at: Nullable(Timestamp),
    refresh_token_expires_at: Nullable(Timestamp),
    next_refresh_at: Nullable(Timestamp),
    consecutive_failures: Type.Integer(),
    last_error: LastErrorSchema,
    diagnosis: DiagnosisSchema,
    created_at: Timestamp,
    updated_at: Timestamp,
  }
);

export const ConnectionImportBody = Type.Object(
  {
    integration: Type.String({ minLength: 1, maxLength: 64 }),
    external_id: Type.Optional(ExternalIdSchema),
    end_user: EndUserSchema,
    metadata: Type.Optional(MetadataSchema),
    connection_config: Type.Optional(ConnectionConfigSchema),
    credentials: Type.Object(
      {
        refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192, description: 'Required for authorization_code integrations; absent for server-to-server grants' })),
        subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'jwt_bearer integrations: the user the grant acts as (e.g. a username)' })),
        access_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })),
        instance_url: Type.Optional(Url),
        id_url: Type.Optional(Url),
        issued_at: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_at: Timestamp,
    instance_url: Nullable(Type.String()),
    generation: Type.Integer(),
  }
);

export const EventSchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  type: Type.String(),
  trigger: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  http_status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  error_description: Nullable(Type.String()),
  duration_ms: Nullable(Type.Integer()),
  rotated: Type.Boolean(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** An integration's own event (a failed connect flow): an event plus the connection it involved, if any. */
export const IntegrationEventSchema = Type.Object({ ...EventSchema.properties, connection_id: Nullable(Type.String()) });

export const listOf = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });

const EndpointFields = {
  id: Type.String(),
  url: Type.String(),
  events: Nullable(Type.Array(Type.String())),
  enabled: Type.Boolean(),
  format: Type.Union([Type.Literal('standard'), Type.Literal('nango')]),
  disabled_reason: Nullable(Type.String()),
  previous_secret_expires_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
};
export const EndpointSchema = Type.Object(EndpointFields);
export const EndpointWithSecret = Type.Object({ ...EndpointFields, secret: Type.String({ description: 'whsec_…, shown only in this response' }) });

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);
export const DeliverySchema = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  endpoint: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_attempt_at: Nullable(Timestamp),
  last_response_status: Nullable(Type.Integer()),
  last_response_body: Nullable(Type.String()),
  last_error: Nullable(Type.String()),
  created_at: Timestamp,
  delivered_at: Nullable(Timestamp),
});

export const SpikeSchema = Type.Object({
  id: Type.String(),
  integration: Type.String(),
  org_id: Nullable(Type.String()),
  active: Type.Boolean(),
  started_at: Timestamp,
  last_seen_at: Timestamp,
  ended_at: Nullable(Timestamp),
  count: Type.Integer(),
  window_s: Type.Integer(),
  connection_ids: Type.Array(Type.String()),
  diagnosis_code: Nullable(Type.String()),
});

const OutcomeCounts = {
  success: Type.Integer(),
  transient_error: Type.Integer(),
  permanent_error: Type.Integer(),
  unknown: Type.Integer(),
};
const StatusCounts = Type.Object({
  active: Type.Integer(),
  refresh_failing: Type.Integer(),
  needs_reauth: Type.Integer(),
  integration_error: Type.Integer(),
});
const StatsBucketSchema = Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]);

export const RefreshSeriesSchema = Type.Object({
  integration: Nullable(Type.String()),
  bucket: StatsBucketSchema,
  from: Timestamp,
  to: Timestamp,
  totals: Type.Object(OutcomeCounts),
  series: Type.Array(Type.Object({ at: Timestamp, ...OutcomeCounts })),
});

export const ConnectionCountsSchema = Type.Object({
  counts: StatusCounts,
  total: Type.Integer(),
  integrations: Type.Array(
    Type.Object({
      integration: Type.String(),
      provider: Type.String(),
      status: Type.String(),
      last_error: LastErrorSchema,
      counts: StatusCounts,
      total: Type.Integer(),
    }),
  ),
});

export const ReconnectLinkSchema = Type.Object({ url: Type.String(), expires_at: Timestamp });

export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
};

/** A list endpoint's answer (`listOf`). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export type ProblemDocument = Static<typeof ProblemSchema>;
export type Integration = Static<typeof IntegrationSchema>;
export type IntegrationPatch = Static<typeof IntegrationPatchBody>;
export type Connection = Static<typeof ConnectionSchema>;
export type ConnectionImport = Static<typeof ConnectionImportBody>;
export type Diagnosis = NonNullable<Static<typeof DiagnosisSchema>>;
export type LastError = NonNullable<Static<typeof LastErrorSchema>>;
export type TokenResponse = Static<typeof TokenResponseSchema>;
export type ConnectionEvent = Static<typeof EventSchema>;
export type IntegrationEvent = Static<typeof IntegrationEventSchema>;
export type WebhookEndpoint = Static<typeof EndpointSchema>;
export type WebhookDelivery = Static<typeof DeliverySchema>;
export type Spike = Static<typeof SpikeSchema>;
export type RefreshSeries = Static<typeof RefreshSeriesSchema>;
export type ConnectionCounts = Static<typeof ConnectionCountsSchema>;
export type ReconnectLink = Static<typeof ReconnectLinkSchema>;

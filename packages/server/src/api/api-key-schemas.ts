// The API key resource (`/v1/api-keys`): request and response schemas, and their Static<>
// types for the dashboard and the CLI.
import { Type, type Static } from 'typebox';
import { SCOPES, type Scope } from '../domain/access.js';
import { IntegrationKey, Nullable, Timestamp } from './schemas.js';

const ScopeSchema = Type.Unsafe<Scope>({ type: 'string', enum: [...SCOPES], description: 'tokens:read, proxy, connections:read, connections:write, integrations:write, webhooks:write or admin' });

export const ApiKeyCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'For people: who or what uses the key' }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    integrations: Type.Optional(
      Nullable(Type.Array(IntegrationKey, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'The only integrations the key may see; omitted or null: all of them' })),
    ),
    expires_at: Type.Optional(Nullable(Type.String({ maxLength: 40, description: 'RFC 3339 timestamp in the future; omitted or null: never' }))),
  },
  { additionalProperties: false },
);

const ApiKeyFields = {
  id: Type.String({ description: 'key_…' }),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  integrations: Nullable(Type.Array(Type.String())),
  expires_at: Nullable(Timestamp),
  created_at: Nullable(Timestamp),
  last_used_at: Nullable(Timestamp),
  source: Type.Union([Type.Literal('api'), Type.Literal('environment'), Type.Literal('generated')], {
    description: 'api: made with POST /v1/api-keys; environment: GRANTKEEPER_SECRET_KEY (not revocable here); generated: the embedded mode\'s first key',
  }),
};

export const ApiKeySchema = Type.Object(ApiKeyFields);
export const ApiKeyWithSecret = Type.Object({ ...ApiKeyFields, secret: Type.String({ description: 'gk_sk_…, shown only in this response' }) });

export type ApiKey = Static<typeof ApiKeySchema>;
export type ApiKeyCreated = Static<typeof ApiKeyWithSecret>;
export type ApiKeyInput = Static<typeof ApiKeyCreateBody>;

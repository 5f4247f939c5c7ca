// The shape of a provider's own revocation API (auth.revocation), for providers without an
// RFC 7009 endpoint: which request ends a grant, as data. `providers/revocation/` turns it
// into a request and reads the answer; the revocation queue sends it.
import { Type, type Static } from 'typebox';

const FieldName = Type.String({ pattern: '^[A-Za-z0-9_.-]+$' });

export const RevocationRequestSchema = Type.Object(
  {
    method: Type.Union([Type.Literal('POST'), Type.Literal('DELETE'), Type.Literal('GET')]),
    url: Type.String({
      pattern: '^https://[^\\s]*$',
      description:
        'An https URL with the entry\'s template variables, plus {client_id} (the integration\'s) and {token} (the token, percent-encoded, where token_in is "path").',
    }),
    token: Type.Union([Type.Literal('refresh_token'), Type.Literal('access_token')], {
      description: 'Which stored token the request carries (an access token may have expired by the time the request is sent).',
    }),
    token_in: Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('bearer')], {
      description: 'Where the token goes: a body or query field named token_field, the {token} path segment, or Authorization: Bearer.',
    }),
    token_field: Type.Optional(FieldName),
    body: Type.Union([Type.Literal('form'), Type.Literal('json'), Type.Literal('none')]),
    client_auth: Type.Union(
      [Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('client_secret_header'), Type.Literal('none')],
      {
        description:
          'client_secret_basic: HTTP Basic id:secret; client_secret_post: id and secret as body fields; client_secret_header: Authorization: <client_auth_scheme> <secret>; none.',
      },
    ),
    client_auth_scheme: Type.Optional(Type.String({ pattern: '^[A-Za-z]+$' })),
    client_id_field: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'The field naming the client id: with client_secret_post its name there (default client_id); otherwise an extra body field holding the client id.' }),
    ),
    client_secret_field: Type.Optional(FieldName),
    params: Type.Optional(Type.Record(FieldName, Type.String(), { description: 'Fixed fields sent with the token.' })),
    success_field: Type.Optional(
      Type.String({ pattern: '^[a-z_]+$', description: 'A JSON field that must be true in a 2xx answer (APIs that answer errors with 200).' }),
    ),
  },
  { additionalProperties: false },
);
export type RevocationRequest = Static<typeof RevocationRequestSchema>;

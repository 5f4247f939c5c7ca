// An integration's grant settings (docs/api.md "Server-to-server grants"): which grant type
// mints its tokens, how the client authenticates, the signing key and the JWT audience.
// Checked against what the provider's catalog entry says it supports, and against the
// provider module's own rules (e.g. a grant type only some login hosts serve).
import type { AppContext } from '../context.js';
import type { IntegrationRow } from '../db/types.js';
import type { IntegrationGrantType } from '../domain/grants.js';
import type { FieldProblem } from '../errors.js';
import { sealPrivateKey } from './private-keys.js';

export interface GrantInput {
  grant_type?: IntegrationGrantType;
  /** null: the provider's default (turns private_key_jwt off). */
  client_auth?: 'body' | 'basic' | 'private_key_jwt' | null;
  private_key?: string;
  jwt_audience?: string | null;
}

export interface GrantColumns {
  grant_type: IntegrationGrantType;
  client_auth: 'private_key_jwt' | null;
  jwt_audience: string | null;
  /** Only when a new key was given (a patch without one keeps the stored key). */
  private_key_enc?: string;
  public_key_pem?: string;
}

const CUSTOM_PROVIDER = 'oauth2';

/** The grant columns for a create (no `current`) or a patch; problems are added to `problems`. */
export function resolveGrantSettings(
  ctx: AppContext,
  rowId: string,
  input: GrantInput & { provider: string; auth_base_url?: string | null },
  current: IntegrationRow | undefined,
  problems: FieldProblem[],
): GrantColumns {
  const grantType = input.grant_type ?? current?.grant_type ?? 'authorization_code';
  const clientAuth = input.client_auth === undefined ? (current?.client_auth ?? null) : input.client_auth === 'private_key_jwt' ? 'private_key_jwt' : null;
  const jwtAudience = input.jwt_audience === undefined ? (current?.jwt_audience ?? null) : input.jwt_audience;
  const columns: GrantColumns = { grant_type: grantType, client_auth: clientAuth, jwt_audience: jwtAudience };

  const entry = ctx.providers.entry(input.provider);
  const custom = input.provider === CUSTOM_PROVIDER;
  // authorization_code is every provider's (it is what Grantkeeper did before grant types).
  const documented = entry?.grant_types;
  if (grantType !== 'authorization_code' && !custom && !(documented ?? []).includes(grantType)) {
    problems.push({ field: 'grant_type', message: `provider "${input.provider}" does not document the ${grantType} grant (its catalog entry lists ${(documented ?? ['authorization_code']).join(', ')})` });
  }
  if (clientAuth === 'private_key_jwt' && !custom && !(entry?.auth.client_auth_methods ?? []).includes('private_key_jwt')) {
    problems.push({ field: 'client_auth', message: `provider "${input.provider}" does not document private_key_jwt client authentication` });
  }
  const moduleProblem = ctx.providers.module(input.provider).checkGrantType?.(grantType, input.auth_base_url ?? null);
  if (moduleProblem) problems.push(moduleProblem);

  if (input.private_key !== undefined) {
    const sealed = sealPrivateKey(ctx.keyring, rowId, input.private_key);
    if (sealed.ok) Object.assign(columns, sealed.columns);
    else problems.push(sealed.problem);
  }
  const hasKey = input.private_key !== undefined || (current?.private_key_enc ?? null) !== null;
  const needsKey = grantType === 'jwt_bearer' || clientAuth === 'private_key_jwt';
  if (needsKey && !hasKey) problems.push({ field: 'private_key', message: 'is required for grant_type "jwt_bearer" and client_auth "private_key_jwt" (a PKCS#8 PEM)' });
  if (!needsKey && input.private_key !== undefined) problems.push({ field: 'private_key', message: 'is only used by grant_type "jwt_bearer" or client_auth "private_key_jwt"' });
  if (grantType === 'jwt_bearer') {
    if (jwtAudience === null) problems.push({ field: 'jwt_audience', message: 'is required for grant_type "jwt_bearer" (the login host the provider expects in aud)' });
    else if (!/^https?:\/\/\S+$/i.test(jwtAudience)) problems.push({ field: 'jwt_audience', message: 'must be an http(s) URL' });
  } else if (input.jwt_audience !== undefined && input.jwt_audience !== null) {
    problems.push({ field: 'jwt_audience', message: 'is only used by grant_type "jwt_bearer"' });
  }
  return columns;
}


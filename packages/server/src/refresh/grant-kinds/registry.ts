// Which kind mints for an integration: its grant_type, one module each.
import type { IntegrationRow } from '../../db/types.js';
import type { IntegrationGrantType } from '../../domain/grants.js';
import { clientCredentialsKind } from './client-credentials.js';
import { jwtBearerKind } from './jwt-bearer.js';
import { refreshTokenKind } from './refresh-token.js';
import type { GrantKind } from './types.js';

const KINDS: Record<IntegrationGrantType, GrantKind> = {
  // Connections of an authorization_code integration hold the refresh token it gave.
  authorization_code: refreshTokenKind,
  client_credentials: clientCredentialsKind,
  jwt_bearer: jwtBearerKind,
};

export function grantKindOf(integration: Pick<IntegrationRow, 'grant_type'>): GrantKind {
  return KINDS[integration.grant_type];
}

// How a Nango caller names things, resolved to Grantkeeper's: `providerConfigKey` is an
// integration key; `connectionId` is a connection's external_id in that integration, or
// else its Grantkeeper id (connections made by Grantkeeper's connect flow have no other).
// A key limited to other integrations gets the answer an unknown name gets.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { findConnection } from '../../db/connections/find-connection.js';
import { findConnectionByExternalId } from '../../db/connections/find-connection-by-external-id.js';
import { findIntegrationByKey } from '../../db/integrations/find-integration.js';
import type { ConnectionRow, IntegrationRow } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import { fromPublicId } from '../../model/ids.js';
import { mayUseIntegration } from '../integration-limits.js';

export const unknownProviderConfig = (key: string) =>
  new DomainError('not_found', 'unknown_provider_config', `There is no integration with the unique key "${key}" (providerConfigKey).`);

const unknownConnection = (connectionId: string, key: string) =>
  new DomainError('not_found', 'not_found', `There is no connection "${connectionId}" in integration "${key}".`);

export async function requireNangoIntegration(ctx: AppContext, request: FastifyRequest, key: string): Promise<IntegrationRow> {
  const integration = mayUseIntegration(request, key) ? await findIntegrationByKey(ctx.db.kysely, key) : undefined;
  if (!integration) throw unknownProviderConfig(key);
  return integration;
}

export async function requireNangoConnection(
  ctx: AppContext,
  request: FastifyRequest,
  providerConfigKey: string,
  connectionId: string,
): Promise<{ row: ConnectionRow; integration: IntegrationRow }> {
  const integration = await requireNangoIntegration(ctx, request, providerConfigKey);
  let row = await findConnectionByExternalId(ctx.db.kysely, integration.id, connectionId);
  if (!row) {
    const id = fromPublicId('connection', connectionId);
    const byId = id ? await findConnection(ctx.db.kysely, id) : undefined;
    if (byId && byId.integration_id === integration.id) row = byId;
  }
  if (!row) throw unknownConnection(connectionId, providerConfigKey);
  return { row, integration };
}

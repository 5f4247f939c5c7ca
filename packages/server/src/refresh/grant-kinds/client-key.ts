// The key a client authenticates with under private_key_jwt, shared by every kind.
import type { CryptoKey } from 'oauth4webapi';
import type { AppContext } from '../../context.js';
import type { IntegrationRow } from '../../db/types.js';
import { signingKeyOf } from '../../model/private-keys.js';

export async function clientSigningKey(ctx: AppContext, integration: IntegrationRow): Promise<CryptoKey | null> {
  return integration.client_auth === 'private_key_jwt' ? signingKeyOf(ctx.keyring, integration) : null;
}

// The client_credentials kind: the app mints a token for itself (at some providers as the
// app's run-as user). Nothing per connection is needed.
import { clientCredentialsGrant } from '../../oauth/client-credentials-grant.js';
import { clientSigningKey } from './client-key.js';
import type { GrantKind } from './types.js';

export const clientCredentialsKind: GrantKind = {
  async prepare(ctx, _row, integration) {
    return {
      ok: true,
      mint: {
        sendsClientSecret: true,
        clientSigningKey: await clientSigningKey(ctx, integration),
        request: (client, params) => clientCredentialsGrant(client, { params }),
      },
    };
  },
};

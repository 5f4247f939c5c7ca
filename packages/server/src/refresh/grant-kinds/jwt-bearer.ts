// The jwt_bearer kind (RFC 7523): each mint signs a fresh assertion with the integration's key
// for the connection's subject (iss = client_id, sub = the username, aud = jwt_audience).
import { signingKeyOf } from '../../model/private-keys.js';
import { jwtBearerGrant } from '../../oauth/jwt-bearer-grant.js';
import type { ProviderFailure } from '../../providers/classify.js';
import { clientSigningKey } from './client-key.js';
import type { GrantKind } from './types.js';

/** Something this server lacks to sign with: a configuration error, never a call. */
const missing = (what: string): ProviderFailure => ({
  kind: 'oauth_error',
  grantType: 'jwt_bearer',
  httpStatus: null,
  error: 'invalid_request',
  errorDescription: `${what} is not configured for this JWT Bearer grant`,
  bodyWasJson: false,
  requestSent: false,
});

export const jwtBearerKind: GrantKind = {
  async prepare(ctx, row, integration) {
    const key = await signingKeyOf(ctx.keyring, integration);
    if (!key) return { ok: false, failure: missing('the integration\'s private_key') };
    if (!row.grant_subject) return { ok: false, failure: missing('the connection\'s credentials.subject') };
    if (!integration.jwt_audience) return { ok: false, failure: missing('the integration\'s jwt_audience') };
    const claims = { issuer: integration.client_id, subject: row.grant_subject, audience: integration.jwt_audience };
    return {
      ok: true,
      mint: {
        // The assertion is the credential; a secret adds nothing (RFC 7523 §2.1 asks for none).
        sendsClientSecret: false,
        clientSigningKey: await clientSigningKey(ctx, integration),
        request: (client, params) => jwtBearerGrant(client, { key, claims }, { params }),
      },
    };
  },
};

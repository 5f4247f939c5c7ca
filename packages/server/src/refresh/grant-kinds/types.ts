// A grant kind says how one connection's next access token is minted (docs/design.md "Grants
// that are not refresh tokens"). Everything around the mint — single flight, lease, intent,
// compare-and-set commit, cache, classification, events, webhooks, scheduler — is the engine's
// and is the same for every kind.
import type { CryptoKey } from 'oauth4webapi';
import type { AppContext } from '../../context.js';
import type { ConnectionRow, IntegrationRow } from '../../db/types.js';
import type { OAuthClient } from '../../oauth/client.js';
import type { TokenOutcome } from '../../oauth/refresh-grant.js';
import type { ProviderFailure } from '../../providers/classify.js';

export interface Mint {
  /** Whether the token request carries the client secret (a JWT Bearer request need not). */
  sendsClientSecret: boolean;
  /** The integration's key when it authenticates with private_key_jwt; null otherwise. */
  clientSigningKey: CryptoKey | null;
  /** The one token request; `params` are the provider's extra token parameters. */
  request(client: OAuthClient, params: Record<string, string>): Promise<TokenOutcome>;
}

/** A mint ready to send, or the failure the provider would give without being asked. */
export type PreparedMint = { ok: true; mint: Mint } | { ok: false; failure: ProviderFailure };

export interface GrantKind {
  prepare(ctx: AppContext, row: ConnectionRow, integration: IntegrationRow): Promise<PreparedMint>;
}

// An integration may not name a provider URL on a loopback or private network unless
// GRANTKEEPER_ALLOW_PRIVATE_NETWORK allows it: every call to it would be refused by the
// outbound policy, and the first anyone would hear of it is a connect flow ending in
// `code_exchange_failed`. Refused at create and update with 422 `private_address`.
import type { AppContext } from '../context.js';
import { DomainError, type FieldProblem } from '../errors.js';
import { refusedDestination } from '../outbound/destination-check.js';

/** The integration fields that name a provider URL (every endpoint derives from one of them). */
const URL_FIELDS = ['auth_base_url', 'authorization_url', 'token_url', 'revoke_url', 'api_base_url'] as const;
type UrlFields = Partial<Record<(typeof URL_FIELDS)[number], string | null>>;

/** Checks the URL fields a request sets (only those: an unrelated change is never refused for a stored URL). */
export async function refusePrivateProviderUrls(ctx: AppContext, input: UrlFields): Promise<void> {
  const policy = { allowPrivateNetwork: ctx.config.allowPrivateNetwork };
  const problems: FieldProblem[] = [];
  for (const field of URL_FIELDS) {
    const url = input[field];
    if (typeof url !== 'string') continue;
    const refused = await refusedDestination(policy, url, ctx.config.providerUrls.dnsTimeoutMs);
    if (!refused) continue;
    const where = refused.address === refused.host ? refused.address : `${refused.host} (${refused.address})`;
    problems.push({ field, message: `points at ${where}, a loopback or private address` });
  }
  if (problems.length === 0) return;
  const fields = problems.map((p) => `${p.field} ${p.message}`).join('; ');
  throw new DomainError(
    'unprocessable',
    'private_address',
    `${fields}. Grantkeeper does not call providers on private networks unless GRANTKEEPER_ALLOW_PRIVATE_NETWORK allows it: set it to true, or to the hosts or CIDRs to allow (for a local emulator: 127.0.0.1,localhost), and restart the server.`,
    problems,
  );
}

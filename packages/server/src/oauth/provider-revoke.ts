// Sends a provider's own revocation request (catalog `auth.revocation`, built by
// providers/revocation/request.ts) through the integration's guarded fetch.
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { buildRevocationRequest, readRevocationAnswer, type RevocationInputs, type RevocationRequest } from '../providers/revocation/request.js';
import type { RevokeOutcome } from './revoke.js';

export async function sendProviderRevocation(fetch: GuardedFetch, spec: RevocationRequest, inputs: RevocationInputs): Promise<RevokeOutcome> {
  const request = buildRevocationRequest(spec, inputs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
    text = await response.text();
  } catch (error) {
    // Never the URL: a token may sit in its path or query.
    return { ok: false, retryable: true, reason: `network: ${(error as Error).name}` };
  }
  return readRevocationAnswer(spec, response.status, text);
}

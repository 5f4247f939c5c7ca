// The outbound clients of one instance, built once: one for providers (token, revoke,
// identity calls) and one for webhook receivers, each with its own timeout, both under the
// same address policy.
import { createGuardedFetch, type GuardedFetch } from './guarded-fetch.js';
import type { OutboundPolicy } from './address-policy.js';

export interface OutboundClients {
  providers: GuardedFetch;
  webhooks: GuardedFetch;
}

export function createOutboundClients(policy: OutboundPolicy, timeouts: { providerMs: number; webhookMs: number }): OutboundClients {
  return {
    providers: createGuardedFetch(policy, { timeoutMs: timeouts.providerMs }),
    webhooks: createGuardedFetch(policy, { timeoutMs: timeouts.webhookMs }),
  };
}

// The outbound clients of one instance, built once: the provider egress (token, revoke,
// identity and API calls; direct or through the outbound proxy) and the webhook client
// (always direct: receivers are the operator's own), each with its own timeout, both under
// the same address policy.
import type { OutboundPolicy } from './address-policy.js';
import type { EgressSettings } from './egress-route.js';
import { createGuardedFetch, type GuardedFetch } from './guarded-fetch.js';
import { ProviderEgress, type EgressObserver } from './provider-egress.js';

export interface OutboundClients {
  providers: ProviderEgress;
  webhooks: GuardedFetch;
}

export function createOutboundClients(
  policy: OutboundPolicy,
  egress: EgressSettings,
  timeouts: { providerMs: number; webhookMs: number },
  observer: EgressObserver = {},
): OutboundClients {
  return {
    providers: new ProviderEgress(policy, egress, { timeoutMs: timeouts.providerMs }, observer),
    webhooks: createGuardedFetch(policy, { timeoutMs: timeouts.webhookMs }),
  };
}

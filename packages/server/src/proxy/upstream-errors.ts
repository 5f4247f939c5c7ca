// A provider the proxy could not talk to, as the caller hears it: 502 or 504 problems that
// say it was Grantkeeper answering (never the provider's words, never a URL or token).
import { DomainError } from '../errors.js';
import { OutboundBlockedError, OutboundProxyError, OutboundRequestError } from '../outbound/errors.js';

export function upstreamProblem(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof OutboundBlockedError) {
    return new DomainError('bad_gateway', 'provider_address_refused', "The provider's API host resolves to a special-purpose address the outbound policy refuses (GRANTKEEPER_ALLOW_PRIVATE_NETWORK).");
  }
  if (error instanceof OutboundProxyError) {
    return new DomainError('bad_gateway', 'outbound_proxy_failed', `The outbound proxy ${error.proxy} did not open a tunnel to the provider${error.proxyStatus === null ? '' : ` (${error.proxyStatus})`}.`);
  }
  if (error instanceof OutboundRequestError && error.kind === 'timeout') {
    return new DomainError('gateway_timeout', 'provider_timeout', 'The provider did not answer in time (GRANTKEEPER_PROXY_TIMEOUT_MS).');
  }
  return new DomainError('bad_gateway', 'provider_unreachable', "The provider's API could not be reached.");
}

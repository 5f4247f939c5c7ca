// Checking the provider URLs an integration names, when it is created or changed.
import type { EnvReader } from './env-reader.js';

export interface ProviderUrlsConfig {
  /** How long a create or update waits for DNS while checking a provider URL's addresses; a slower name is let through (the guarded fetch still checks every call). */
  dnsTimeoutMs: number;
}

export function readProviderUrlsConfig(r: EnvReader): ProviderUrlsConfig {
  return { dnsTimeoutMs: r.int('PROVIDER_URL_DNS_TIMEOUT_MS', 3_000, { min: 1 }) };
}

// A connection's `connection_config`, checked against its provider's URL template variables.
import type { AppContext } from '../context.js';
import type { IntegrationRow } from '../db/types.js';
import type { ConnectionConfig } from '../domain/grants.js';
import { invalid } from '../errors.js';

/**
 * Checks a connection's `connection_config` against the provider's URL template variables
 * (catalog: required unless defaulted, anchored pattern, no unknown keys) and returns what
 * to store: the given values plus defaults, so the stored config renders the same URLs even
 * if a default changes later. Throws a 400 listing every bad field.
 */
export function validateConnectionConfig(
  ctx: AppContext,
  integration: Pick<IntegrationRow, 'provider' | 'auth_base_url'>,
  config: unknown,
): ConnectionConfig {
  const check = ctx.providers.checkConnectionConfig({ provider: integration.provider, authBaseUrl: integration.auth_base_url }, config);
  const entry = ctx.providers.entry(integration.provider);
  if (!check.ok) {
    // A variable the integration supplies (its auth_base_url) is the integration's fault.
    const fromIntegration = (name: string) =>
      entry?.template_variables[name]?.from === 'integration' && !(config !== null && typeof config === 'object' && name in config);
    throw invalid(
      check.problems.map((p) => ({
        field: p.variable === '' ? 'connection_config' : fromIntegration(p.variable) ? 'integration' : `connection_config.${p.variable}`,
        message: fromIntegration(p.variable) ? `the integration's ${p.variable} ${p.message}` : p.message,
      })),
    );
  }
  const stored: ConnectionConfig = {};
  for (const [name, value] of Object.entries(check.values)) {
    if (entry?.template_variables[name]?.from === 'connection_config') stored[name] = value;
  }
  return stored;
}

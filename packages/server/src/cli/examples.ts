// Help texts show working names without spelling a provider: the examples are built from the
// catalog's first entry at runtime. Loaded only when help is printed (reading and validating
// the catalog costs a few hundred milliseconds every other command does not need).
export interface Examples {
  /** A provider key, e.g. for `--provider`. */
  provider: string;
  /** A few provider keys, comma-separated, for "one of …". */
  providers: string;
  /** An integration key of that provider. */
  integration: string;
  /** An auth_base_url value of that provider (its login host), when it takes one. */
  authBaseUrl: string;
}

export async function catalogExamples(): Promise<Examples> {
  const { listProviders } = await import('../providers/catalog/catalog.js');
  const entries = listProviders();
  const first = entries[0];
  const provider = first?.key ?? 'oauth2';
  return {
    provider,
    providers: entries.slice(0, 2).map((e) => e.key).join(', '),
    integration: `${provider}-prod`,
    authBaseUrl: first?.template_variables.auth_base_url?.example ?? 'https://login.example.com',
  };
}

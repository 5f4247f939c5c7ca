// Writes docs/providers.md from the provider catalog, so the table never drifts from the
// data (a test compares the two). Run: node --import tsx packages/server/scripts/generate-providers-doc.ts
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { listProviders, type Fact, type ProviderEntry } from '../src/providers/catalog/catalog.js';

export const PROVIDERS_DOC_URL = new URL('../../../docs/providers.md', import.meta.url);

function duration(seconds: number): string {
  const units: [number, string][] = [
    [365 * 86_400, 'y'],
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  if (seconds >= 86_400) return `${Math.round(seconds / 86_400)} d`;
  return `${seconds} s`;
}

// Marks a value that is not straight from the provider's documentation.
function mark(fact: Fact | undefined): string {
  if (!fact) return '';
  return fact.confidence === 'code' ? ' ᶜ' : fact.confidence === 'third_party' ? ' ³' : '';
}

const isUnknown = (e: ProviderEntry, pointer: string) => e.facts[pointer]?.confidence === 'unknown';

function expiresIn(e: ProviderEntry): string {
  const t = e.tokens;
  if (isUnknown(e, '/tokens/returns_expires_in')) return 'unknown';
  const ttl = t.access_token_ttl_s === null ? '' : ` (${duration(t.access_token_ttl_s)}${mark(e.facts['/tokens/access_token_ttl_s'])})`;
  return `${t.returns_expires_in ? 'yes' : 'no'}${mark(e.facts['/tokens/returns_expires_in'])}${ttl}`;
}

function rotation(e: ProviderEntry): string {
  if (e.refresh_model === 'none') return '—';
  const r = e.tokens.rotation;
  if (r.rotates === null) return 'unknown';
  const family = r.reuse_revokes_family ? ', reuse revokes family' : '';
  return `${r.rotates}${mark(e.facts['/tokens/rotation/rotates'])}${family}`;
}

function lifetime(e: ProviderEntry, pointer: '/tokens/refresh_token_idle_ttl_s' | '/tokens/refresh_token_absolute_ttl_s'): string {
  if (e.refresh_model === 'none') return '—';
  const value = pointer === '/tokens/refresh_token_idle_ttl_s' ? e.tokens.refresh_token_idle_ttl_s : e.tokens.refresh_token_absolute_ttl_s;
  if (isUnknown(e, pointer)) return 'unknown';
  return value === null ? `none${mark(e.facts[pointer])}` : `${duration(value)}${mark(e.facts[pointer])}`;
}

function revoke(e: ProviderEntry): string {
  const style = { rfc7009: 'RFC 7009', custom: 'custom API', none: 'none' } as const;
  if (e.auth.revoke_style === null) return 'unknown';
  return `${style[e.auth.revoke_style]}${mark(e.facts['/auth/revoke_url'])}`;
}

const cell = (s: string) => s.replaceAll('|', '\\|');

/** The whole docs/providers.md text for these entries. */
export function renderProvidersDoc(entries: readonly ProviderEntry[]): string {
  const refreshing = entries.filter((e) => e.refresh_model !== 'none').length;
  const lines = [
    '# Supported providers',
    '',
    '<!-- Generated from packages/server/providers/*.json by',
    '     `node --import tsx packages/server/scripts/generate-providers-doc.ts`. Do not edit by hand. -->',
    '',
    `${entries.length} providers in the catalog, ${refreshing} of them with refresh tokens. Use the key as an`,
    "integration's `provider`, or `oauth2` for any other OAuth 2.0 provider. Each value in the",
    'catalog carries the documentation URL it came from and a confidence; values marked ᶜ come',
    'from client code or a real response, ³ from third-party writing; `unknown` was not found',
    '(never guessed). `none` means documented as absent. "Idle" is how long an unused refresh',
    'token lives; Grantkeeper refreshes idle connections at a third of it (at most daily).',
    '',
    '| key | name | refresh model | expires_in (access TTL) | rotation | idle lifetime | absolute lifetime | revoke |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const e of entries) {
    const row = [
      `\`${e.key}\``,
      `[${e.name}](${e.docs_url})`,
      e.refresh_model,
      expiresIn(e),
      rotation(e),
      lifetime(e, '/tokens/refresh_token_idle_ttl_s'),
      lifetime(e, '/tokens/refresh_token_absolute_ttl_s'),
      revoke(e),
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  lines.push('');
  // The catalog entry's `module`: behaviour its data cannot express.
  const byModule = new Map<string, string[]>();
  for (const e of entries) if (e.module !== undefined && e.module !== 'generic') byModule.set(e.module, [...(byModule.get(e.module) ?? []), e.key]);
  if (byModule.size) {
    const named = [...byModule].map(([module, keys]) => `the \`${module}\` module serves ${keys.map((k) => `\`${k}\``).join(', ')}`);
    lines.push(
      `What the data cannot express (token-response quirks, extra error codes, diagnosis texts) lives in a provider module: ${named.join('; ')}.`,
      'Every other entry uses the generic module (RFC 6749 error codes, provider-neutral diagnosis texts).',
      '',
    );
  }
  const templated = entries.filter((e) => Object.keys(e.template_variables).length > 0);
  if (templated.length) {
    lines.push('## Per-connection and per-integration URL parts', '');
    lines.push('| key | variable | from | pattern | example |', '|---|---|---|---|---|');
    for (const e of templated) {
      for (const [name, v] of Object.entries(e.template_variables)) {
        const from = v.from === 'integration' ? `integration \`${name}\`` : '`connection_config`';
        lines.push(`| \`${e.key}\` | \`{${name}}\` | ${from} | \`${cell(v.pattern)}\` | \`${v.example}\` |`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(PROVIDERS_DOC_URL, renderProvidersDoc(listProviders()));
  console.log(`wrote ${PROVIDERS_DOC_URL.pathname}`);
}

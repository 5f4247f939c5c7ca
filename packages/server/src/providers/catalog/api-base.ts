// Where a catalog provider's API lives, for the API proxy: the entry's `api_base_url`,
// rendered from the same template variables (and with the same host checks) as its token URL.
import { renderUrl, validateConnectionConfig, type ProviderEntry, type TemplateInputs } from './catalog.js';

/** The rendered API base; null when the entry names none (per connection, or unknown) or the inputs do not render it. */
export function renderApiBaseUrl(entry: ProviderEntry, inputs: TemplateInputs): string | null {
  const template = entry.api_base_url;
  if (typeof template !== 'string') return null;
  // A template may name a variable the entry does not declare (catalog data is checked for
  // the auth URLs only): such an entry has no usable API base rather than a crash.
  const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  if (names.some((name) => !(name in entry.template_variables))) return null;
  const check = validateConnectionConfig(entry, inputs);
  if (!check.ok) return null;
  // A bare origin is rendered with its root path (a URL is compared with its normalised form)
  // and handed back as written.
  const bare = /^[^:/]+:\/\/[^/]+$/.test(template);
  try {
    const rendered = renderUrl(entry, bare ? `${template}/` : template, check.values);
    return bare ? rendered.slice(0, -1) : rendered;
  } catch {
    return null;
  }
}

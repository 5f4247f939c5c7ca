// Per-connection login hosts (`connection_config.login_host`) are real provider hosts, such as
// a provider's sandbox login host. A local emulator listens on 127.0.0.1, so development and
// tests map such a host to the base URL that stands in for it. The mapping only changes where calls for an
// already validated host go; production leaves it unset.
import type { EnvReader } from './env-reader.js';

export interface LoginHostsConfig {
  /** host → base URL (scheme://host[:port]) used instead of https://<host>. Empty in production. */
  overrides: ReadonlyMap<string, string>;
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function readLoginHostsConfig(r: EnvReader): LoginHostsConfig {
  const overrides = new Map<string, string>();
  for (const entry of r.list('LOGIN_HOST_OVERRIDES') ?? []) {
    const at = entry.indexOf('=');
    const host = (at < 0 ? entry : entry.slice(0, at)).trim().toLowerCase();
    const origin = bareOrigin(at < 0 ? '' : entry.slice(at + 1).trim());
    if (!HOST.test(host) || origin === null) {
      r.problems.push(`GRANTKEEPER_LOGIN_HOST_OVERRIDES entries must be host=scheme://host[:port], got "${entry}"`);
      continue;
    }
    overrides.set(host, origin);
  }
  return { overrides };
}

function bareOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
    return url.origin;
  } catch {
    return null;
  }
}

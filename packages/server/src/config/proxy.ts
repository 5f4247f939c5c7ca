// The API proxy's settings (docs/configuration.md, "API proxy").
import type { EnvReader } from './env-reader.js';

export interface ProxyConfig {
  /** Request bodies are buffered (so a 401 can be replayed after a refresh) up to this size; larger is 413. */
  maxBodyBytes: number;
  /** A provider that has not answered with headers by then is a 504; a body stalled this long is cut. */
  timeoutMs: number;
}

export function readProxyConfig(r: EnvReader): ProxyConfig {
  return {
    maxBodyBytes: r.int('PROXY_MAX_BODY_BYTES', 10 * 1024 * 1024, { min: 0, max: 1024 * 1024 * 1024 }),
    timeoutMs: r.int('PROXY_TIMEOUT_MS', 60_000, { min: 1 }),
  };
}

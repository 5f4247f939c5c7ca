// Settings that bound what a client can make the server hold or hand out: slow and piled-up
// sockets, over-deep JSON, the metrics page, and how long the fingerprints of refresh tokens
// this server retired are kept (docs/operations.md, SECURITY.md).
import type { EnvReader } from './env-reader.js';

export interface HardeningConfig {
  /** A request whose headers and body have not fully arrived by then is answered 408 and closed. */
  requestTimeoutMs: number;
  /** Concurrent sockets one client IP may hold open; 0 lifts the cap (a proxy in front enforces its own). */
  maxSocketsPerIp: number;
  /** Nesting depth (objects and arrays) a JSON request body may have. */
  jsonMaxDepth: number;
  /** When set, `/metrics` needs `Authorization: Bearer <it>`. */
  metricsToken: string | null;
  /** Fingerprints of rotated-out or replaced refresh tokens are kept this long (and while their connection exists). */
  retiredGrantDays: number;
}

export function readHardeningConfig(r: EnvReader): HardeningConfig {
  const metricsToken = r.raw('METRICS_TOKEN') ?? null;
  // A scraper's token is a long-lived secret; a short one could be guessed.
  if (metricsToken !== null && metricsToken.length < 16) r.problems.push('GRANTKEEPER_METRICS_TOKEN must be at least 16 characters');
  return {
    requestTimeoutMs: r.int('REQUEST_TIMEOUT_MS', 30_000, { min: 1 }),
    maxSocketsPerIp: r.int('MAX_SOCKETS_PER_IP', 256, { min: 0 }),
    jsonMaxDepth: r.int('JSON_MAX_DEPTH', 64, { min: 1, max: 1000 }),
    metricsToken,
    retiredGrantDays: r.int('RETIRED_GRANT_RETENTION_DAYS', 365, { min: 1 }),
  };
}

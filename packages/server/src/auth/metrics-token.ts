// `/metrics` behind GRANTKEEPER_METRICS_TOKEN: when the setting is present, a scrape must
// carry `Authorization: Bearer <it>`. Both sides are hashed to one length first, so the
// comparison is constant-time and reveals nothing about the token's length either.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** True when no token is configured, or the header carries it. */
export function metricsScrapeAllowed(token: string | null, authorization: string | string[] | undefined): boolean {
  if (token === null) return true;
  if (typeof authorization !== 'string') return false;
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

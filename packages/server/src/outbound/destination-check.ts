// Would the address policy refuse a URL? Its host as a literal address, or — for a name —
// every address the name resolves to now. Asked when an integration is created or changed,
// so a loopback token URL is refused then, with a clear answer, instead of failing each
// connect flow later. It proves nothing for the future (a name may resolve elsewhere
// tomorrow): the guarded fetch still checks the address of every connection it makes.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressAllowed, type OutboundPolicy } from './address-policy.js';

export interface RefusedDestination {
  host: string;
  /** The refused address (the host itself when it is a literal one). */
  address: string;
}

/** null: allowed, malformed (validation reports that), or a name that does not resolve in time. */
export async function refusedDestination(policy: OutboundPolicy, url: string, dnsTimeoutMs: number): Promise<RefusedDestination | null> {
  if (policy.allowPrivateNetwork === true) return null;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
  if (host === '') return null;
  if (isIP(host)) return addressAllowed(policy, host, host) ? null : { host, address: host };
  const addresses = await resolveWithin(host, dnsTimeoutMs);
  // As the guarded fetch does: a name is refused only when none of its addresses is allowed.
  if (addresses.length === 0 || addresses.some((address) => addressAllowed(policy, address, host))) return null;
  return { host, address: addresses[0]! };
}

/** Every address of a name; none when it does not resolve (or not within the time). */
async function resolveWithin(host: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), timeoutMs);
  });
  const resolved = lookup(host, { all: true, verbatim: true }).then(
    (list) => list.map((entry) => entry.address),
    () => [] as string[],
  );
  try {
    return await Promise.race([resolved, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

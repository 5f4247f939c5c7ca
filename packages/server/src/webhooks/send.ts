// One delivery attempt over the guarded outbound client (SSRF rules, timeout, no
// redirects) and what it means: delivered, endpoint gone (410), or try again.
import { OutboundBlockedError, OutboundRequestError } from '../outbound/errors.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { nangoSignedHeaders } from './nango-format.js';
import { signedHeaders } from './signing.js';

export const RESPONSE_BODY_LIMIT = 1024;

export type AttemptResult =
  | { kind: 'delivered'; status: number; body: string }
  | { kind: 'gone'; status: 410; body: string }
  | { kind: 'retry'; status: number | null; body: string | null; error: string };

export interface AttemptInput {
  url: string;
  eventId: string;
  body: string;
  secrets: string[];
  /** `nango`: Nango's signature headers, made with the current secret only (Nango has one signature). */
  format?: 'standard' | 'nango';
}

export async function attemptDelivery(fetch: GuardedFetch, input: AttemptInput, now = new Date()): Promise<AttemptResult> {
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Grantkeeper-Webhooks/0.1',
        ...(input.format === 'nango' ? nangoSignedHeaders(input.secrets[0] ?? '', input.body) : signedHeaders(input.secrets, input.eventId, now, input.body)),
      },
      body: input.body,
    });
  } catch (error) {
    return { kind: 'retry', status: null, body: null, error: describeFailure(error) };
  }
  const body = truncateBody(Buffer.from(await response.arrayBuffer()));
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, body };
  if (status === 410) return { kind: 'gone', status, body };
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return { kind: 'retry', status, body, error: `redirect ${status}${location ? ` to ${location.slice(0, 200)}` : ''} not followed` };
  }
  return { kind: 'retry', status, body, error: `HTTP ${status}` };
}

/** The first 1 KB of the answer, cut at a character boundary. */
export function truncateBody(buffer: Buffer): string {
  if (buffer.length <= RESPONSE_BODY_LIMIT) return buffer.toString('utf8');
  return buffer.subarray(0, RESPONSE_BODY_LIMIT).toString('utf8').replace(/\uFFFD+$/, '');
}

function describeFailure(error: unknown): string {
  if (error instanceof OutboundBlockedError) return `blocked: ${error.message}`;
  if (error instanceof OutboundRequestError) return `${error.kind}: ${error.message}`;
  return `network_error: ${error instanceof Error ? error.message : String(error)}`;
}

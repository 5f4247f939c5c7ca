// A provider's own revocation API (catalog `auth.revocation`), turned into one HTTP request and
// its answer into an outcome. Pure: the revocation queue stores the rendered URL and sends the
// request through the integration's egress (oauth/provider-revoke.ts).
import type { RevocationRequest } from '../catalog/revocation-schema.js';

export type { RevocationRequest } from '../catalog/revocation-schema.js';

/**
 * Where the token goes in a stored revocation URL: `{token}` as the URL parser would escape it,
 * so the stored URL is a valid URL that never holds the token itself (it is encrypted apart).
 */
export const TOKEN_SLOT = '%7Btoken%7D';

export interface RevocationInputs {
  /** The rendered URL (template variables and client id filled, TOKEN_SLOT where the token goes). */
  url: string;
  token: string;
  clientId: string;
  clientSecret: string | null;
}

export interface RevocationHttpRequest {
  method: RevocationRequest['method'];
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type RevocationAnswer = { ok: true; alreadyInvalid: boolean } | { ok: false; retryable: boolean; reason: string };

export function buildRevocationRequest(spec: RevocationRequest, inputs: RevocationInputs): RevocationHttpRequest {
  const url = new URL(inputs.url.replace(TOKEN_SLOT, encodeURIComponent(inputs.token)));
  const headers: Record<string, string> = { accept: 'application/json' };
  const fields: Record<string, string> = { ...spec.params };
  if (spec.token_in === 'body') fields[spec.token_field!] = inputs.token;
  if (spec.token_in === 'query') url.searchParams.set(spec.token_field!, inputs.token);
  if (spec.token_in === 'bearer') headers.authorization = `Bearer ${inputs.token}`;
  const secret = inputs.clientSecret ?? '';
  if (spec.client_auth === 'client_secret_basic') {
    // RFC 6749 §2.3.1: both parts form-encoded before base64.
    const pair = `${encodeURIComponent(inputs.clientId)}:${encodeURIComponent(secret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else if (spec.client_auth === 'client_secret_post') {
    fields[spec.client_id_field ?? 'client_id'] = inputs.clientId;
    fields[spec.client_secret_field ?? 'client_secret'] = secret;
  } else if (spec.client_auth === 'client_secret_header') {
    headers.authorization = `${spec.client_auth_scheme} ${secret}`;
  }
  // Besides (or without) client authentication, some APIs name the client in a field.
  if (spec.client_id_field && spec.client_auth !== 'client_secret_post') fields[spec.client_id_field] = inputs.clientId;
  let body: string | undefined;
  if (spec.body === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  } else if (spec.body === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields);
  }
  return { method: spec.method, url: url.href, headers, body };
}

// What a provider answers when the token it was given is not (or no longer) valid.
const INVALID_STATUSES = new Set([400, 401, 404, 410, 422]);

/**
 * A 2xx (with `success_field` true where the API answers errors with 200) is revoked. A refusal
 * of a refresh token means the grant is already dead. A refused access token proves nothing
 * (it may simply have expired while the grant lives on), so that is a failure, not retried.
 */
export function readRevocationAnswer(spec: RevocationRequest, status: number, bodyText: string): RevocationAnswer {
  const json = parseJson(bodyText);
  const error = typeof json?.error === 'string' ? json.error : '';
  const reason = `${status}${error ? ` ${error}` : ''}`;
  if (status >= 200 && status < 300) {
    if (spec.success_field === undefined || json?.[spec.success_field] === true) return { ok: true, alreadyInvalid: false };
    return refusedToken(spec, reason);
  }
  if (status >= 500 || status === 429 || status === 408) return { ok: false, retryable: true, reason };
  if (INVALID_STATUSES.has(status)) return refusedToken(spec, reason);
  return { ok: false, retryable: false, reason };
}

function refusedToken(spec: RevocationRequest, reason: string): RevocationAnswer {
  if (spec.token === 'refresh_token') return { ok: true, alreadyInvalid: true };
  return { ok: false, retryable: false, reason: `${reason}: the access token was refused; the grant may still be live` };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

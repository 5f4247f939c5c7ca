// Turns whatever a provider call ended with into the one ProviderFailure shape the
// classifier and the diagnosis read: the wire fields verbatim, nothing inferred here.
import * as oauth from 'oauth4webapi';
import type { GrantType, ProviderFailure } from '../providers/classify.js';
import { OutboundBlockedError, OutboundProxyError, OutboundRequestError } from '../outbound/errors.js';

/** Reads a non-2xx token-endpoint answer (JSON or form-encoded error bodies, or anything else). */
export async function failureFromResponse(response: Response, grantType: GrantType): Promise<ProviderFailure> {
  const text = await response.text().catch(() => '');
  let error: string | null = null;
  let errorDescription: string | null = null;
  let bodyWasJson = false;
  try {
    const parsed: unknown = JSON.parse(text);
    bodyWasJson = true;
    const body = Array.isArray(parsed) ? parsed[0] : parsed;
    if (body && typeof body === 'object') {
      const record = body as Record<string, unknown>;
      if (typeof record.error === 'string') error = record.error;
      if (typeof record.error_description === 'string') errorDescription = record.error_description;
    }
  } catch {
    // Some providers answer errors form-encoded (format=urlencoded).
    if (/^error=/.test(text)) {
      const params = new URLSearchParams(text);
      error = params.get('error');
      errorDescription = params.get('error_description');
      bodyWasJson = true;
    }
  }
  return {
    kind: error ? 'oauth_error' : 'http_error',
    grantType,
    httpStatus: response.status,
    error,
    errorDescription,
    bodyWasJson,
    requestSent: true,
  };
}

export function failureFromException(error: unknown, grantType: GrantType): ProviderFailure {
  const base = { grantType, httpStatus: null, error: null, errorDescription: null, bodyWasJson: false };
  // The outbound proxy failed (unreachable, wrong credentials, no tunnel): nothing reached the
  // provider, and nothing about the grant is known. Transient, never a dead grant.
  if (error instanceof OutboundProxyError) return { ...base, kind: 'proxy_error', requestSent: false };
  if (error instanceof OutboundRequestError) {
    return { ...base, kind: error.kind === 'timeout' ? 'timeout' : 'network_error', requestSent: error.requestSent };
  }
  // Refused before anything was sent, by our own outbound policy: the destination is a
  // special-purpose address, or a plain http:// URL while private networks are not allowed.
  // Retrying cannot help; the integration's configuration (or ours) must change.
  if (error instanceof OutboundBlockedError || isInsecureUrlRefused(error)) return { ...base, kind: 'blocked', requestSent: false };
  return { ...base, kind: 'network_error', requestSent: false };
}

function isInsecureUrlRefused(error: unknown): boolean {
  return error instanceof oauth.OperationProcessingError && error.code === oauth.HTTP_REQUEST_FORBIDDEN;
}

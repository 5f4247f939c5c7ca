// ProviderFailure fixtures: what the oauth layer hands the classifier and the diagnosis.
import type { ProviderFailure } from '../../src/providers/classify.js';

/**
 * A token-endpoint answer on a refresh grant: HTTP 400 with a JSON body carrying this OAuth
 * error (kind oauth_error), or none (error null: kind http_error).
 */
export function failure(error: string | null, errorDescription: string | null, over: Partial<ProviderFailure> = {}): ProviderFailure {
  return {
    kind: error === null ? 'http_error' : 'oauth_error',
    grantType: 'refresh_token',
    httpStatus: 400,
    error,
    errorDescription,
    bodyWasJson: true,
    requestSent: true,
    ...over,
  };
}

/** An answer without an OAuth error: only its status and whether the body was JSON. */
export function httpError(httpStatus: number, bodyWasJson: boolean): ProviderFailure {
  return failure(null, null, { httpStatus, bodyWasJson });
}

/** No answer at all: a reset or timeout (was the request fully sent?), or a destination our policy refused. */
export function noAnswer(kind: 'network_error' | 'timeout' | 'blocked', requestSent: boolean): ProviderFailure {
  return failure(null, null, { kind, httpStatus: null, bodyWasJson: false, requestSent });
}

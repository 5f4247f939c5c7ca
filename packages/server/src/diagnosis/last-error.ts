// The API's `last_error` (docs/api.md): the provider's answer exactly as sent, each field cut to 1 KB so a
// huge error page cannot bloat every connection read.
import type { LastError } from '../domain/grants.js';
import type { ProviderFailure } from '../providers/classify.js';

export const LAST_ERROR_FIELD_MAX_BYTES = 1024;

/** `at` is the caller's clock (an RFC 3339 string, or a Date turned into one). */
export function describeLastError(failure: ProviderFailure, at: string | Date): LastError {
  return {
    at: typeof at === 'string' ? at : at.toISOString(),
    http_status: failure.httpStatus,
    error: truncateUtf8(failure.error, LAST_ERROR_FIELD_MAX_BYTES),
    error_description: truncateUtf8(failure.errorDescription, LAST_ERROR_FIELD_MAX_BYTES),
  };
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(s: string | null, maxBytes: number): string | null {
  if (s === null) return null;
  if (s.length * 3 <= maxBytes) return s; // cannot exceed the limit: skip the byte count
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return s.slice(0, end);
}

// `?from=` / `?to=` on the API: RFC 3339 with an explicit offset, nothing looser.

/** Parses an RFC 3339 timestamp with an explicit offset; null when it is not one. */
export function parseInstant(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

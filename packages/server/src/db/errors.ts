// What a database error means, read from its SQLSTATE class or the driver's error. The one
// place that knows PostgreSQL's codes and pg's connection-failure messages.
const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};
const messageOf = (error: unknown): string => String((error as { message?: unknown } | null)?.message ?? '');

/** 23505: a unique constraint refused the row. */
export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === '23505';
}

/** Class 22 (data exception: a NUL byte, an out-of-range number …): the input was bad. */
export function isDataException(error: unknown): boolean {
  return /^22/.test(codeOf(error));
}

/**
 * The database is unreachable or restarting (connection exceptions, admin shutdown, too
 * many connections, a pool that cannot connect): retry later, it is not the request's fault.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  return (
    /^(08|57P|53)/.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded|Client has encountered a connection error/i.test(messageOf(error))
  );
}

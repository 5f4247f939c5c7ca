// A counting pool: every round trip the server's pg.Pool makes (BEGIN and COMMIT included)
// is counted, so a benchmark can print statements per unit of work. pg_stat_statements
// would need a preload on the shared server; this needs nothing and counts the same
// wire round trips the instance pays for.
import type pg from 'pg';

const COUNTED = Symbol('counted');

export interface StatementCounter {
  readonly count: number;
  reset(): void;
}

export function countStatements(pool: pg.Pool): StatementCounter {
  let count = 0;
  pool.on('acquire', (client) => {
    const tagged = client as pg.PoolClient & { [COUNTED]?: true };
    if (tagged[COUNTED]) return;
    tagged[COUNTED] = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      count++;
      return query(...args);
    };
  });
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}

import type pg from 'pg';

const COUNTED = Symbol('round-trips-counted');

/**
 * Counts every statement the pool's clients send (BEGIN and COMMIT included): the database
 * round trips an instance pays for, exposed as `grantkeeper_db_statements_total` so the cost
 * of a refresh reads in statements without pg_stat_statements on the server.
 */
export function countRoundTrips(pool: pg.Pool): { readonly count: number } {
  let count = 0;
  pool.on('acquire', (client) => {
    const tagged = client as pg.PoolClient & { [COUNTED]?: true };
    if (tagged[COUNTED]) return;
    tagged[COUNTED] = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    // Replaced once per client, on its first checkout; the call itself is untouched.
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      count++;
      return query(...args);
    };
  });
  return {
    get count() {
      return count;
    },
  };
}

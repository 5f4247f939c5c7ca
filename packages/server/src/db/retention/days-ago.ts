import { sql } from 'kysely';

/** A moment `days` before now, in database time (instance clocks do not matter). */
export const daysAgo = (days: number) => sql<Date>`now() - ${days} * interval '1 day'`;

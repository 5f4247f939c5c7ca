import { sql } from 'kysely';
import type { Executor } from '../types.js';

// One token bucket row per integration, shared by every instance. Each statement refills
// the bucket for the time since its last change (database time), caps it, and takes tokens,
// in one short UPDATE; the row lock taken by the CTE serializes concurrent takers, and under
// READ COMMITTED each one sees the previous taker's committed result.

/** The rate in force: max_per_s, halved while a provider is pushing back. */
const effectiveRate = (rate: number) => sql<number>`(CASE WHEN halved_until > now() THEN ${rate}::float8 / 2 ELSE ${rate}::float8 END)`;
const refilled = (rate: number, capacity: number) =>
  sql<number>`LEAST(${capacity}::float8, tokens + GREATEST(0, EXTRACT(EPOCH FROM (now() - refilled_at))::float8) * ${effectiveRate(rate)})`;

export async function ensureRateBucket(db: Executor, integrationId: string, capacity: number): Promise<void> {
  await sql`INSERT INTO rate_buckets (integration_id, tokens, refilled_at) VALUES (${integrationId}, ${capacity}, now())
            ON CONFLICT (integration_id) DO NOTHING`.execute(db);
}

export interface TakeResult {
  granted: number;
  /** Tokens left after the take (negative when overdrawn). */
  tokens: number;
  /** The rate in force (per second). */
  rate: number;
}

/** Takes up to `want` whole tokens, never below zero. undefined when the bucket row is missing. */
export async function takeRateTokens(db: Executor, integrationId: string, want: number, rate: number, capacity: number): Promise<TakeResult | undefined> {
  const result = await sql<{ granted: number; tokens: number; rate: number }>`
    WITH b AS (
      SELECT integration_id, ${refilled(rate, capacity)} AS avail, ${effectiveRate(rate)} AS rate
      FROM rate_buckets WHERE integration_id = ${integrationId} FOR UPDATE
    ), g AS (
      SELECT integration_id, avail, rate, LEAST(${want}::int, GREATEST(0, floor(avail)))::int AS granted FROM b
    )
    UPDATE rate_buckets r SET tokens = g.avail - g.granted, refilled_at = now()
    FROM g WHERE r.integration_id = g.integration_id
    RETURNING g.granted, r.tokens, g.rate`.execute(db);
  const row = result.rows[0];
  return row ? { granted: Number(row.granted), tokens: Number(row.tokens), rate: Number(row.rate) } : undefined;
}

/**
 * Takes one token even when none is left (on-demand refreshes overdraw), down to at most
 * `maxDebt` tokens below zero. `tokens` comes back unclamped so the caller knows how long the
 * debt takes to repay.
 */
export async function overdrawRateToken(db: Executor, integrationId: string, rate: number, capacity: number, maxDebt: number): Promise<TakeResult | undefined> {
  const result = await sql<{ tokens: number; rate: number }>`
    WITH b AS (
      SELECT integration_id, ${refilled(rate, capacity)} AS avail, ${effectiveRate(rate)} AS rate
      FROM rate_buckets WHERE integration_id = ${integrationId} FOR UPDATE
    )
    UPDATE rate_buckets r SET tokens = GREATEST(b.avail - 1, ${-maxDebt}::float8), refilled_at = now()
    FROM b WHERE r.integration_id = b.integration_id
    RETURNING b.avail - 1 AS tokens, b.rate`.execute(db);
  const row = result.rows[0];
  return row ? { granted: 1, tokens: Number(row.tokens), rate: Number(row.rate) } : undefined;
}

/** A provider said "too many": halve the rate for a while (renewed by every further 429). */
export async function halveRate(db: Executor, integrationId: string, forMs: number): Promise<void> {
  await sql`UPDATE rate_buckets SET halved_until = now() + ${forMs} * interval '1 millisecond',
              tokens = LEAST(tokens, 0)
            WHERE integration_id = ${integrationId}`.execute(db);
}

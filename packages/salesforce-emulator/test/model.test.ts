import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '../src/index.js';
import { CALLBACK, postToken, SECRET } from './helpers.js';

/**
 * Model-based check of token families: random sequences of logins, refreshes with
 * the current or a stale token, revocations and clock moves, compared after each
 * step with a small model (rotation, reuse detection, approval eviction).
 */

type Op =
  | { kind: 'login' }
  | { kind: 'refresh'; family: number }
  | { kind: 'replay'; family: number; back: number }
  | { kind: 'revoke'; family: number }
  | { kind: 'advance'; ms: number };

interface ModelFamily {
  tokens: string[];
  alive: boolean;
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'login' }),
  fc.record({ kind: fc.constant('refresh' as const), family: fc.nat(5) }),
  fc.record({ kind: fc.constant('replay' as const), family: fc.nat(5), back: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('revoke' as const), family: fc.nat(5) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_600_000 }) }),
);

let emu: SalesforceEmulator;
beforeAll(async () => {
  emu = await startSalesforceEmulator({ port: 0, clock: { frozen: true, startAt: Date.UTC(2026, 0, 1) } });
});
afterAll(async () => emu.close());

describe('token families against a model', () => {
  for (const rotation of [true, false]) {
    it(`rotation ${rotation}: current tokens always work, stale ones never do, reuse kills the family`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          emu.reset();
          const clientId = `model-${run++}`;
          emu.createApp({ clientId, clientSecret: SECRET, callbackUrls: [CALLBACK], rotation, maxApprovals: 3 });
          const user = emu.createUser({ username: 'model@example.com' });
          const families: ModelFamily[] = [];
          const refresh = (token: string) => postToken(emu, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId, client_secret: SECRET });

          for (const step of ops) {
            const family = 'family' in step && families.length ? families[step.family % families.length]! : undefined;
            switch (step.kind) {
              case 'login': {
                const res = emu.issueTokens({ clientId, username: user.username, scope: 'api refresh_token' });
                families.push({ tokens: [String(res.refresh_token)], alive: true });
                // The limit of 3 evicts the oldest live family.
                const live = families.filter((f) => f.alive);
                if (live.length > 3) live[0]!.alive = false;
                break;
              }
              case 'refresh': {
                if (!family) break;
                const res = await refresh(family.tokens.at(-1)!);
                expect(res.status).toBe(family.alive ? 200 : 400);
                if (res.status === 200 && rotation) family.tokens.push(res.json.refresh_token);
                if (res.status === 200 && !rotation) expect(res.json.refresh_token).toBeUndefined();
                break;
              }
              case 'replay': {
                if (!family || !rotation || family.tokens.length <= step.back) break;
                const stale = family.tokens[family.tokens.length - 1 - step.back]!;
                const res = await refresh(stale);
                expect(res.json).toEqual({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
                family.alive = false;
                break;
              }
              case 'revoke': {
                if (!family) break;
                const res = await fetch(`${emu.url}/services/oauth2/revoke`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  body: new URLSearchParams({ token: family.tokens.at(-1)! }),
                });
                expect(res.status).toBe(family.alive ? 200 : 400);
                family.alive = false;
                break;
              }
              case 'advance':
                emu.clock.advance(step.ms);
                break;
            }
            // Invariant: the emulator's current token of each family is the model's, or none once dead.
            for (const f of families) expect(emu.currentRefreshToken(f.tokens[0]!)).toBe(f.alive ? f.tokens.at(-1)! : null);
          }
          expect(emu.approvals({ clientId })).toHaveLength(families.filter((f) => f.alive).length);
        }),
        { numRuns: 40 },
      );
    });
  }
});

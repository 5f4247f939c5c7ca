import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../src/clock.js';
import { login, restCall, startWorld, type World } from './helpers.js';

describe('controllable clock', () => {
  it('a frozen clock moves only when advanced or set', () => {
    const clock = createClock({ startAt: 1_000_000, frozen: true });
    expect(clock.now()).toBe(1_000_000);
    expect(clock.advance(500)).toBe(1_000_500);
    expect(clock.set(5_000)).toBe(5_000);
    expect(clock.now()).toBe(5_000);
  });

  it('a running clock keeps its offset across freeze and thaw', () => {
    const clock = createClock();
    clock.advance(3_600_000);
    expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(3_599_000);
    clock.freeze(true);
    const frozenAt = clock.now();
    expect(clock.frozen).toBe(true);
    clock.freeze(false);
    expect(clock.now()).toBeGreaterThanOrEqual(frozenAt);
    clock.reset();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
  });
});

describe('emulator-wide defaults', () => {
  let w: World;
  afterEach(async () => w.emu.close());

  it('defaults sit under every app and show in the app view', async () => {
    w = await startWorld({}, { defaults: { sessionTimeoutS: 60 } });
    expect(w.emu.getApp(w.clientId)!.policy.session_timeout_s).toBe(60);
    const t = await login(w);
    w.emu.clock.advance(60_000);
    expect((await restCall(w, t.access_token!)).status).toBe(401);
  });

  it('the control API moves the clock: {advance_ms}, {now}, {frozen}', async () => {
    w = await startWorld();
    const post = async (body: unknown) => (await fetch(`${w.emu.url}/__emulator/clock`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<{ now: number; frozen: boolean }>;
    expect(await post({ now: '2030-01-01T00:00:00Z' })).toEqual({ now: Date.UTC(2030, 0, 1), frozen: true });
    expect((await post({ advance_ms: 250 })).now).toBe(Date.UTC(2030, 0, 1) + 250);
    expect((await post({ frozen: false })).frozen).toBe(false);
  });
});

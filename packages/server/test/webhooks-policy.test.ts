// The pure parts of webhook delivery: the retry schedule, response truncation, signing.
import { describe, expect, test } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { nextRetryDelayMs } from '../src/webhooks/retry-policy.js';
import { RESPONSE_BODY_LIMIT, truncateBody } from '../src/webhooks/send.js';
import { generateWebhookSecret, signedHeaders } from '../src/webhooks/signing.js';
import { withConnectionFields } from '../src/webhooks/outbox.js';

const settings = { retryBaseMs: 30_000, retryMaxMs: 3 * 3_600_000, retryWindowMs: 26 * 3_600_000 };

describe('webhook retry schedule', () => {
  test('doubles from the base with jitter in [half, full], capped at the maximum', () => {
    const created = new Date(0);
    for (const [attempts, full] of [[1, 30_000], [2, 60_000], [3, 120_000], [10, 3 * 3_600_000], [40, 3 * 3_600_000]] as const) {
      expect(nextRetryDelayMs(settings, attempts, created, 1000, () => 0)).toBe(full / 2);
      expect(nextRetryDelayMs(settings, attempts, created, 1000, () => 0.999999)).toBe(Math.floor(full / 2 + 0.999999 * (full / 2)));
    }
  });

  test('keeps retrying for about a day, lands the last attempt at the window end, then gives up', () => {
    const created = new Date(0);
    let now = 0;
    let attempts = 0;
    for (;;) {
      const delay = nextRetryDelayMs(settings, ++attempts, created, now, () => 0.5);
      if (delay === null) break;
      now += delay;
    }
    expect(now).toBe(settings.retryWindowMs);
    expect(attempts).toBeGreaterThan(10);
    expect(attempts).toBeLessThan(30);
    expect(nextRetryDelayMs(settings, 1, created, settings.retryWindowMs)).toBeNull();
  });
});

describe('webhook bodies and signatures', () => {
  test('the stored response body is at most 1 KB and never ends in half a character', () => {
    expect(truncateBody(Buffer.from('short'))).toBe('short');
    const cut = truncateBody(Buffer.from('é'.repeat(1000)));
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT);
    expect(cut).toMatch(/^é+$/);
  });

  test('every secret signs; the receiving library verifies with any of them', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = JSON.stringify({ type: 'x', timestamp: new Date().toISOString(), data: {} });
    const headers = signedHeaders([a, b], 'evt_1', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(a).verify(`${body} `, headers)).toThrow();
  });

  test('connection events carry status and generation at the top of data', () => {
    expect(withConnectionFields({ connection: { status: 'active', generation: 4 }, sequence: 2 })).toEqual({
      status: 'active', generation: 4, sequence: 2, connection: { status: 'active', generation: 4 },
    });
    expect(withConnectionFields({ integration: { key: 'k' } })).toEqual({ integration: { key: 'k' } });
    expect(withConnectionFields({ status: 'x', connection: { status: 'active', generation: 1 } }).status).toBe('x');
  });
});

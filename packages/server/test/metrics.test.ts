// /metrics: every sample is a finite, sane number — right after start, on back-to-back
// scrapes (the event-loop histogram once showed its empty values: min 9223372036.85 s and
// NaN), and under load — and GRANTKEEPER_METRICS_TOKEN, when set, guards it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Every sample line as name (with labels) → value, as Prometheus would read it. */
function samples(text: string): [string, number][] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.lastIndexOf(' ');
      return [line.slice(0, at), Number(line.slice(at + 1))];
    });
}

/** What is wrong with a scrape: values that are not finite, or out of any sane range. */
function insane(text: string): string[] {
  const now = Date.now() / 1000;
  const problems: string[] = [];
  for (const [name, value] of samples(text)) {
    if (!Number.isFinite(value)) problems.push(`${name} ${value}`);
    else if (/eventloop_lag/.test(name) && !(value >= 0 && value < 60)) problems.push(`${name} ${value}`);
    else if (/process_start_time_seconds/.test(name) && Math.abs(value - now) > 86_400) problems.push(`${name} ${value}`);
    else if (value < 0 && !/clock_skew/.test(name)) problems.push(`${name} ${value}`);
  }
  return problems;
}

describe('/metrics values', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', {}, { logName: 'metrics' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('right after start and on back-to-back scrapes, every sample is a finite, sane number', async () => {
    const first = await server.ctx.metrics.registry.metrics();
    const second = await server.ctx.metrics.registry.metrics();
    const overHttp = await (await fetch(`${server.url}/metrics`)).text();
    for (const text of [first, second, overHttp]) {
      expect(samples(text).length).toBeGreaterThan(50);
      expect(text).toMatch(/grantkeeper_nodejs_eventloop_lag_min_seconds \d/);
      expect(insane(text)).toEqual([]);
    }
  });

  test('under load, every scrape is sane', async () => {
    const scrapes: string[] = [];
    let done = false;
    const scraping = (async () => {
      while (!done) {
        scrapes.push(await server.ctx.metrics.registry.metrics());
        scrapes.push(await (await fetch(`${server.url}/metrics`)).text());
      }
    })();
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? fetch(`${server.url}/healthz`) : server.api('GET', '/v1/integrations'))),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    done = true;
    await scraping;
    expect(scrapes.length).toBeGreaterThanOrEqual(2);
    expect(scrapes.flatMap(insane)).toEqual([]);
    const last = Object.fromEntries(samples(scrapes[scrapes.length - 1]!));
    expect(last['grantkeeper_http_requests_total{method="GET",route="/healthz",status="200"}']).toBeGreaterThanOrEqual(250);
  });
});

describe('GRANTKEEPER_METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { GRANTKEEPER_METRICS_TOKEN: token }, { logName: 'metrics-token' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const scrape = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

  test('a scrape without the token, with a wrong one or with an API key is a 401 problem', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Bearer ${token}x`, `Bearer ${server.key}`, token, `Basic ${token}`]) {
      const res = await scrape(authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = await res.json();
      expect(body).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(JSON.stringify(body)).not.toContain(token);
    }
  });

  test('the token opens it; health and readiness stay open to probes', async () => {
    const res = await scrape(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(insane(await res.text())).toEqual([]);
    expect((await scrape(`bearer   ${token} `)).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  test('a short token is refused at start, without echoing it', () => {
    let error: unknown;
    try {
      loadConfig({ GRANTKEEPER_METRICS_TOKEN: 'short-secret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('GRANTKEEPER_METRICS_TOKEN must be at least 16 characters');
    expect(String(error)).not.toContain('short-secret');
  });
});

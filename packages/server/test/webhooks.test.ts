// Webhooks end to end: endpoints API, fan-out from the outbox, Standard Webhooks signatures
// verified by a real receiver (node:http) that is down, slow, failing, gone, redirecting and
// restarting; retries, rotation, pings, the deliveries API — on both databases.
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { emitEvent } from '../src/webhooks/outbox.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { until } from './helpers/wait.js';
import { Receiver, verify } from './webhooks-receiver.js';

// The receiver shares this process's event loop with the server (and PGlite): a timeout much
// shorter than a busy loop's pause would turn answered requests into lost acknowledgements.
const TIMEOUT_MS = 1500;
const ENV = {
  GRANTKEEPER_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  GRANTKEEPER_WEBHOOK_CLAIM_MS: '6000',
  GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '40',
  GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '200',
  GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '50',
  GRANTKEEPER_WEBHOOK_CONCURRENCY: '8',
};

describe.each(BACKENDS)('webhooks on %s', (backend) => {
  let server: TestServer;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    server = await startTestServer(backend, ENV, { logName: 'webhooks' });
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    // Endpoints are global: every test cleans up its own so later events do not reach them.
    for (const endpoint of (await server.api('GET', '/v1/webhook-endpoints?limit=500')).body.data) {
      await server.api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
    }
    for (const receiver of receivers.splice(0)) await receiver.stop();
  });

  const receiver = async (options: { down?: boolean } = {}) => {
    const r = new Receiver();
    receivers.push(r);
    if (options.down) await r.reservePort();
    else await r.start();
    return r;
  };
  const endpoint = async (url: string, events?: string[]) => {
    const res = await server.api('POST', '/v1/webhook-endpoints', { url, ...(events ? { events } : {}) });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; url: string; events: string[] | null };
  };
  let marker = 0;
  /** Emits events straight into the outbox (as a committed transition would). */
  const emit = async (count: number, type: 'integration.recovered' | 'integration.error' = 'integration.recovered') => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(await emitEvent(server.ctx.db.kysely, { type, data: { marker: ++marker, integration: { key: 'x' } } }));
    }
    return ids;
  };
  const deliveries = async (query: string) => (await server.api('GET', `/v1/webhook-deliveries?limit=500&${query}`)).body.data as any[];
  const allDelivered = async (endpointId: string, count: number) => {
    const rows = await deliveries(`endpoint=${endpointId}`);
    return rows.length === count && rows.every((d) => d.status === 'delivered');
  };
  /** Every id arrived, verified, and was acknowledged exactly once. */
  const expectEachOnce = (r: Receiver, secret: string, ids: string[]) => {
    for (const entry of r.received) verify(secret, entry);
    const acked = r.acknowledged().map((e) => e.id);
    for (const id of ids) expect(acked.filter((a) => a === id), id).toHaveLength(1);
  };

  test('endpoint management: create shows the secret once, validation names fields, list pages, patch, delete', async () => {
    const created = await server.api('POST', '/v1/webhook-endpoints', { url: 'https://example.com/hooks', events: ['connection.created', 'connection.deleted'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://example.com/hooks', events: ['connection.created', 'connection.deleted'], enabled: true });
    expect(created.body.id).toMatch(/^we_[0-9a-f]{32}$/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(created.body.created_at).toEqual(expect.any(String));
    const { id, secret } = created.body;

    // The secret is stored encrypted and never shown again.
    const stored = await server.ctx.db.kysely.selectFrom('webhook_endpoints').selectAll().executeTakeFirstOrThrow();
    expect(stored.secret_enc).not.toContain(secret.slice(6));
    const got = await server.api('GET', `/v1/webhook-endpoints/${id}`);
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(secret.slice(6));
    expect(got.body.secret).toBeUndefined();

    const bad = [
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://example.com', events: ['connection.created', 'connection.exploded'] }, 'events.1'],
      [{ url: 'https://example.com', events: [] }, 'events'],
      [{ url: 'https://example.com', secret: 'mine' }, 'secret'],
      [{}, 'url'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await server.api('POST', '/v1/webhook-endpoints', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: any) => e.field), JSON.stringify(res.body)).toContain(field);
    }
    expect((await server.api('POST', '/v1/webhook-endpoints', '{"url":')).status).toBe(400);

    const second = await server.api('POST', '/v1/webhook-endpoints', { url: 'http://example.org/b' });
    expect(second.body.events).toBeNull();
    const page1 = await server.api('GET', '/v1/webhook-endpoints?limit=1');
    expect(page1.body.data.map((e: any) => e.id)).toEqual([second.body.id]);
    const page2 = await server.api('GET', `/v1/webhook-endpoints?limit=1&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data.map((e: any) => e.id)).toEqual([id]);
    expect(page2.body.next_cursor).toBeNull();
    expect((await server.api('GET', '/v1/webhook-endpoints?cursor=zzz')).status).toBe(400);

    const patched = await server.api('PATCH', `/v1/webhook-endpoints/${id}`, { enabled: false, events: null, url: 'https://example.com/v2' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, events: null, url: 'https://example.com/v2' });
    expect((await server.api('PATCH', `/v1/webhook-endpoints/${id}`, { events: ['nope'] })).body.errors[0].field).toBe('events.0');
    expect((await server.api('PATCH', `/v1/webhook-endpoints/${id}`, { secret: 'x' })).status).toBe(400);
    expect((await server.api('PATCH', `/v1/webhook-endpoints/${id}`, {})).status).toBe(400);
    const reenabled = await server.api('PATCH', `/v1/webhook-endpoints/${id}`, { enabled: true });
    expect(reenabled.body).toMatchObject({ enabled: true, disabled_reason: null });

    for (const unknown of ['we_00000000000000000000000000000000', 'we_nothex', 'conn_1', 'x'.repeat(64)]) {
      expect((await server.api('GET', `/v1/webhook-endpoints/${unknown}`)).status).toBe(404);
      expect((await server.api('POST', `/v1/webhook-endpoints/${unknown}/ping`)).status).toBe(404);
    }
    expect((await server.api('DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await server.api('DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(404);
    expect((await server.api('GET', '/v1/webhook-deliveries?endpoint=bogus')).status).toBe(400);
    expect((await server.api('GET', '/v1/webhook-deliveries?status=lost')).status).toBe(400);
    expect((await server.api('POST', '/v1/webhook-deliveries/whd_00000000000000000000000000000000/retry')).status).toBe(404);
    const openapi = (await server.api('GET', '/openapi.json')).body;
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/webhook-endpoints', '/v1/webhook-endpoints/{id}/rotate-secret', '/v1/webhook-deliveries/{id}/retry']));
  });

  test('a receiver that is down for a while gets every event once it listens, each exactly once, signed', async () => {
    const r = await receiver({ down: true });
    const ep = await endpoint(r.url);
    const ids = await emit(12);
    // Attempts fail while nothing listens, and are retried.
    await until('failed attempts', async () => (await deliveries(`endpoint=${ep.id}`)).filter((d) => d.attempts >= 2).length === 12);
    const pending = await deliveries(`endpoint=${ep.id}&status=pending`);
    expect(pending).toHaveLength(12);
    expect(pending[0].last_error).toMatch(/network_error|ECONNREFUSED/);
    expect(pending[0].id).toMatch(/^whd_[0-9a-f]{32}$/);
    expect(r.received).toHaveLength(0);

    await r.start();
    await until('all delivered', () => allDelivered(ep.id, 12));
    expect(new Set(r.ids())).toEqual(new Set(ids));
    expectEachOnce(r, ep.secret, ids);
    expect(r.received).toHaveLength(12); // nothing was acknowledged-and-lost: no duplicates at all
    const entry = r.received[0]!;
    expect(Object.keys(entry.payload)).toEqual(expect.arrayContaining(['type', 'timestamp', 'data']));
    expect(entry.payload.type).toBe('integration.recovered');
    expect(entry.signature).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const delivered = await deliveries(`endpoint=${ep.id}&status=delivered`);
    expect(delivered.map((d) => d.event_id).sort()).toEqual([...ids].sort());
    expect(delivered.every((d) => d.delivered_at && d.last_response_status === 204 && d.attempts >= 2)).toBe(true);
  });

  test('a receiver slower than the timeout: the attempt counts as failed and is retried (a duplicate only after the lost acknowledgement)', async () => {
    const r = await receiver();
    let slowOnce = true;
    r.behaviour = () => {
      if (slowOnce) {
        slowOnce = false;
        return { kind: 'slow', ms: TIMEOUT_MS + 1_000 };
      }
      return { kind: 'ok' };
    };
    const ep = await endpoint(r.url);
    const [id] = await emit(1);
    await until('delivered', () => allDelivered(ep.id, 1));
    const [delivery] = await deliveries(`endpoint=${ep.id}`);
    expect(delivery.attempts).toBe(2);
    expect(r.ids()).toEqual([id, id]);
    expect(r.received[0]!.answered).toBeNull(); // the receiver got it, we never heard back
    expectEachOnce(r, ep.secret, [id!]);
  });

  test('500s are retried with their status and the first KB of the body stored, then delivered once the receiver recovers', async () => {
    const r = await receiver();
    let failing = true;
    r.behaviour = () => (failing ? { kind: 'status', status: 500, body: 'é'.repeat(3000) } : { kind: 'ok' });
    const ep = await endpoint(r.url);
    const ids = await emit(3);
    // Read a moment when every delivery has an answer recorded (not one claimed for its next attempt).
    const [pending] = await until('retried', async () => {
      const list = await deliveries(`endpoint=${ep.id}`);
      return list.length === ids.length && list.every((d) => d.attempts >= 3 && d.last_response_status === 500) ? list : null;
    });
    expect(pending).toMatchObject({ status: 'pending', last_response_status: 500, last_error: 'HTTP 500' });
    expect(Buffer.byteLength(pending.last_response_body)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(pending.last_response_body)).toBeGreaterThan(1000);
    expect(pending.last_response_body).toMatch(/^é+$/);
    failing = false;
    await until('delivered', () => allDelivered(ep.id, 3));
    expectEachOnce(r, ep.secret, ids);
    // Same webhook-id on every attempt, each attempt signed anew (all verify).
    for (const id of ids) expect(r.ids().filter((x) => x === id).length).toBeGreaterThanOrEqual(3);
  });

  test('a 410 disables the endpoint and nothing more is sent to it', async () => {
    const r = await receiver();
    r.behaviour = () => ({ kind: 'status', status: 410, body: 'gone' });
    const ep = await endpoint(r.url);
    await emit(1);
    await until('disabled', async () => (await server.api('GET', `/v1/webhook-endpoints/${ep.id}`)).body.enabled === false);
    const got = (await server.api('GET', `/v1/webhook-endpoints/${ep.id}`)).body;
    expect(got.disabled_reason).toMatch(/410/);
    await until('failed', async () => (await deliveries(`endpoint=${ep.id}`))[0]?.status === 'failed');
    const [failed] = await deliveries(`endpoint=${ep.id}`);
    expect(failed).toMatchObject({ attempts: 1, last_response_status: 410, last_response_body: 'gone' });
    const before = r.received.length;
    // A second endpoint proves later events are fanned out (and not to the disabled one).
    const r2 = await receiver();
    const ep2 = await endpoint(r2.url, ['integration.error']);
    await emit(2);
    const later = await emit(1, 'integration.error');
    await until('second endpoint got it', () => allDelivered(ep2.id, 1));
    expect(r2.ids()).toEqual(later);
    expect(await deliveries(`endpoint=${ep.id}`)).toHaveLength(1);
    expect(r.received.length).toBe(before);
  });

  test('a 302 is not followed: it counts as a failure and is retried', async () => {
    const r = await receiver();
    let redirecting = true;
    r.behaviour = () => (redirecting ? { kind: 'redirect', location: `http://127.0.0.1:${r.port}/elsewhere` } : { kind: 'ok' });
    const ep = await endpoint(r.url);
    const [id] = await emit(1);
    const [pending] = await until('retried', async () => {
      const list = await deliveries(`endpoint=${ep.id}`);
      return list[0]?.attempts >= 2 && list[0]?.last_response_status === 302 ? list : null;
    });
    expect(pending).toMatchObject({ status: 'pending', last_response_status: 302 });
    expect(pending.last_error).toMatch(/redirect 302 .*not followed/);
    expect(r.received.filter((e) => e.path === '/elsewhere')).toHaveLength(0);
    redirecting = false;
    await until('delivered', () => allDelivered(ep.id, 1));
    expectEachOnce(r, ep.secret, [id!]);
  });

  test('a receiver that restarts mid-stream misses no event', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const first = await emit(5);
    await until('first batch', () => allDelivered(ep.id, 5));
    await r.stop(); // also drops the dispatcher's keep-alive sockets
    const second = await emit(5);
    await until('attempts while down', async () => (await deliveries(`endpoint=${ep.id}&status=pending`)).filter((d) => d.attempts >= 1).length === 5);
    await r.start();
    const third = await emit(5);
    await until('all delivered', () => allDelivered(ep.id, 15));
    expectEachOnce(r, ep.secret, [...first, ...second, ...third]);
  });

  test('rotation: both secrets sign during the overlap, then only the new one', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const rotated = await server.api('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(86_000_000);
    expect((await server.api('GET', `/v1/webhook-endpoints/${ep.id}`)).body.secret).toBeUndefined();
    const during = await emit(1);
    await until('delivered', () => allDelivered(ep.id, 1));
    const entry = r.received.find((e) => e.id === during[0])!;
    expect(entry.signature.split(' ')).toHaveLength(2);
    expect(verify(rotated.body.secret, entry)).toBeTruthy();
    expect(verify(ep.secret, entry)).toBeTruthy();
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, entry)).toThrow();

    // The overlap ends (moved into the past rather than waited for).
    await server.ctx.db.kysely.updateTable('webhook_endpoints').set({ previous_secret_expires_at: new Date(Date.now() - 1000) }).execute();
    const after = await emit(1);
    await until('delivered', () => allDelivered(ep.id, 2));
    const late = r.received.find((e) => e.id === after[0])!;
    expect(late.signature.split(' ')).toHaveLength(1);
    expect(verify(rotated.body.secret, late)).toBeTruthy();
    expect(() => verify(ep.secret, late)).toThrow();
  });

  test('filters: an endpoint gets only its event types; the webhook-id is the same at every endpoint', async () => {
    const all = await receiver();
    const some = await receiver();
    const epAll = await endpoint(all.url);
    const epSome = await endpoint(some.url, ['integration.error']);
    const recovered = await emit(2, 'integration.recovered');
    const errors = await emit(2, 'integration.error');
    await until('all endpoint', () => allDelivered(epAll.id, 4));
    await until('filtered endpoint', () => allDelivered(epSome.id, 2));
    expect(new Set(all.ids())).toEqual(new Set([...recovered, ...errors]));
    expect(new Set(some.ids())).toEqual(new Set(errors));
    for (const id of errors) {
      expect(some.received.find((e) => e.id === id)!.body).toBe(all.received.find((e) => e.id === id)!.body);
    }
    expectEachOnce(all, epAll.secret, [...recovered, ...errors]);
    expectEachOnce(some, epSome.secret, errors);
  });

  test('ping sends a test event to that endpoint only and answers with the outcome', async () => {
    const r = await receiver();
    const other = await receiver();
    const ep = await endpoint(r.url, ['connection.deleted']);
    const otherEndpoint = await endpoint(other.url);
    const ok = await server.api('POST', `/v1/webhook-endpoints/${ep.id}/ping`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'delivered', event_type: 'ping', endpoint: ep.id, attempts: 1, last_response_status: 204 });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.payload).toMatchObject({ type: 'ping', data: { endpoint: ep.id } });
    expect(r.received[0]!.id).toBe(ok.body.event_id);
    verify(ep.secret, r.received[0]!);

    r.behaviour = () => ({ kind: 'status', status: 500, body: 'nope' });
    const failed = await server.api('POST', `/v1/webhook-endpoints/${ep.id}/ping`);
    expect(failed.body).toMatchObject({ status: 'failed', last_response_status: 500, last_response_body: 'nope' });
    // Never retried on its own; an explicit retry sends it again.
    r.behaviour = () => ({ kind: 'ok' });
    const retried = await server.api('POST', `/v1/webhook-deliveries/${failed.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('pending');
    await until('retried ping', async () => (await server.api('GET', `/v1/webhook-deliveries/${failed.body.id}`)).body.status === 'delivered');
    expect(r.ids().filter((id) => id === failed.body.event_id)).toHaveLength(2);
    // Two whole dispatcher passes after the retry was delivered fan nothing out to the other endpoint.
    await server.services.webhooks.worker.afterPasses(2);
    expect(other.received).toHaveLength(0);
    expect(await deliveries(`endpoint=${otherEndpoint.id}`)).toHaveLength(0);
  });

  test('after the retry window a delivery fails; a manual retry re-queues it now; metrics count outcomes', async () => {
    const r = await receiver();
    r.behaviour = () => ({ kind: 'status', status: 503 });
    const ep = await endpoint(r.url);
    const [id] = await emit(1);
    await until('attempted', async () => (await deliveries(`endpoint=${ep.id}`))[0]?.attempts >= 1);
    // Age the delivery past the window (a day) instead of waiting for it.
    await sql`UPDATE webhook_deliveries SET created_at = now() - interval '2 days'`.execute(server.ctx.db.kysely);
    await until('failed', async () => (await deliveries(`endpoint=${ep.id}`))[0]?.status === 'failed');
    const failed = await deliveries(`endpoint=${ep.id}&status=failed`);
    expect(failed).toHaveLength(1);
    expect(failed[0].next_attempt_at).toBeNull();
    expect(await deliveries(`endpoint=${ep.id}&status=pending`)).toHaveLength(0);

    r.behaviour = () => ({ kind: 'ok' });
    const retried = await server.api('POST', `/v1/webhook-deliveries/${failed[0].id}/retry`, undefined, { 'idempotency-key': 'retry-1' });
    expect(retried.status).toBe(200);
    await until('delivered', () => allDelivered(ep.id, 1));
    expectEachOnce(r, ep.secret, [id!]);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/grantkeeper_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(metrics).toMatch(/grantkeeper_webhook_deliveries_total\{outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/grantkeeper_webhook_deliveries_total\{outcome="retrying"\} [1-9]/);
    expect(metrics).toMatch(/grantkeeper_outbox_lag_seconds \d/);
  });

  test('deliveries list pages through one fan-out without skipping rows', async () => {
    const r = await receiver();
    const eps = [await endpoint(r.url), await endpoint(r.url), await endpoint(r.url)];
    await emit(4);
    await until('delivered', async () => (await deliveries('status=delivered')).filter((d) => eps.some((e) => e.id === d.endpoint)).length === 12);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await server.api('GET', `/v1/webhook-deliveries?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.data.map((d: any) => d.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    const all = await deliveries('');
    expect(seen).toEqual(all.map((d) => d.id));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

// The outbound policy, not storage: one backend is enough.
describe('webhook URLs under the SSRF guard (private network not allowed)', () => {
  let server: TestServer;
  const r = new Receiver();
  beforeAll(async () => {
    server = await startTestServer('pglite', { ...ENV, GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'false' }, { logName: 'webhooks-ssrf' });
    await r.start();
  });
  afterAll(async () => {
    await server?.stop();
    await r.stop();
  });

  test('a literal private address is refused at creation; a name resolving to one is blocked when sending', async () => {
    for (const url of [`http://127.0.0.1:${r.port}/hook`, 'http://[::1]/x', 'http://169.254.169.254/latest', 'http://[::ffff:10.0.0.1]/x']) {
      const res = await server.api('POST', '/v1/webhook-endpoints', { url });
      expect(res.status, url).toBe(400);
      expect(res.body.errors[0].field).toBe('url');
    }
    const created = await server.api('POST', '/v1/webhook-endpoints', { url: `http://localhost:${r.port}/hook` });
    expect(created.status).toBe(201);
    const ping = await server.api('POST', `/v1/webhook-endpoints/${created.body.id}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body.status).toBe('failed');
    expect(ping.body.last_error).toMatch(/^blocked: /);
    expect(r.received).toHaveLength(0);
  });
});

// Transition events end to end: the refresh engine writes them to the outbox with its
// transition, the dispatcher delivers them to a real receiver — once per transition however
// many callers raced, with status, generation and a per-connection sequence at the top of data.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyReconnectSignature } from '../src/model/reconnect-link.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';
import { Receiver, verify } from './webhooks-receiver.js';

describe.each(BACKENDS)('transition webhooks on %s', (backend) => {
  let rig: SalesforceRig;
  const receiver = new Receiver();
  let secret = '';
  beforeAll(async () => {
    rig = await startSalesforceRig(backend, {
      logName: 'webhooks-events',
      env: { GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '50', GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '50', GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '200' },
    });
    await receiver.start();
    const created = await rig.server.api('POST', '/v1/webhook-endpoints', { url: receiver.url });
    expect(created.status).toBe(201);
    secret = created.body.secret;
  });
  afterAll(async () => {
    await rig?.stop();
    await receiver.stop();
  });

  const received = (type: string, connectionId: string) =>
    receiver.acknowledged().filter((e) => e.payload?.type === type && e.payload.data.connection?.id === connectionId);

  test('50 concurrent failing token calls on one connection produce exactly one connection.refresh_failing, delivered once', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    await until('connection.created', () => received('connection.created', id).length === 1);
    rig.emu.setFault({ status: 503 });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => rig.server.api('GET', `/v1/connections/${id}/token`)));
      expect(results.every((r) => r.status === 503)).toBe(true);
    } finally {
      rig.emu.clearFaults();
    }
    await until('connection.refresh_failing', () => received('connection.refresh_failing', id).length >= 1);
    // Everything emitted so far is delivered: the count is final, not a snapshot mid-flight.
    await until('outbox drained', async () => (await rig.server.api('GET', '/v1/webhook-deliveries?status=pending')).body.data.length === 0);
    const failing = received('connection.refresh_failing', id);
    expect(failing).toHaveLength(1);
    expect(receiver.received.filter((e) => e.id === failing[0]!.id)).toHaveLength(1);
    expect((await rig.outbox('connection.refresh_failing')).filter((e) => e.payload.data.connection.id === id)).toHaveLength(1);

    const event = verify(secret, failing[0]!) as any;
    expect(event.type).toBe('connection.refresh_failing');
    expect(Date.parse(event.timestamp)).not.toBeNaN();
    expect(event.data).toMatchObject({ status: 'refresh_failing', generation: expect.any(Number), sequence: expect.any(Number) });
    expect(event.data.last_error).toMatchObject({ http_status: 503 });
    expect(event.data.connection).toMatchObject({ id, status: 'refresh_failing' });
    expect(event.data.generation).toBe(event.data.connection.generation);
    const created = verify(secret, received('connection.created', id)[0]!) as any;
    expect(created.data).toMatchObject({ status: 'active', sequence: expect.any(Number) });
    expect(event.data.sequence).toBeGreaterThan(created.data.sequence);
  });

  test('connection.reauth_required carries a signed /reconnect link', async () => {
    const { id, refreshToken } = await rig.importGrant(rig.user().username);
    // A grant that worked, then was revoked at Salesforce.
    expect((await rig.server.api('GET', `/v1/connections/${id}/token`)).status).toBe(200);
    rig.emu.revokeApproval(refreshToken);
    expect((await rig.server.api('GET', `/v1/connections/${id}/token?force=true`)).status).toBe(409);
    await until('connection.reauth_required', () => received('connection.reauth_required', id).length === 1);
    const event = verify(secret, received('connection.reauth_required', id)[0]!) as any;
    expect(event.data).toMatchObject({ status: 'needs_reauth', generation: expect.any(Number), sequence: expect.any(Number) });
    expect(event.data.diagnosis).toMatchObject({ code: 'revoked', who_fixes: 'end_user' });
    const link = new URL(event.data.reconnect_url);
    expect(`${link.origin}`).toBe(rig.server.ctx.config.publicUrl);
    expect(link.pathname).toBe(`/reconnect/${id}`);
    const sig = link.searchParams.get('sig');
    expect(sig).toBeTruthy();
    expect(verifyReconnectSignature(rig.server.ctx.keyring, id, sig!)).toEqual({ ok: true });
    const otherId = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    expect(verifyReconnectSignature(rig.server.ctx.keyring, otherId, sig!).ok).toBe(false);
  });
});

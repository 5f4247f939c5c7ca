// Webhook endpoints with `format: "nango"`: Nango's auth webhook bodies (creation, override,
// refresh failure) signed as Nango signs them, checked on the receiving side by the real
// `@nangohq/node` client's verifyIncomingWebhookRequest with the endpoint's secret.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Nango } from '@nangohq/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { until } from './helpers/wait.js';

interface Delivery {
  body: string;
  headers: IncomingHttpHeaders;
  payload: any;
}

async function startReceiver(): Promise<{ url: string; received: Delivery[]; server: Server }> {
  const received: Delivery[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ body, headers: req.headers, payload: JSON.parse(body) });
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/nango-hook`, received, server };
}

describe.each(BACKENDS)('Nango-format webhooks on %s', (backend) => {
  let rig: ConnectRig;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;
  let verifier: Nango;

  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'nango-webhooks', env: { GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '50', GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '40', GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '200' } });
    receiver = await startReceiver();
    const endpoint = await rig.server.api('POST', '/v1/webhook-endpoints', { url: receiver.url, format: 'nango' });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    expect(endpoint.body).toMatchObject({ format: 'nango', events: ['connection.created', 'connection.reconnected', 'connection.reauth_required'] });
    secret = endpoint.body.secret;
    // The app's existing handler: the Nango client with the endpoint's secret as its signing key.
    verifier = new Nango({ secretKey: 'unused-here', webhookSigningKey: secret });
  });
  afterAll(async () => {
    await rig?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  const arrived = (what: string, match: (d: Delivery) => boolean) => until(what, () => receiver.received.find(match));
  const headersOf = (d: Delivery) => Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, String(v)]));

  test('creation, override and refresh failure arrive as Nango auth webhooks with a valid Nango signature', async () => {
    const user = rig.user();
    const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username: user.username });
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey,
      external_id: 'nango-hooked',
      end_user: { id: 'hook-user', email: 'hook@example.com' },
      credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id) },
    });
    expect(imported.status).toBe(201);

    const creation = await arrived('the creation webhook', (d) => d.payload.operation === 'creation');
    expect(verifier.verifyIncomingWebhookRequest(creation.body, headersOf(creation))).toBe(true);
    expect(creation.payload).toEqual({
      from: 'nango',
      type: 'auth',
      connectionId: 'nango-hooked',
      authMode: 'OAUTH2',
      providerConfigKey: rig.integrationKey,
      provider: 'salesforce',
      environment: 'prod',
      operation: 'creation',
      success: true,
      endUser: { endUserId: 'hook-user', endUserEmail: 'hook@example.com', tags: {} },
    });
    // A wrong key or a changed body does not verify.
    expect(new Nango({ secretKey: 'x', webhookSigningKey: 'whsec_wrong' }).verifyIncomingWebhookRequest(creation.body, headersOf(creation))).toBe(false);
    expect(verifier.verifyIncomingWebhookRequest(creation.body.replace('creation', 'override'), headersOf(creation))).toBe(false);

    // Re-authorizing it in place is Nango's override.
    const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'hook-user' }, connection_id: imported.body.id, verify: false });
    expect((await walkFlow(session.body.url, user.username)).callback.status).toBe(200);
    const override = await arrived('the override webhook', (d) => d.payload.operation === 'override');
    expect(verifier.verifyIncomingWebhookRequest(override.body, headersOf(override))).toBe(true);
    expect(override.payload).toMatchObject({ connectionId: 'nango-hooked', operation: 'override', success: true });

    // The grant dies at the provider: Nango's refresh failure, with Grantkeeper's diagnosis.
    rig.emu.revokeAppForUser(rig.clientId, user.userId);
    expect((await rig.server.api('GET', `/v1/connections/${imported.body.id}/token?force=true`)).status).toBe(409);
    const failure = await arrived('the refresh failure webhook', (d) => d.payload.operation === 'refresh');
    expect(verifier.verifyIncomingWebhookRequest(failure.body, headersOf(failure))).toBe(true);
    expect(failure.payload).toMatchObject({ connectionId: 'nango-hooked', operation: 'refresh', success: false, error: { type: expect.any(String), description: expect.any(String) } });
    // Nothing else reached the Nango-format endpoint (its events are the three Nango has).
    expect(new Set(receiver.received.map((d) => d.payload.operation))).toEqual(new Set(['creation', 'override', 'refresh']));
  });

  test('a nango endpoint refuses events Nango has no webhook for; format is shown and can change', async () => {
    const bad = await rig.server.api('POST', '/v1/webhook-endpoints', { url: receiver.url, format: 'nango', events: ['connection.deleted'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('events.0');
    const standard = await rig.server.api('POST', '/v1/webhook-endpoints', { url: `${receiver.url}?std`, events: ['connection.deleted', 'connection.created'] });
    expect(standard.body.format).toBe('standard');
    const refused = await rig.server.api('PATCH', `/v1/webhook-endpoints/${standard.body.id}`, { format: 'nango' });
    expect(refused.status).toBe(400);
    const switched = await rig.server.api('PATCH', `/v1/webhook-endpoints/${standard.body.id}`, { format: 'nango', events: null });
    expect(switched.body).toMatchObject({ format: 'nango', events: ['connection.created', 'connection.reconnected', 'connection.reauth_required'] });
    const invalid = await rig.server.api('POST', '/v1/webhook-endpoints', { url: receiver.url, format: 'svix' });
    expect(invalid.status).toBe(400);
  });
});

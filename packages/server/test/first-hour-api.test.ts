// Issue 17's API items on both databases: GET / for browsers and API clients, callback_url on
// integration objects, provider URLs on private networks refused at create and update (422
// private_address), the connections list filtered by diagnosis, and the webhooks documented
// in the OpenAPI document — each payload checked against a real delivery's body.
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/outbox.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(BACKENDS)('first hour: the API on %s', (backend) => {
  let rig: SalesforceRig;
  /** A server as a new user starts it: GRANTKEEPER_ALLOW_PRIVATE_NETWORK unset. */
  let strict: TestServer;
  beforeAll(async () => {
    [rig, strict] = await Promise.all([
      startSalesforceRig(backend, { logName: 'first-hour' }),
      startTestServer(backend, { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: '', GRANTKEEPER_PUBLIC_URL: 'https://gk.example.com/base/' }, { logName: 'first-hour-strict' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([rig?.stop(), strict?.stop()]);
  });

  test('GET /: a browser is sent to /ui, an API client gets an index whose every link answers', async () => {
    const browser = await fetch(`${rig.server.url}/`, {
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' },
    });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/ui');

    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.5', 'text/html;q=0']) {
      const res = await fetch(`${rig.server.url}/`, { redirect: 'manual', headers: accept ? { accept } : {} });
      expect(res.status, String(accept)).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const index = await res.json();
      expect(index.name).toBe('Grantkeeper');
      expect(Object.keys(index.links)).toEqual(expect.arrayContaining(['docs', 'openapi', 'health', 'ready', 'ui', 'integrations', 'connections', 'webhook_endpoints', 'providers']));
      if (accept !== undefined) continue;
      for (const [name, path] of Object.entries(index.links as Record<string, string>)) {
        const linked = await rig.server.api('GET', path);
        expect(linked.status, `${name} ${path}`).not.toBe(404);
        expect(linked.status, `${name} ${path}`).toBeLessThan(500);
      }
    }
  });

  test('integration objects carry callback_url: GRANTKEEPER_PUBLIC_URL + /oauth/callback, everywhere they appear', async () => {
    const expected = `${rig.server.ctx.config.publicUrl}/oauth/callback`;
    const one = await rig.server.api('GET', `/v1/integrations/${rig.integrationKey}`);
    expect(one.body.callback_url).toBe(expected);
    expect((await rig.server.api('GET', '/v1/integrations')).body.data[0].callback_url).toBe(expected);
    const patched = await rig.server.api('PATCH', `/v1/integrations/${rig.integrationKey}`, { refresh: { keepalive_s: 40_000 } });
    expect(patched.body.callback_url).toBe(expected);

    const created = await strict.api('POST', '/v1/integrations', { key: 'sf-public', provider: 'salesforce', client_id: 'public-app', client_secret: 'public-secret' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The configured public URL's path is kept and its trailing slash dropped.
    expect(created.body.callback_url).toBe('https://gk.example.com/base/oauth/callback');

    const openapi = (await rig.server.api('GET', '/openapi.json')).body;
    const schema = openapi.paths['/v1/integrations/{key}'].get.responses['200'].content['application/json'].schema;
    expect(schema.required).toContain('callback_url');
  });

  test('provider URLs on loopback or private networks are refused with 422 private_address naming the setting; nothing is stored', async () => {
    const create = (body: Record<string, unknown>) => strict.api('POST', '/v1/integrations', { client_id: 'app', client_secret: 'secret', ...body });
    const cases: [name: string, body: Record<string, unknown>, field: string][] = [
      ['a loopback auth_base_url', { key: 'p1', provider: 'salesforce', auth_base_url: 'http://127.0.0.1:4290' }, 'auth_base_url'],
      ['a name that resolves to loopback', { key: 'p2', provider: 'salesforce', auth_base_url: 'http://localhost:4290' }, 'auth_base_url'],
      ['a private token URL', { key: 'p3', provider: 'oauth2', authorization_url: 'https://auth.example.com/authorize', token_url: 'https://10.1.2.3/token' }, 'token_url'],
      ['IPv6 loopback', { key: 'p4', provider: 'oauth2', authorization_url: 'http://[::1]:8080/authorize', token_url: 'https://1.1.1.1/token' }, 'authorization_url'],
      ['IPv4 loopback hidden in IPv6', { key: 'p5', provider: 'oauth2', authorization_url: 'https://1.1.1.1/a', token_url: 'https://1.1.1.1/t', revoke_url: 'http://[::ffff:7f00:1]/revoke' }, 'revoke_url'],
      ['a link-local metadata address', { key: 'p6', provider: 'oauth2', authorization_url: 'https://1.1.1.1/a', token_url: 'http://169.254.169.254/token' }, 'token_url'],
    ];
    for (const [name, body, field] of cases) {
      const res = await create(body);
      expect(res.status, name).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.code, name).toBe('private_address');
      expect(res.body.detail, name).toContain('GRANTKEEPER_ALLOW_PRIVATE_NETWORK');
      expect(res.body.errors.map((e: { field: string }) => e.field), name).toEqual([field]);
      expect((await strict.api('GET', `/v1/integrations/${body.key}`)).status, name).toBe(404);
    }
    // Bad input is still a 400 first; a public address is accepted.
    expect((await create({ key: 'p7', provider: 'salesforce', auth_base_url: 'ftp://127.0.0.1' })).status).toBe(400);
    const ok = await create({ key: 'p8', provider: 'oauth2', authorization_url: 'https://1.1.1.1/authorize', token_url: 'https://1.1.1.1/token' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);

    // Update: the URL a patch sets is checked; the stored integration stays as it was.
    const refused = await strict.api('PATCH', '/v1/integrations/p8', { token_url: 'http://127.0.0.1:9/token' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('private_address');
    expect((await strict.api('GET', '/v1/integrations/p8')).body.token_url).toBe('https://1.1.1.1/token');
    expect((await strict.api('PATCH', '/v1/integrations/p8', { scopes: ['a', 'b'] })).status).toBe(200);
  });

  test('GRANTKEEPER_ALLOW_PRIVATE_NETWORK as a list allows exactly its hosts and CIDRs; true allows all', async () => {
    const config = strict.ctx.config;
    const create = (key: string, url: string) =>
      strict.api('POST', '/v1/integrations', { key, provider: 'salesforce', client_id: key, client_secret: 'secret', auth_base_url: url });
    try {
      config.allowPrivateNetwork = ['127.0.0.1', 'localhost', '10.20.0.0/16'];
      expect((await create('l1', 'http://127.0.0.1:4290')).status).toBe(201);
      expect((await create('l2', 'http://localhost:4291')).status).toBe(201);
      expect((await create('l3', 'http://10.20.3.4')).status).toBe(201);
      const outside = await create('l4', 'http://10.21.0.1');
      expect(outside.status).toBe(422);
      expect(outside.body.detail).toContain('10.21.0.1');
      config.allowPrivateNetwork = true;
      expect((await create('l5', 'http://192.168.1.10')).status).toBe(201);
    } finally {
      config.allowPrivateNetwork = false;
    }
  });

  test('GET /v1/connections?diagnosis= lists the connections whose diagnosis has that code', async () => {
    const list = async (query: string) => {
      const res = await rig.server.api('GET', `/v1/connections?integration=${rig.integrationKey}&${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.data as { id: string; diagnosis: { code: string } | null }[]).map((c) => c.id).sort();
    };
    const healthy = await rig.importGrant(rig.user().username, 'diag-healthy');
    expect((await rig.server.api('GET', `/v1/connections/${healthy.id}/token`)).status).toBe(200);
    // A grant that worked, then was revoked: revoked.
    const revoked = await rig.importGrant(rig.user().username, 'diag-revoked');
    expect((await rig.server.api('GET', `/v1/connections/${revoked.id}/token`)).status).toBe(200);
    rig.emu.revokeApproval(revoked.refreshToken);
    expect((await rig.server.api('GET', `/v1/connections/${revoked.id}/token?force=true`)).body.diagnosis.code).toBe('revoked');
    // A made-up token: Salesforce does not know it.
    const madeUp = await rig.server.api('POST', '/v1/connections?verify=true', {
      integration: rig.integrationKey, end_user: { id: 'diag-made-up' }, credentials: { refresh_token: '5Aep861notARealTokenAtAll' },
    });
    expect(madeUp.status).toBe(201);
    expect(madeUp.body).toMatchObject({ status: 'needs_reauth', diagnosis: { code: 'unknown_token', who_fixes: 'developer' } });
    expect(madeUp.body.diagnosis.summary).toContain('Salesforce does not know this imported refresh token');

    expect(await list('diagnosis=revoked')).toEqual([revoked.id]);
    expect(await list('diagnosis=unknown_token')).toEqual([madeUp.body.id]);
    expect(await list('diagnosis=unknown_token&status=needs_reauth')).toEqual([madeUp.body.id]);
    expect(await list('diagnosis=unknown_token&status=active')).toEqual([]);
    expect(await list('diagnosis=provider_unavailable')).toEqual([]);
    // A recovered connection has no diagnosis left to match.
    expect(await list('diagnosis=revoked&end_user_id=diag-healthy')).toEqual([]);
    const bad = await rig.server.api('GET', '/v1/connections?diagnosis=Not%20A%20Code');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toMatch(/diagnosis/);
  });

  test('the OpenAPI document lists every webhook with its payload schema, and real deliveries match it', async () => {
    const openapi = (await rig.server.api('GET', '/openapi.json')).body;
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES, 'ping'].sort());
    for (const [type, item] of Object.entries(openapi.webhooks as Record<string, any>)) {
      const op = item.post;
      expect(op.parameters.map((p: { name: string }) => p.name), type).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
      const schema = op.requestBody.content['application/json'].schema;
      expect(schema.properties.type.const, type).toBe(type);
      expect(schema.required).toEqual(['type', 'timestamp', 'data']);
    }
    const reauth = openapi.webhooks['connection.reauth_required'].post.requestBody.content['application/json'].schema;
    expect(reauth.properties.data.required).toEqual(expect.arrayContaining(['connection', 'status', 'generation', 'sequence', 'diagnosis', 'reconnect_url']));

    // The bodies this server really wrote to its outbox (the earlier tests made several kinds).
    const written = await rig.outbox();
    const kinds = new Set(written.map((e) => e.type));
    expect([...kinds]).toEqual(expect.arrayContaining(['connection.created', 'connection.reauth_required']));
    for (const event of written) {
      const schema = openapi.webhooks[event.type].post.requestBody.content['application/json'].schema;
      const errors = [...Value.Errors(schema, event.payload)].map((e) => `${e.instancePath} ${e.message}`);
      expect(errors, event.type).toEqual([]);
    }
  });
});

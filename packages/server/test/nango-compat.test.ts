// The /nango routes through the real `@nangohq/node` client (0.71.10): an app written against
// Nango runs unchanged with `host: GRANTKEEPER + '/nango'` and a Grantkeeper API key.
import { Nango } from '@nangohq/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';

/** What axios (inside the SDK) threw: the HTTP status and Nango's error body. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; body: any }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown } }).response;
    if (response) return { status: response.status, body: response.data };
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe.each(BACKENDS)('Nango compatibility on %s', (backend) => {
  let rig: ConnectRig;
  let nango: Nango;
  let key: string;
  const grantOf = (username: string) => rig.emu.issueTokens({ clientId: rig.clientId, username });
  const refreshCalls = () => rig.emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === rig.clientId && e.grant_type === 'refresh_token').length;

  /** Nango's REST import, as a script leaving Nango would call it. */
  const importViaNango = async (connectionId: string, username: string, extra: Record<string, unknown> = {}) => {
    const tokens = grantOf(username);
    const res = await rig.server.api('POST', '/nango/connections', {
      provider_config_key: key,
      connection_id: connectionId,
      end_user: { id: `end-${connectionId}` },
      // Nango keeps more than URL parts in connection_config: what the provider's URLs do not take is dropped.
      connection_config: { instance_url: String(tokens.instance_url), portalId: '12345' },
      credentials: { type: 'OAUTH2', access_token: String(tokens.access_token), refresh_token: String(tokens.refresh_token), raw: { id: String(tokens.id), issued_at: String(tokens.issued_at) } },
      ...extra,
    });
    return { res, tokens };
  };

  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'nango-compat' });
    key = rig.integrationKey;
    nango = new Nango({ secretKey: rig.server.key, host: `${rig.server.url}/nango` });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('listIntegrations and getIntegration answer in Nango shapes, never with the client secret', async () => {
    const { configs } = await nango.listIntegrations();
    expect(configs).toEqual([expect.objectContaining({ unique_key: key, provider: 'salesforce', display_name: expect.any(String) })]);
    const one = await nango.getIntegration({ uniqueKey: key }, { include: ['credentials'] });
    expect(one.data).toMatchObject({ unique_key: key, provider: 'salesforce', credentials: { type: 'OAUTH2', client_id: rig.clientId, client_secret: null } });
    expect(JSON.stringify(one)).not.toContain(rig.clientSecret);
    const missing = await failure(nango.getIntegration({ uniqueKey: 'nope' }));
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider_config' } } });
  });

  test('REST import keeps Nango connectionId as external_id; getToken, getConnection (refreshToken) and getMetadata work on it', async () => {
    const user = rig.user();
    const { res, tokens } = await importViaNango('nango-conn-1', user.username, { metadata: { plan: 'pro' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ connection_id: 'nango-conn-1', provider_config_key: key, provider: 'salesforce', metadata: { plan: 'pro' } });
    expect(JSON.stringify(res.body)).not.toContain(String(tokens.refresh_token));
    const gk = (await rig.server.api('GET', '/v1/connections?external_id=nango-conn-1')).body.data;
    expect(gk).toHaveLength(1);

    const token = await nango.getToken(key, 'nango-conn-1');
    expect(token).toBe(String(tokens.access_token));
    const full = await nango.getConnection(key, 'nango-conn-1', false, true);
    expect(full.connection_config).toEqual({ instance_url: String(tokens.instance_url) });
    expect(full).toMatchObject({
      connection_id: 'nango-conn-1',
      provider_config_key: key,
      end_user: { id: 'end-nango-conn-1' },
      errors: [],
      connection_config: { instance_url: String(tokens.instance_url) }, // no portalId: Salesforce's URLs take none
      credentials: { type: 'OAUTH2', access_token: String(tokens.access_token), refresh_token: String(tokens.refresh_token) },
    });
    // Without refreshToken=true the refresh token stays home.
    const plain = await nango.getConnection(key, 'nango-conn-1');
    expect(JSON.stringify(plain)).not.toContain(String(tokens.refresh_token));
    expect(await nango.getMetadata(key, 'nango-conn-1')).toEqual({ plan: 'pro' });
    // The Grantkeeper id works too, as Nango's connectionId of a connection without an external one.
    expect(await nango.getToken(key, gk[0].id)).toBe(String(tokens.access_token));
  });

  test('a herd of getConnection(forceRefresh) makes one provider call; the rotation is kept', async () => {
    const user = rig.user();
    await importViaNango('nango-herd', user.username);
    const before = refreshCalls();
    // The provider answers slowly, so the whole herd is waiting while the one refresh runs.
    rig.emu.setLatency(1500, 'token');
    const herd = await Promise.all(Array.from({ length: 12 }, () => nango.getConnection(key, 'nango-herd', true))).finally(() => rig.emu.setLatency(0, 'token'));
    expect(refreshCalls() - before).toBe(1);
    const tokens = new Set(herd.map((c) => (c.credentials as { access_token: string }).access_token));
    expect(tokens.size).toBe(1);
    // The token still refreshes afterwards (the rotated refresh token was stored, not lost).
    await nango.getConnection(key, 'nango-herd', true);
    expect(refreshCalls() - before).toBe(2);
  });

  test('listConnections: all, by connectionId, by integration and end user; errors carry the diagnosis of a dead grant', async () => {
    const user = rig.user();
    await importViaNango('nango-list', user.username);
    const { connections } = await nango.listConnections();
    expect(connections.map((c) => c.connection_id)).toEqual(expect.arrayContaining(['nango-conn-1', 'nango-herd', 'nango-list']));
    const one = await nango.listConnections({ connectionId: 'nango-list' });
    expect(one.connections).toEqual([expect.objectContaining({ connection_id: 'nango-list', provider_config_key: key, provider: 'salesforce', errors: [] })]);
    expect((await nango.listConnections({ integrationId: key, userId: 'end-nango-list' })).connections.map((c) => c.connection_id)).toEqual(['nango-list']);
    expect((await nango.listConnections({ integrationId: 'other' })).connections).toEqual([]);
    const paged = await nango.listConnections({ limit: 1 });
    expect(paged.connections).toHaveLength(1);

    // The user's approval is revoked at Salesforce: the next token call finds the grant dead.
    rig.emu.revokeAppForUser(rig.clientId, user.userId);
    const dead = await failure(nango.getToken(key, 'nango-list', true));
    expect(dead.status).toBe(409);
    expect(dead.body.error).toMatchObject({ code: 'invalid_credentials', payload: { grantkeeper_code: 'reauth_required' } });
    const listed = (await nango.listConnections({ connectionId: 'nango-list' })).connections[0]!;
    expect(listed.errors).toEqual([expect.objectContaining({ type: 'auth', status: 'needs_reauth', code: expect.any(String), diagnosis: expect.objectContaining({ who_fixes: expect.any(String) }) })]);
  });

  test('setMetadata replaces, updateMetadata merges', async () => {
    await nango.setMetadata(key, 'nango-conn-1', { a: 1, b: 2 });
    expect(await nango.getMetadata(key, 'nango-conn-1')).toEqual({ a: 1, b: 2 });
    await nango.updateMetadata(key, 'nango-conn-1', { b: 3, c: 4 });
    expect(await nango.getMetadata(key, 'nango-conn-1')).toEqual({ a: 1, b: 3, c: 4 });
    const unknown = await failure(nango.setMetadata(key, 'nobody', { a: 1 }));
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  test('createConnectSession and createReconnectSession: their links run Grantkeeper\'s connect flow', async () => {
    const user = rig.user();
    const session = await nango.createConnectSession({ end_user: { id: 'nango-user-9', email: 'nine@example.com' }, allowed_integrations: [key] });
    expect(session.data).toMatchObject({ token: expect.stringMatching(/^ct_/), connect_link: `${rig.publicUrl}/connect/${session.data.token}`, expires_at: expect.any(String) });
    const walk = await walkFlow(session.data.connect_link, user.username);
    expect(walk.callback.status).toBe(200); // Grantkeeper's own result page (no return URL)
    const created = (await rig.server.api('GET', '/v1/connections?end_user_id=nango-user-9')).body.data;
    expect(created).toHaveLength(1);
    expect(await nango.getToken(key, created[0].id)).toEqual(expect.any(String));

    // Reconnecting the imported connection (its Nango id) re-authenticates it in place.
    const imported = rig.user();
    await importViaNango('nango-reconnect', imported.username);
    const again = await nango.createReconnectSession({ connection_id: 'nango-reconnect', integration_id: key });
    const walked = await walkFlow(again.data.connect_link, imported.username);
    expect(walked.callback.status).toBe(200);
    const after = (await rig.server.api('GET', '/v1/connections?external_id=nango-reconnect')).body.data;
    expect(after).toHaveLength(1);
    expect(after[0].generation).toBeGreaterThan(1);

    const many = await failure(nango.createConnectSession({ end_user: { id: 'x' }, allowed_integrations: [key, 'other'] }));
    expect(many).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
  });

  test('deleteConnection removes it; a deleted or unknown connection is Nango\'s not_found', async () => {
    const user = rig.user();
    await importViaNango('nango-delete', user.username);
    const res = await nango.deleteConnection(key, 'nango-delete');
    expect(res.status).toBe(200);
    const gone = await failure(nango.getConnection(key, 'nango-delete'));
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await failure(nango.getConnection('nope', 'nango-delete'))).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider_config' } } });
  });

  test('keys and scopes apply as on /v1; bad input is a 4xx in Nango\'s shape', async () => {
    const wrong = new Nango({ secretKey: 'gk_sk_wrong', host: `${rig.server.url}/nango` });
    expect(await failure(wrong.listIntegrations())).toMatchObject({ status: 401, body: { error: { code: 'unknown_account' } } });
    const readOnly = await rig.server.api('POST', '/v1/api-keys', { name: 'nango-read', scopes: ['connections:read'] });
    const reader = new Nango({ secretKey: readOnly.body.secret, host: `${rig.server.url}/nango` });
    expect((await reader.listConnections()).connections.length).toBeGreaterThan(0);
    expect(await failure(reader.getToken(key, 'nango-conn-1'))).toMatchObject({ status: 403, body: { error: { code: 'forbidden', payload: { required_scope: 'tokens:read' } } } });
    await rig.server.api('POST', '/v1/integrations', { key: 'someone-else', provider: 'salesforce', client_id: 'c-else', client_secret: 's-else', auth_base_url: rig.emu.url });
    const limited = await rig.server.api('POST', '/v1/api-keys', { name: 'nango-other', scopes: ['tokens:read', 'connections:write'], integrations: ['someone-else'] });
    expect(limited.status, JSON.stringify(limited.body)).toBe(201);
    const stranger = new Nango({ secretKey: limited.body.secret, host: `${rig.server.url}/nango` });
    expect(await failure(stranger.getToken(key, 'nango-conn-1'))).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider_config' } } });
    expect((await stranger.listConnections()).connections).toEqual([]);

    const noRefresh = await rig.server.api('POST', '/nango/connections', { provider_config_key: key, connection_id: 'x', credentials: { type: 'OAUTH2', access_token: 'a' } });
    expect(noRefresh.status).toBe(400);
    expect(noRefresh.body.error).toMatchObject({ code: 'invalid_body', errors: [expect.objectContaining({ path: ['credentials', 'refresh_token'] })] });
    const taken = await importViaNango('nango-conn-1', rig.user().username);
    expect(taken.res).toMatchObject({ status: 409, body: { error: { code: 'external_id_taken' } } });
    expect((await rig.server.api('GET', '/nango/nothing-here')).body).toMatchObject({ error: { code: 'not_found' } });
  });
});

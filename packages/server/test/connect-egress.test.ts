// The connect flow's code exchange through the integration's outbound proxy: Salesforce's
// Refresh Token IP Allowlist covers the web server flow too, so a connect that ends with a
// direct code exchange is refused. A real tinyproxy (bound to 127.0.0.2), the emulator over
// real HTTP, both databases.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { BACKENDS } from './helpers/databases.js';
import { startTinyproxy, type TinyProxy } from './helpers/tinyproxy.js';

describe.each(BACKENDS)('connect flow through the outbound proxy on %s', (backend) => {
  let proxy: TinyProxy;
  let rig: ConnectRig;
  beforeAll(async () => {
    proxy = await startTinyproxy();
    rig = await startConnectRig(backend, { logName: 'connect-egress', integration: { outbound_proxy: proxy.url } });
    rig.emu.setRefreshTokenIpAllowlist(rig.clientId, ['127.0.0.2']);
  });
  afterAll(async () => {
    await rig?.stop();
    await proxy?.stop();
  });

  const connect = async (username: string) => {
    const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: username } });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    return walkFlow(session.body.url, username);
  };
  const lastExchange = () => rig.emu.requestLog({ endpoint: 'token' }).filter((e) => e.grant_type === 'authorization_code').at(-1);

  test('the code exchange leaves through the proxy; set to "direct", the allowlist refuses it and nothing is stored', async () => {
    const ann = rig.user();
    const ok = await connect(ann.username);
    // No return_url: the callback answers with its own page.
    expect(ok.callback.status).toBe(200);
    expect(lastExchange()).toMatchObject({ source_ip: '127.0.0.2', status: 200 });
    const mine = async (endUser: string) => (await rig.server.api('GET', `/v1/connections?end_user_id=${encodeURIComponent(endUser)}`)).body.data as any[];
    expect((await mine(ann.username)).map((c) => c.status)).toEqual(['active']);

    expect((await rig.server.api('PATCH', `/v1/integrations/${rig.integrationKey}`, { outbound_proxy: 'direct' })).status).toBe(200);
    const bob = rig.user();
    const refused = await connect(bob.username);
    expect(lastExchange()).toMatchObject({ source_ip: '127.0.0.1', status: 400, error: 'invalid_grant/ip restricted by app developer' });
    expect(await mine(bob.username)).toEqual([]);
    // The callback's own error page (a 4xx, never a 5xx).
    expect(refused.callback.status).toBe(400);
    expect(refused.callback.headers.get('content-type')).toContain('text/html');
  });
});

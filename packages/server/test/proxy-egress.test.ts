// The API proxy leaves through the provider egress: with GRANTKEEPER_OUTBOUND_PROXY set, a
// proxied call reaches the provider through that HTTP proxy (a real tinyproxy), like token
// calls do; on both backends.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { rawRequest } from './helpers/provider-api.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { startTinyproxy, type TinyProxy } from './helpers/tinyproxy.js';

describe.each(BACKENDS)('API proxy through the outbound proxy on %s', (backend) => {
  let rig: SalesforceRig;
  let tiny: TinyProxy;

  beforeAll(async () => {
    tiny = await startTinyproxy();
    rig = await startSalesforceRig(backend, { env: { GRANTKEEPER_OUTBOUND_PROXY: tiny.url }, logName: 'proxy-egress' });
  });
  afterAll(async () => {
    await rig?.stop();
    await tiny?.stop();
  });

  test('a proxied call with a valid stored token goes through GRANTKEEPER_OUTBOUND_PROXY', async () => {
    const { username } = rig.user();
    const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username });
    // A valid access token is imported, so the only provider call is the proxied one.
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey,
      end_user: { id: username },
      credentials: { refresh_token: String(tokens.refresh_token), access_token: String(tokens.access_token), instance_url: String(tokens.instance_url), issued_at: String(tokens.issued_at) },
    });
    expect(imported.status).toBe(201);
    const before = tiny.connects().length;
    const restBefore = rig.emu.stats().rest_requests;
    const res = await rawRequest(rig.server.url, `/v1/connections/${imported.body.id}/proxy/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${rig.server.key}` } });
    expect(res.status).toBe(200);
    expect(rig.emu.stats().rest_requests).toBe(restBefore + 1);
    expect(rig.emu.stats().refreshes).toBe(0);
    expect(tiny.connects().slice(before)).toContain(new URL(rig.emu.url).host);
  });
});

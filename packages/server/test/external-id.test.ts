// external_id (issue 19): the id another system knows a connection by — unique per
// integration, set on import and by connect sessions, filterable, shown in the views.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { runCli } from './cli-run.js';

describe.each(BACKENDS)('external_id on %s', (backend) => {
  let rig: ConnectRig;
  let otherKey: string;
  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'external-id' });
    otherKey = `${rig.integrationKey}-b`;
    const other = await rig.server.api('POST', '/v1/integrations', { key: otherKey, provider: 'salesforce', client_id: 'c-other', client_secret: 's-other', auth_base_url: rig.emu.url });
    expect(other.status).toBe(201);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const importWith = (integration: string, externalId: string | undefined, endUser = 'u1') => {
    const user = rig.user();
    const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username: user.username });
    return rig.server.api('POST', '/v1/connections', {
      integration,
      ...(externalId === undefined ? {} : { external_id: externalId }),
      end_user: { id: endUser },
      credentials: { refresh_token: String(tokens.refresh_token) },
    });
  };

  test('an import carries it; a second one in the same integration is 409 external_id_taken, another integration may reuse it', async () => {
    const first = await importWith(rig.integrationKey, 'nango-conn-1');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.external_id).toBe('nango-conn-1');
    const shown = await rig.server.api('GET', `/v1/connections/${first.body.id}`);
    expect(shown.body.external_id).toBe('nango-conn-1');

    const again = await importWith(rig.integrationKey, 'nango-conn-1', 'u2');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'external_id_taken', connection_id: first.body.id });

    const elsewhere = await importWith(otherKey, 'nango-conn-1');
    expect(elsewhere.status).toBe(201);
    const without = await importWith(rig.integrationKey, undefined);
    expect(without.status).toBe(201);
    expect(without.body.external_id).toBeNull();
  });

  test('concurrent imports of one external id: exactly one wins, the others are 409 external_id_taken', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => importWith(rig.integrationKey, 'raced-id', `racer-${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(4).fill('external_id_taken'));
  });

  test('?external_id= filters the list (with and without an integration)', async () => {
    const all = await rig.server.api('GET', '/v1/connections?external_id=nango-conn-1');
    expect(all.status).toBe(200);
    expect(all.body.data.map((c: { integration: string }) => c.integration).sort()).toEqual([rig.integrationKey, otherKey].sort());
    const one = await rig.server.api('GET', `/v1/connections?external_id=nango-conn-1&integration=${otherKey}`);
    expect(one.body.data).toHaveLength(1);
    expect(one.body.data[0].integration).toBe(otherKey);
    expect((await rig.server.api('GET', '/v1/connections?external_id=nobody')).body.data).toEqual([]);
  });

  test('an id taken while the user was at the provider: the approved grant is kept, without the id', async () => {
    const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'late' }, external_id: 'taken-late', verify: false, return_url: 'https://product.example/done' });
    expect(session.status).toBe(201);
    expect((await importWith(rig.integrationKey, 'taken-late', 'someone-first')).status).toBe(201);
    const walk = await walkFlow(session.body.url, rig.user().username);
    expect(walk.location!.searchParams.get('status')).toBe('success');
    const kept = await rig.connection(walk.location!.searchParams.get('connection_id')!);
    expect(kept).toMatchObject({ status: 'active', external_id: null, end_user: { id: 'late' } });
  });

  test('the CLI filters by it and shows it', async () => {
    const env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key, NO_COLOR: '1' };
    const listed = await runCli(['connections', 'list', '--integration', rig.integrationKey, '--external-id', 'nango-conn-1', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const [only] = listed.json().data;
    expect(listed.json().data).toHaveLength(1);
    expect(only.external_id).toBe('nango-conn-1');
    const table = await runCli(['connections', 'list', '--external-id', 'nango-conn-1'], { env });
    expect(table.stdout).toMatch(/EXTERNAL ID/);
    expect(table.stdout).toMatch(/nango-conn-1/);
    const shown = await runCli(['connections', 'show', only.id], { env });
    expect(shown.stdout).toMatch(/external id:\s+nango-conn-1/);
  });

  test('the dashboard filters by it and shows it', async () => {
    const login = await fetch(`${rig.server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: rig.server.key }) });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const list = await fetch(`${rig.server.url}/ui/connections?external_id=nango-conn-1&integration=${otherKey}`, { headers: { cookie } });
    const html = await list.text();
    expect(list.status).toBe(200);
    expect(html.match(/data-connection="/g)).toHaveLength(1);
    expect(html).toContain('<code>nango-conn-1</code>');
    const id = /data-connection="(conn_[0-9a-f]+)"/.exec(html)![1];
    const page = await (await fetch(`${rig.server.url}/ui/connections/${id}`, { headers: { cookie } })).text();
    expect(page).toMatch(/<dd id="external-id"><code>nango-conn-1<\/code><\/dd>/);
  });

  test('bad values are 400 naming the field', async () => {
    for (const value of ['', 'x'.repeat(256), 'line\nbreak']) {
      const res = await importWith(rig.integrationKey, value);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('external_id');
    }
  });

  test('a connect session names the external id of the connection it creates; a taken one is refused up front', async () => {
    const taken = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'cs' }, external_id: 'nango-conn-1' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('external_id_taken');

    const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'cs' }, external_id: 'from-connect', verify: false, return_url: 'https://product.example/done' });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    const user = rig.user();
    const walk = await walkFlow(session.body.url, user.username);
    expect(walk.callback.status).toBe(302);
    const id = walk.location!.searchParams.get('connection_id')!;
    expect((await rig.connection(id)).external_id).toBe('from-connect');

    // Re-authenticating it keeps the id; naming another one is refused.
    const mismatch = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'cs' }, connection_id: id, external_id: 'other' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors.map((e: { field: string }) => e.field)).toContain('external_id');
  });
});

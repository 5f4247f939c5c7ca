// A refresh token this server held before — the current one of a connection, or one a
// rotation or reconnect replaced — is never imported again: with rotation, its first refresh
// would present a rotated-out token and the provider would revoke the live family, killing
// the connection that holds its successor. Against the Salesforce emulator with rotation on,
// on both databases.
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { cliAudit } from '../src/audit/actors.js';
import { rotateKeys } from '../src/keys/rotate.js';
import { fromPublicId } from '../src/model/ids.js';
import { createTestDatabase, BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(BACKENDS)('retired grants on %s', (backend) => {
  let rig: ConnectRig;
  beforeAll(async () => {
    rig = await startConnectRig(backend, { app: { rotation: true }, logName: 'retired-grants' });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const db = () => rig.server.ctx.db.kysely;
  const importToken = (refreshToken: string, endUser: string) =>
    rig.server.api('POST', '/v1/connections', { integration: rig.integrationKey, end_user: { id: endUser }, credentials: { refresh_token: refreshToken } });
  const connectionCount = async () => (await db().selectFrom('connections').select('id').execute()).length;

  test('a rotated-out token is refused (409 retired_grant); the original connection keeps refreshing', async () => {
    const user = rig.user();
    const { id, refreshToken: first } = await rig.importGrant(user.username, 'owner');
    expect((await rig.server.api('GET', `/v1/connections/${id}/token`)).status).toBe(200);
    // The first refresh rotated the imported token out.
    expect(rig.emu.refreshTokenStatus(first).status).toBe('retired');
    const reuseBefore = rig.emu.stats().reuse_detections;
    const count = await connectionCount();

    const again = await importToken(first, 'someone-else');
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body).toMatchObject({ code: 'retired_grant', connection_id: id });
    expect(await connectionCount()).toBe(count);

    // Nothing replayed the retired token, so the family is alive and the connection refreshes.
    expect(rig.emu.stats().reuse_detections).toBe(reuseBefore);
    const forced = await rig.server.api('GET', `/v1/connections/${id}/token?force=true`);
    expect(forced.status).toBe(200);
    expect((await rig.connection(id)).status).toBe('active');
    const current = rig.emu.currentRefreshToken(first)!;
    expect(rig.emu.refreshTokenStatus(current).status).toBe('current');

    // Every rotation retired the token before it; the current one is refused as held.
    const second = await importToken(first, 'third-try');
    expect(second.body.code).toBe('retired_grant');
    const held = await importToken(current, 'someone-else');
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({ code: 'duplicate_grant', connection_id: id });

    // Only keyed fingerprints are kept, one per rotation (one key in the ring).
    const rowId = fromPublicId('connection', id)!;
    const retired = await db().selectFrom('retired_grants').select(['fingerprint', 'reason']).where('connection_id', '=', rowId).execute();
    expect(retired.map((r) => r.reason)).toEqual(['rotated', 'rotated']);
    for (const row of retired) {
      expect(row.fingerprint).toMatch(/^test1:[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(first);
    }
  });

  test('a token a reconnect replaced is refused too', async () => {
    const user = rig.user();
    const connect = async () => {
      const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'reconnecting' } });
      const walk = await walkFlow(session.body.url, user.username);
      expect(walk.callback.status).toBe(200);
      return rig.emu.approvals({ userId: user.userId, clientId: rig.clientId });
    };
    const [firstApproval] = await connect();
    const replaced = firstApproval!.refresh_token!;
    // The same end user authorizing the same account again: the connection is updated in place.
    // (The replaced grant is revoked at the provider in the background, so it may already be gone.)
    const approvals = await connect();
    expect(approvals.filter((a) => a.refresh_token !== replaced)).toHaveLength(1);
    const again = await importToken(replaced, 'someone-else');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('retired_grant');
    const reasons = await db().selectFrom('retired_grants').select('reason').where('reason', '=', 'replaced').execute();
    expect(reasons.length).toBeGreaterThanOrEqual(1);
  });
});

describe.each(BACKENDS)('retired grants across a key rollout on %s', (backend) => {
  let emu: SalesforceEmulator;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  test('a token retired while two keys were in the ring is still refused after the old key is removed', async () => {
    const oldKey = Keyring.generateKey('old');
    const newKey = Keyring.generateKey('new');
    const database = await createTestDatabase(backend);
    const clientId = `3MVG9rollout${Date.now()}`;
    emu.createApp({ clientId, clientSecret: 'rollout-secret', rotation: true });
    const user = emu.createUser({ username: `rollout-${Date.now()}@example.com` });
    const tokens = emu.issueTokens({ clientId, username: user.username });
    const first = String(tokens.refresh_token);
    let server: TestServer | undefined;
    try {
      // Mid-rollout: the new key is in the ring, not yet first.
      server = await startTestServer(backend, { GRANTKEEPER_ENCRYPTION_KEYS: Keyring.format([oldKey, newKey]) }, { database, logName: 'retired-rollout' });
      const created = await server.api('POST', '/v1/integrations', {
        key: 'rollout', provider: 'salesforce', client_id: clientId, client_secret: 'rollout-secret', auth_base_url: emu.url,
      });
      expect(created.status).toBe(201);
      const imported = await server.api('POST', '/v1/connections', { integration: 'rollout', end_user: { id: 'u' }, credentials: { refresh_token: first } });
      expect(imported.status).toBe(201);
      const id = imported.body.id as string;
      expect((await server.api('GET', `/v1/connections/${id}/token`)).status).toBe(200);
      // The rest of the rollout: the new key first, every secret re-encrypted, the old key gone.
      await rotateKeys(server.ctx.db, new Keyring([newKey, oldKey]), { audit: cliAudit() });
      await server.stop();
      server = await startTestServer(backend, { GRANTKEEPER_ENCRYPTION_KEYS: Keyring.format([newKey]) }, { database, logName: 'retired-rollout' });

      const again = await server.api('POST', '/v1/connections', { integration: 'rollout', end_user: { id: 'v' }, credentials: { refresh_token: first } });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'retired_grant', connection_id: id });
      expect((await server.api('GET', `/v1/connections/${id}/token?force=true`)).status).toBe(200);
      expect(emu.stats().reuse_detections).toBe(0);
    } finally {
      await server?.stop();
      await database.drop();
    }
  });
});

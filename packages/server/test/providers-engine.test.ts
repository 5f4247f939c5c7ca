// The engine driven by provider data, over the wire against the emulator's generic OAuth 2.0
// mode (RFC 6749 responses with expires_in, rotation, idle lifetime, RFC 7009 revoke), with
// a custom `oauth2` integration pointed at it — on both databases. (Catalog providers have
// fixed https hosts; their rendering is unit-tested in catalog-engine.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceEmulator, type AppInput, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { decryptSecret } from '../src/crypto/envelope.js';
import { connectionSecretPlace as secretPlace } from '../src/model/secret-places.js';
import { fromPublicId } from '../src/model/ids.js';
import { until } from './helpers/wait.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(BACKENDS)('catalog-driven engine behaviour on %s', (backend) => {
  let emu: SalesforceEmulator;
  let server: TestServer;
  let n = 0;

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    server = await startTestServer(
      backend,
      {
        GRANTKEEPER_CONFIRM_RETRY_MS: '10',
        GRANTKEEPER_BACKOFF_BASE_MS: '50',
        GRANTKEEPER_BACKOFF_MAX_MS: '100',
        GRANTKEEPER_REVOCATION_POLL_INTERVAL_MS: '50',
      },
      { logName: 'providers-engine' },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  /** A generic-mode app at the emulator and an `oauth2` integration pointed at it. */
  async function genericIntegration(app: AppInput = {}, integration: Record<string, unknown> = {}) {
    const i = ++n;
    const clientId = `generic-${i}-${Date.now()}`;
    const clientSecret = `generic-secret-${i}`;
    emu.createApp({ clientId, clientSecret, callbackUrls: [`${server.url}/oauth/callback`], mode: 'generic', ...app });
    const key = `oauth2-${i}`;
    const res = await server.api('POST', '/v1/integrations', {
      key,
      provider: 'oauth2',
      client_id: clientId,
      client_secret: clientSecret,
      authorization_url: `${emu.url}/oauth2/authorize`,
      token_url: `${emu.url}/oauth2/token`,
      revoke_url: `${emu.url}/oauth2/revoke`,
      ...integration,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const importGrant = async () => {
      const username = `user-${++n}@example.com`;
      emu.createUser({ username });
      const tokens = emu.issueTokens({ clientId, username });
      const refreshToken = String(tokens.refresh_token);
      const created = await server.api('POST', '/v1/connections', {
        integration: key,
        end_user: { id: username },
        credentials: { refresh_token: refreshToken },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return { id: created.body.id as string, refreshToken };
    };
    return { key, clientId, importGrant };
  }

  const storedRefreshToken = async (publicId: string) => {
    const id = fromPublicId('connection', publicId)!;
    const row = await server.ctx.db.kysely.selectFrom('connections').select('refresh_token_enc').where('id', '=', id).executeTakeFirstOrThrow();
    return decryptSecret(server.ctx.keyring, row.refresh_token_enc!, secretPlace(id, 'refresh_token_enc'));
  };
  const connection = async (id: string) => (await server.api('GET', `/v1/connections/${id}`)).body;

  test('expires_in is honoured: expiry = receive time + expires_in, not the assumed lifetime', async () => {
    const { importGrant } = await genericIntegration({ accessTokenTtlS: 900 });
    const { id } = await importGrant();
    const before = Date.now();
    const res = await server.api('GET', `/v1/connections/${id}/token`);
    const after = Date.now();
    expect(res.status).toBe(200);
    const expiresAt = Date.parse(res.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 900_000);
    expect((await connection(id)).access_token_expires_at).toBe(res.body.expires_at);
    // min_valid_s beyond what the provider granted forces a new refresh instead of a stale answer.
    const refreshesBefore = emu.stats().refreshes;
    expect((await server.api('GET', `/v1/connections/${id}/token?min_valid_s=1000`)).status).toBe(200);
    expect(emu.stats().refreshes - refreshesBefore).toBe(1);
  });

  test('a rotated refresh token is always persisted: the stored one is the provider\'s current one, no reuse', async () => {
    const { importGrant } = await genericIntegration({ rotation: true });
    const { id, refreshToken: original } = await importGrant();
    const reuseBefore = emu.stats().reuse_detections;
    let previous = original;
    for (let i = 0; i < 3; i++) {
      const res = await server.api('POST', `/v1/connections/${id}/refresh`);
      expect(res.status).toBe(200);
      const stored = await storedRefreshToken(id);
      expect(stored).toBe(emu.currentRefreshToken(original));
      expect(stored).not.toBe(previous);
      expect(emu.refreshTokenStatus(previous).status).toBe('retired');
      previous = stored;
    }
    expect(emu.stats().reuse_detections - reuseBefore).toBe(0);
    const events = (await server.api('GET', `/v1/connections/${id}/events`)).body.data as any[];
    expect(events.filter((e) => e.type === 'refresh').map((e) => [e.outcome, e.rotated])).toEqual([
      ['success', true],
      ['success', true],
      ['success', true],
    ]);
    expect((await connection(id)).generation).toBe(4);
  });

  test('a static provider keeps the stored refresh token', async () => {
    const { importGrant } = await genericIntegration({ rotation: false });
    const { id, refreshToken } = await importGrant();
    expect((await server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    expect(await storedRefreshToken(id)).toBe(refreshToken);
  });

  test('keepalive refreshes before the idle lifetime keep a grant alive; a neglected one dies', async () => {
    // Idle lifetime 3000 s at the provider; keepalive every 1000 s (a third of it).
    const { importGrant } = await genericIntegration({ rotation: true, refreshTokenPolicy: { idle_s: 3000 } }, { refresh: { keepalive_s: 1000 } });
    const kept = await importGrant();
    const neglected = await importGrant();
    // Both worked once (a grant that never refreshed would be diagnosed an unknown token).
    for (const c of [kept, neglected]) expect((await server.api('POST', `/v1/connections/${c.id}/refresh`)).status).toBe(200);
    const keptId = fromPublicId('connection', kept.id)!;
    const keepaliveMs = async () => {
      const row = await server.ctx.db.kysely
        .selectFrom('connections')
        .select(['next_refresh_at', 'last_refreshed_at', 'created_at'])
        .where('id', '=', keptId)
        .executeTakeFirstOrThrow();
      return row.next_refresh_at!.getTime() - (row.last_refreshed_at ?? row.created_at).getTime();
    };
    // Stand-in for the scheduler, on the emulator's clock (no real time passes, nothing is
    // waited for): provider time moves in 250 s steps to 5000 s, well past the idle lifetime,
    // and the connection is refreshed whenever its own next_refresh_at says it is due.
    const stepMs = 250_000;
    let sinceLast = 0;
    let scheduled = 0;
    for (let providerMs = stepMs; providerMs <= 5_000_000; providerMs += stepMs) {
      emu.clock.advance(stepMs);
      sinceLast += stepMs;
      if (sinceLast >= (await keepaliveMs())) {
        const result = await server.services.engine.refreshInBackground(keptId, 'scheduled');
        expect(result.kind).toBe('token');
        sinceLast = 0;
        scheduled++;
      }
    }
    expect(scheduled).toBeGreaterThanOrEqual(4);
    const alive = await server.api('POST', `/v1/connections/${kept.id}/refresh`);
    expect(alive.status).toBe(200);
    expect((await connection(kept.id)).status).toBe('active');

    const dead = await server.api('GET', `/v1/connections/${neglected.id}/token?force=true`);
    expect(dead.status).toBe(409);
    expect(dead.body.code).toBe('reauth_required');
    // The generic texts explain it: no Salesforce screen is named for a non-Salesforce provider.
    expect(dead.body.diagnosis.who_fixes).toBe('end_user');
    expect(JSON.stringify(dead.body.diagnosis)).not.toMatch(/Salesforce|Setup →|Connected App/i);
    expect(dead.body.connection.last_error).toMatchObject({ http_status: 400, error: 'invalid_grant' });
  });

  test('delete revokes the current refresh token at an RFC 7009 endpoint; no revoke URL, nothing queued', async () => {
    const { importGrant } = await genericIntegration({ rotation: true });
    const { id, refreshToken: original } = await importGrant();
    expect((await server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    const current = await storedRefreshToken(id);
    const revocationsBefore = emu.stats().revocations;
    expect((await server.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
    await until('the revocation at the provider', () => emu.stats().revocations >= revocationsBefore + 1, 10_000);
    expect(emu.stats().revocations).toBe(revocationsBefore + 1);
    expect(emu.refreshTokenStatus(current).status).toBe('revoked');
    expect(emu.currentRefreshToken(original)).toBeNull();

    const without = await genericIntegration({}, { revoke_url: null });
    const other = await without.importGrant();
    expect((await server.api('DELETE', `/v1/connections/${other.id}`)).status).toBe(204);
    // Queued (or not) in the delete's own transaction: nothing for this connection.
    const queued = await server.ctx.db.kysely
      .selectFrom('revocations')
      .select('id')
      .where('connection_id', '=', fromPublicId('connection', other.id)!)
      .execute();
    expect(queued).toEqual([]);
    expect(emu.refreshTokenStatus(other.refreshToken).status).toBe('current');
  });

  test('refresh_token_expires_in is recorded as refresh_token_expires_at and kept until restated', async () => {
    const { importGrant } = await genericIntegration();
    const { id } = await importGrant();
    expect((await connection(id)).refresh_token_expires_at).toBeNull();
    // A provider that states its refresh token's lifetime (GitHub, Airtable, QuickBooks…).
    emu.setFault({
      endpoint: 'token',
      status: 200,
      count: 1,
      body: { access_token: 'at-stated', token_type: 'Bearer', expires_in: 600, refresh_token_expires_in: 86_400 },
    });
    const before = Date.now();
    expect((await server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    const after = Date.now();
    const stated = (await connection(id)).refresh_token_expires_at as string;
    expect(Date.parse(stated)).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(Date.parse(stated)).toBeLessThanOrEqual(after + 86_400_000);
    // A later answer without it leaves the recorded expiry alone.
    expect((await server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    const later = await connection(id);
    expect(later.generation).toBe(3);
    expect(later.refresh_token_expires_at).toBe(stated);
  });
});

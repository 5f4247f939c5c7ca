// An existing Salesforce client on top of Grantkeeper: jsforce 3.10.14 (a client nobody here
// wrote) calls the emulator's REST API with access tokens the SDK got from the real server.
// Grantkeeper keeps the refresh token (rotating, here) and jsforce never sees it: when the
// session dies (401 INVALID_SESSION_ID), a forced refresh through the SDK brings a new token —
// by hand, or wired into jsforce's own refresh hook (`refreshFn`).
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grantkeeper } from '../src/index.js';
import { startRealBackend, type RealBackend } from './real-server-backend.js';
import { recordingFetch } from './harness.js';

let backend: RealBackend;

beforeAll(async () => {
  backend = await startRealBackend();
});
afterAll(async () => {
  await backend?.close();
});

/** A connection whose Salesforce app rotates refresh tokens, and an SDK client with a request log. */
async function setup() {
  const id = await backend.createConnection();
  backend.emu.updateApp(backend.grantOf(id).clientId, { rotation: true });
  const recorder = recordingFetch();
  const gk = new Grantkeeper({ baseUrl: backend.baseUrl, secretKey: backend.secretKey, fetch: recorder.fetch });
  const forced = () => recorder.to('/token').filter((r) => r.url.searchParams.get('force') === 'true').length;
  return { id, gk, recorder, forced };
}

/** The session timeout (emulator default 2 h) passes at Salesforce: every access token dies. */
const sessionsTimeOut = () => backend.emu.clock.advance(7200_000 + 60_000);

describe('jsforce with tokens from Grantkeeper', () => {
  it('queries and reads limits with the token the SDK returns', async () => {
    const { id, gk } = await setup();
    const token = await gk.getToken(id);
    const conn = new Connection({ instanceUrl: token.instanceUrl!, accessToken: token.accessToken, version: '60.0' });
    const accounts = await conn.query<{ Id: string }>('SELECT Id FROM Account');
    expect(accounts.totalSize).toBe(3);
    expect(accounts.records[0]!.Id).toMatch(/^001/);
    const limits = await conn.limits();
    expect(limits.DailyApiRequests.Max).toBeGreaterThan(0);
  });

  it('through a token expiry: jsforce gets 401 INVALID_SESSION_ID, a forced refresh through the SDK fixes it', async () => {
    const { id, gk, forced } = await setup();
    const first = await gk.getToken(id);
    const conn = new Connection({ instanceUrl: first.instanceUrl!, accessToken: first.accessToken, version: '60.0' });
    await conn.query('SELECT Id FROM Account LIMIT 1');

    sessionsTimeOut();
    const error = await conn.query('SELECT Id FROM Account LIMIT 1').then(() => null, (e: unknown) => e as { errorCode?: string; name?: string });
    expect(error?.errorCode ?? error?.name).toBe('INVALID_SESSION_ID');
    // Grantkeeper still believes the token is valid (its clock did not move): only force helps.
    expect((await gk.getToken(id)).accessToken).toBe(first.accessToken);
    const fresh = await gk.getToken(id, { force: true });
    expect(fresh.accessToken).not.toBe(first.accessToken);
    expect(fresh.generation).toBeGreaterThan(first.generation);
    conn.accessToken = fresh.accessToken;
    expect((await conn.query('SELECT Id FROM Account LIMIT 1')).totalSize).toBe(1);
    expect(forced()).toBe(1);
  });

  it("wired into jsforce's refreshFn: jsforce retries by itself; one forced refresh for a burst of calls", async () => {
    const { id, gk, forced } = await setup();
    const token = await gk.getToken(id);
    const conn = new Connection({
      instanceUrl: token.instanceUrl!,
      accessToken: token.accessToken,
      version: '60.0',
      refreshFn: (_conn, callback) => {
        gk.getToken(id, { force: true }).then((t) => callback(null, t.accessToken), (e: Error) => callback(e));
      },
    });
    const refreshed: string[] = [];
    conn.on('refresh', (accessToken: string) => refreshed.push(accessToken));
    const stats = backend.emu.stats();

    sessionsTimeOut();
    const results = await Promise.all([
      conn.query('SELECT Id FROM Account'),
      conn.query('SELECT Id, Name FROM Account LIMIT 2'),
      conn.limits(),
    ]);
    expect((results[0] as { totalSize: number }).totalSize).toBe(3);
    expect(refreshed).toHaveLength(1);
    expect(forced()).toBe(1);
    const after = backend.emu.stats();
    expect(after.refreshes - stats.refreshes).toBe(1);
    expect(after.rest_unauthorized - stats.rest_unauthorized).toBeGreaterThanOrEqual(1);
    expect(conn.accessToken).toBe((await gk.getToken(id)).accessToken);
  });

  it('Grantkeeper keeps the rotated refresh token that jsforce alone would drop: two expiries, no reuse detection', async () => {
    const { id, gk } = await setup();
    const original = backend.grantOf(id).refreshToken;
    const token = await gk.getToken(id); // first refresh: rotation retires the imported token
    const conn = new Connection({
      instanceUrl: token.instanceUrl!,
      accessToken: token.accessToken,
      version: '60.0',
      refreshFn: (_conn, callback) => {
        gk.getToken(id, { force: true }).then((t) => callback(null, t.accessToken), (e: Error) => callback(e));
      },
    });
    const reuseBefore = backend.emu.stats().reuse_detections;
    for (let round = 0; round < 2; round++) {
      sessionsTimeOut();
      expect((await conn.query('SELECT Id FROM Account')).totalSize).toBe(3);
    }
    expect(backend.emu.refreshTokenStatus(original).status).toBe('retired');
    expect(backend.emu.stats().reuse_detections).toBe(reuseBefore);
    expect((await gk.getConnection(id)).status).toBe('active');
  });

  it('a dead grant surfaces to jsforce as a refresh failure carrying the diagnosis', async () => {
    const { id, gk } = await setup();
    const token = await gk.getToken(id);
    const conn = new Connection({
      instanceUrl: token.instanceUrl!,
      accessToken: token.accessToken,
      version: '60.0',
      refreshFn: (_conn, callback) => {
        gk.getToken(id, { force: true }).then((t) => callback(null, t.accessToken), (e: Error) => callback(e));
      },
    });
    backend.emu.revokeApproval(backend.grantOf(id).refreshToken); // the user revoked the app
    await expect(conn.query('SELECT Id FROM Account')).rejects.toThrow(/^Unable to refresh session due to: reauth_required: /);
    const connection = await gk.getConnection(id);
    expect(connection.status).toBe('needs_reauth');
    expect(connection.diagnosis?.who_fixes).toBe('end_user');
  });
});

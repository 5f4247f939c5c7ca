import { Connection, OAuth2 } from 'jsforce';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, CALLBACK, SECRET, startWorld, type World } from './helpers.js';

/** Conformance with jsforce 3.10.14 (docs/salesforce.md), a client nobody here wrote. */

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => w.emu.close());

function oauth2(useVerifier = false): OAuth2 {
  return new OAuth2({ loginUrl: w.emu.url, clientId: w.clientId, clientSecret: SECRET, redirectUri: CALLBACK, useVerifier });
}

/** Follows jsforce's authorization URL with per-request auto-approve; returns the code. */
async function codeFor(o: OAuth2, state: string): Promise<string> {
  const url = o.getAuthorizationUrl({ scope: 'api refresh_token id', state, login_hint: w.username } as Record<string, string>);
  const res = await call(url, { headers: { 'x-emulator-auto-approve': 'allow' } });
  const callback = new URL(res.headers.get('location')!);
  expect(callback.searchParams.get('state')).toBe(state);
  return callback.searchParams.get('code')!;
}

describe('jsforce OAuth2', () => {
  it('builds an authorization URL the emulator accepts, with PKCE (no method sent)', async () => {
    const o = oauth2(true);
    const url = new URL(o.getAuthorizationUrl({ scope: 'api refresh_token' }));
    expect(url.origin + url.pathname).toBe(`${w.emu.url}/services/oauth2/authorize`);
    expect(url.searchParams.get('code_challenge')).toBeTruthy();
    expect(url.searchParams.get('code_challenge_method')).toBeNull();
    const res = await o.requestToken(await codeFor(o, 'pkce-state'));
    expect(res.access_token.startsWith(w.orgId.slice(0, 15) + '!')).toBe(true);
    expect(res.refresh_token).toBeTruthy();
    expect(res.instance_url).toBe(w.emu.url);
  });

  it('requestToken, refreshToken (also with code_verifier attached), revokeToken', async () => {
    const o = oauth2(true);
    const tokens = await o.requestToken(await codeFor(o, 's'));
    const refreshed = await o.refreshToken(tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeUndefined();
    expect(refreshed.id).toBe(tokens.id);
    await o.revokeToken(tokens.refresh_token!);
    await expect(o.refreshToken(tokens.refresh_token!)).rejects.toMatchObject({ name: 'invalid_grant', message: 'expired access/refresh token' });
  });

  it('surfaces Salesforce errors as Error{name: error, message: error_description}', async () => {
    const bad = new OAuth2({ loginUrl: w.emu.url, clientId: 'nope', clientSecret: 'x', redirectUri: CALLBACK });
    await expect(bad.refreshToken('x')).rejects.toMatchObject({ name: 'invalid_client_id', message: 'client identifier invalid' });
    // jsforce parses revoke errors as a form body; JSON falls back to ERROR_HTTP_400 (docs/salesforce.md).
    await expect(oauth2().revokeToken('nope')).rejects.toMatchObject({ name: 'ERROR_HTTP_400' });
    w.emu.setFault({ mode: 'non_json', status: 503, count: 1 });
    await expect(oauth2().refreshToken('x')).rejects.toMatchObject({ name: 'ERROR_HTTP_503' });
  });
});

describe('jsforce Connection against the REST stub', () => {
  async function connect(): Promise<{ conn: Connection; refreshToken: string; refreshed: Array<{ accessToken: string; res: any }> }> {
    const o = oauth2();
    const tokens = await o.requestToken(await codeFor(o, 's'));
    const conn = new Connection({
      oauth2: { loginUrl: w.emu.url, clientId: w.clientId, clientSecret: SECRET, redirectUri: CALLBACK },
      instanceUrl: tokens.instance_url,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      version: '62.0',
    });
    const refreshed: Array<{ accessToken: string; res: any }> = [];
    conn.on('refresh', (accessToken: string, res: unknown) => refreshed.push({ accessToken, res }));
    return { conn, refreshToken: tokens.refresh_token!, refreshed };
  }

  it('queries, limits and identity with a live session', async () => {
    const { conn } = await connect();
    const result = await conn.query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account');
    expect(result.totalSize).toBe(3);
    expect(result.records[0]!.Name).toBe('Edge Communications');
    const identity = await conn.identity();
    expect(identity.user_id).toBe(w.userId);
    expect(identity.organization_id).toBe(w.orgId);
  });

  it('refreshes on 401 INVALID_SESSION_ID after the session times out, then retries', async () => {
    const { conn, refreshed } = await connect();
    w.emu.clock.advance(7200_000);
    const result = await conn.query('SELECT Id FROM Account LIMIT 1');
    expect(result.totalSize).toBe(1);
    expect(refreshed).toHaveLength(1);
    expect(conn.accessToken).toBe(refreshed[0]!.accessToken);
    expect(w.emu.stats()).toMatchObject({ refreshes: 1, rest_unauthorized: 1 });
  });

  it('refreshes after an admin removes the session (jsforce#1656)', async () => {
    const { conn, refreshed } = await connect();
    w.emu.removeSessions({ userId: w.userId });
    await conn.query('SELECT Id FROM Account');
    expect(refreshed).toHaveLength(1);
  });

  it('fails with "Unable to refresh session" when the refresh token is dead', async () => {
    const { conn } = await connect();
    w.emu.deactivateUser(w.userId);
    await expect(conn.query('SELECT Id FROM Account')).rejects.toThrow('Unable to refresh session due to: inactive user');
  });

  it('with rotation, jsforce replays the rotated-out token and the family is revoked (docs/salesforce.md)', async () => {
    w.emu.updateApp(w.clientId, { rotation: true });
    const { conn, refreshed, refreshToken } = await connect();
    w.emu.clock.advance(7200_000);
    await conn.query('SELECT Id FROM Account');
    const rotated = refreshed[0]!.res.refresh_token as string;
    expect(rotated).toBeTruthy();
    expect(conn.refreshToken).toBe(refreshToken); // jsforce does not keep the new one
    w.emu.clock.advance(7200_000);
    await expect(conn.query('SELECT Id FROM Account')).rejects.toThrow('expired access/refresh token');
    expect(w.emu.stats().reuse_detections).toBe(1);
    expect(w.emu.refreshTokenStatus(rotated).status).toBe('revoked');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK, INVALID_GRANT, SECRET, authorize, call, login, postToken, refresh, startWorld, type World } from './helpers.js';

/**
 * The 2026 switches over real HTTP: an app the org has not installed (External Client App
 * wording and Connected App behaviour), a frozen user, and staged consumer secrets — each
 * driven through the control API, as a test of another product would drive it.
 */

let w: World;
afterEach(async () => w?.emu.close());

const APP_NOT_FOUND = { error: 'app_not_found', error_description: 'External client app is not installed in this org' };

async function control(path: string, body?: unknown, method = 'POST') {
  return call(`${w.emu.url}/__emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('an app the org has not installed', () => {
  it('External Client App: refresh answers 400 app_not_found until an admin installs it; the grant then works again', async () => {
    w = await startWorld({ appType: 'external_client_app' });
    const t = await login(w);
    const uninstalled = await control(`/orgs/${w.orgId}/uninstall-app`, { client_id: w.clientId });
    expect(uninstalled).toMatchObject({ status: 200, json: { revoked: 0 } });

    const refused = await refresh(w, t.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual(APP_NOT_FOUND);
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(w.emu.stats().token_errors['app_not_found/External client app is not installed in this org']).toBe(1);

    expect((await control(`/orgs/${w.orgId}/install-app`, { client_id: w.clientId })).status).toBe(204);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('External Client App: authorize redirects with app_not_found after the login, or the reported OAUTH_EC_APP_NOT_FOUND code', async () => {
    w = await startWorld({ appType: 'external_client_app' });
    await control(`/orgs/${w.orgId}/policy`, { client_id: w.clientId, app_installed: false });
    const callback = await authorize(w, { state: 'st-1' });
    expect(Object.fromEntries(callback)).toEqual({ ...APP_NOT_FOUND, state: 'st-1' });

    await control(`/orgs/${w.orgId}/policy`, { client_id: w.clientId, not_installed_authorize_error: 'OAUTH_EC_APP_NOT_FOUND' });
    expect((await authorize(w)).get('error')).toBe('OAUTH_EC_APP_NOT_FOUND');
    expect(w.emu.stats().authorizations).toBe(0);
  });

  it('External Client App: a code issued before the uninstall cannot be exchanged after it', async () => {
    w = await startWorld({ appType: 'external_client_app' });
    const code = (await authorize(w)).get('code')!;
    w.emu.uninstallApp(w.clientId, w.orgId);
    const res = await postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK });
    expect(res).toMatchObject({ status: 400, json: APP_NOT_FOUND });
  });

  it('Connected App: uninstalling removes every token of the org (documented), so refresh says expired access/refresh token', async () => {
    w = await startWorld();
    const t = await login(w);
    const other = w.emu.createUser({ username: 'bob@elsewhere.example', orgId: '00D000000000OTH' });
    const elsewhere = await login(w, { username: other.username });
    expect((await control(`/orgs/${w.orgId}/uninstall-app`, { client_id: w.clientId })).json).toEqual({ revoked: 1 });
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    expect((await refresh(w, elsewhere.refresh_token)).status).toBe(200);
    // Reinstalling does not bring removed tokens back.
    w.emu.installApp(w.clientId, w.orgId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });

  it('the app type is part of the app view and can be changed; bad input is a 400', async () => {
    w = await startWorld();
    expect((await control(`/apps/${w.clientId}`, undefined, 'GET')).json.app_type).toBe('connected_app');
    expect((await control(`/apps/${w.clientId}`, { app_type: 'external_client_app' }, 'PATCH')).json.app_type).toBe('external_client_app');
    expect((await control(`/apps/${w.clientId}`, { app_type: 'lightning_app' }, 'PATCH')).status).toBe(400);
    expect((await control(`/orgs/${w.orgId}/policy`, { app_installed: 'no' })).status).toBe(400);
    expect((await control(`/orgs/${w.orgId}/uninstall-app`, {})).status).toBe(400);
    expect((await control('/orgs/00D000000000NOP/uninstall-app', { client_id: w.clientId })).status).toBe(404);
  });
});

describe('a frozen user (unconfirmed: default refused as inactive)', () => {
  it('refresh answers invalid_grant / inactive user while frozen, and works again once unfrozen', async () => {
    w = await startWorld();
    const t = await login(w);
    expect((await control(`/users/${w.userId}/freeze`)).status).toBe(204);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('inactive user'));
    expect((await control(`/users/${w.userId}/unfreeze`)).status).toBe(204);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });
});

describe('staged consumer secrets', () => {
  it('while a secret is staged both work; applying it retires the old one at once', async () => {
    w = await startWorld();
    const t = await login(w);
    const staged = await control(`/apps/${w.clientId}/staged-secret`, { client_secret: 'consumer-secret-2' });
    expect(staged.status).toBe(200);
    expect(staged.json).toMatchObject({ staged_secret: true, staged_secret_accepted: true });
    expect(JSON.stringify(staged.json)).not.toContain('consumer-secret-2');

    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    const withNew = await refresh(w, t.refresh_token, { client_secret: 'consumer-secret-2' });
    expect(withNew.status).toBe(200);

    expect((await control(`/apps/${w.clientId}/staged-secret/apply`)).json).toMatchObject({ staged_secret: false });
    expect((await refresh(w, t.refresh_token)).json).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
    expect((await refresh(w, t.refresh_token, { client_secret: 'consumer-secret-2' })).status).toBe(200);
  });

  it('a response obtained with the staged secret is signed with it', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.stageClientSecret(w.clientId, 'consumer-secret-2');
    const res = (await refresh(w, t.refresh_token, { client_secret: 'consumer-secret-2' })).json;
    const { createHmac } = await import('node:crypto');
    expect(res.signature).toBe(createHmac('sha256', 'consumer-secret-2').update(res.id + res.issued_at).digest('base64'));
  });

  it('stagedSecretAccepted: false — the staged secret works only once applied; discarding it changes nothing', async () => {
    w = await startWorld({ stagedSecretAccepted: false });
    const t = await login(w);
    w.emu.stageClientSecret(w.clientId, 'consumer-secret-2');
    expect((await refresh(w, t.refresh_token, { client_secret: 'consumer-secret-2' })).json.error).toBe('invalid_client');
    expect((await control(`/apps/${w.clientId}/staged-secret`, undefined, 'DELETE')).json.staged_secret).toBe(false);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    expect((await control(`/apps/${w.clientId}/staged-secret/apply`)).status).toBe(400);
    expect((await control(`/apps/${w.clientId}/staged-secret`, { client_secret: '' })).status).toBe(400);
  });
});

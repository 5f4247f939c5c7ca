import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorize, call, CALLBACK, form, login, refresh, restCall, SECRET, startWorld, type World } from './helpers.js';

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => w.emu.close());

const revoke = (token: string, init: RequestInit = {}) =>
  call(`${w.emu.url}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token }), ...init });

describe('revoke (docs/salesforce.md)', () => {
  it('a refresh token takes its access tokens with it; 200 with an empty body', async () => {
    const t = await login(w);
    const res = await revoke(t.refresh_token);
    expect(res).toMatchObject({ status: 200, text: '' });
    expect((await refresh(w, t.refresh_token)).json).toEqual({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    expect((await restCall(w, t.access_token)).status).toBe(401);
    expect(w.emu.stats().revocations).toBe(1);
  });

  it('an access token only kills itself', async () => {
    const t = await login(w);
    expect((await revoke(t.access_token)).status).toBe(200);
    expect((await restCall(w, t.access_token)).status).toBe(401);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('unknown or already revoked: 400 invalid_token (JSON, or form when switched)', async () => {
    const t = await login(w);
    await revoke(t.refresh_token);
    expect(await revoke(t.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_token', error_description: 'Token was invalid' } });
    expect((await revoke('nonsense')).json).toEqual({ error: 'invalid_token', error_description: 'Token was invalid' });
    w.emu.updateApp(w.clientId, { revokeErrorFormat: 'form' });
    const formErr = await revoke(t.refresh_token);
    expect(formErr.status).toBe(400);
    expect(formErr.text).toBe('error=invalid_token&error_description=Token+was+invalid');
  });

  it('GET ?token= works, and callback= answers JSONP', async () => {
    const t = await login(w);
    expect((await call(`${w.emu.url}/services/oauth2/revoke?token=${encodeURIComponent(t.access_token)}`)).status).toBe(200);
    const jsonp = await call(`${w.emu.url}/services/oauth2/revoke?token=bogus&callback=done`);
    expect(jsonp.text).toBe('done({"error":"invalid_token"});');
  });
});

describe('introspect (docs/salesforce.md)', () => {
  const introspect = (params: Record<string, string>) =>
    call(`${w.emu.url}/services/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ client_id: w.clientId, client_secret: SECRET, ...params }) });

  it('an access token: active with exp = lastActivity + timeout, in seconds', async () => {
    const t = await login(w);
    const res = await introspect({ token: t.access_token, token_type_hint: 'access_token' });
    const now = Math.floor(w.emu.clock.now() / 1000);
    expect(res.json).toEqual({
      active: true,
      scope: 'api refresh_token web id',
      client_id: w.clientId,
      username: w.username,
      sub: t.id,
      token_type: 'access_token',
      exp: now + 7200,
      iat: now,
      nbf: now,
    });
  });

  it('a refresh token: active; exp only when the policy gives one', async () => {
    const t = await login(w);
    const res = await introspect({ token: t.refresh_token, token_type_hint: 'refresh_token' });
    expect(res.json).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect(res.json.exp).toBeUndefined();
    w.emu.updateApp(w.clientId, { refreshTokenPolicy: { idle_s: 600 } });
    expect((await introspect({ token: t.refresh_token })).json.exp).toBe(Math.floor(w.emu.clock.now() / 1000) + 600);
  });

  it('dead, unknown or foreign tokens are {"active":false}; introspectAll sees other apps', async () => {
    const t = await login(w);
    w.emu.createApp({ clientId: 'spy', clientSecret: 'spy-secret' });
    const asSpy = (token: string) =>
      call(`${w.emu.url}/services/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token, client_id: 'spy', client_secret: 'spy-secret' }) });
    expect((await asSpy(t.access_token)).json).toEqual({ active: false });
    w.emu.updateApp('spy', { introspectAll: true });
    expect((await asSpy(t.access_token)).json.active).toBe(true);
    w.emu.clock.advance(7200_000);
    expect((await introspect({ token: t.access_token })).json).toEqual({ active: false });
    expect((await introspect({ token: 'nope' })).json).toEqual({ active: false });
  });

  it('does not extend the session', async () => {
    const t = await login(w);
    w.emu.clock.advance(3700_000);
    await introspect({ token: t.access_token });
    w.emu.clock.advance(3600_000);
    expect((await restCall(w, t.access_token)).status).toBe(401);
  });

  it('bad client credentials: 401 invalid_client', async () => {
    const res = await call(`${w.emu.url}/services/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: 'x', client_id: w.clientId, client_secret: 'wrong' }) });
    expect(res).toMatchObject({ status: 401, json: { error: 'invalid_client', error_description: 'invalid client credentials' } });
  });
});

describe('identity and userinfo (docs/salesforce.md)', () => {
  it('the id URL answers the identity document; ids parse from the last two segments', async () => {
    const t = await login(w);
    const res = await call(t.id, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: t.id, user_id: w.userId, organization_id: w.orgId, username: w.username, active: true });
    expect(res.json.urls.rest).toBe(`${w.emu.url}/services/data/v{version}/`);
    const versioned = await call(`${t.id}?version=62.0`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(versioned.json.urls.rest).toBe(`${w.emu.url}/services/data/v62.0/`);
    const [org, user] = new URL(t.id).pathname.split('/').slice(-2);
    expect([org, user]).toEqual([w.orgId, w.userId]);
  });

  it('a bad token is 403 plain text Bad_OAuth_Token; another user is Bad_Id', async () => {
    const t = await login(w);
    const bad = await call(t.id, { headers: { authorization: 'Bearer nope' } });
    expect(bad).toMatchObject({ status: 403, text: 'Bad_OAuth_Token' });
    expect(bad.headers.get('content-type')).toContain('text/plain');
    const other = w.emu.createUser({ username: 'zed@example.com' });
    const wrong = await call(`${w.emu.url}/id/${other.org_id}/${other.user_id}`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(wrong).toMatchObject({ status: 403, text: 'Bad_Id' });
  });

  it('userinfo answers OIDC claims, or 403 Bad_OAuth_Token', async () => {
    const t = await login(w);
    const res = await call(`${w.emu.url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(res.json).toMatchObject({ sub: t.id, user_id: w.userId, organization_id: w.orgId, preferred_username: w.username, email: w.username });
    const viaQuery = await call(`${w.emu.url}/services/oauth2/userinfo?oauth_token=${encodeURIComponent(t.access_token)}`);
    expect(viaQuery.status).toBe(200);
    expect(await call(`${w.emu.url}/services/oauth2/userinfo`)).toMatchObject({ status: 403, text: 'Bad_OAuth_Token' });
  });

  it('discovery and JWKS; openid scope gives an RS256 id_token', async () => {
    const disc = await call(`${w.emu.url}/.well-known/openid-configuration`);
    expect(disc.json).toMatchObject({ issuer: w.emu.url, token_endpoint: `${w.emu.url}/services/oauth2/token`, id_token_signing_alg_values_supported: ['RS256'] });
    const t = await login(w, { scope: 'openid api refresh_token' });
    const [header, payload] = t.id_token!.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString() || '{}'));
    expect(header.alg).toBe('RS256');
    expect(payload).toMatchObject({ aud: w.clientId, iss: w.emu.url, sub: t.id });
    const jwks = await call(`${w.emu.url}/id/keys`);
    expect(jwks.json.keys[0].kid).toBe(header.kid);
    expect(Object.keys(t).indexOf('id_token')).toBe(Object.keys(t).indexOf('scope') + 1);
  });
});

describe('REST stub (docs/salesforce.md)', () => {
  it('limits and query work with a live token and carry Sforce-Limit-Info', async () => {
    const t = await login(w);
    const limits = await restCall(w, t.access_token);
    expect(limits.json.DailyApiRequests.Max).toBe(15000);
    expect(limits.headers.get('sforce-limit-info')).toBe('api-usage=1/15000');
    const q = await restCall(w, t.access_token, `/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id, Name FROM Account LIMIT 2')}`);
    expect(q.json).toMatchObject({ totalSize: 2, done: true });
    expect(Object.keys(q.json.records[0])).toEqual(['attributes', 'Id', 'Name']);
    const me = await restCall(w, t.access_token, `/services/data/v62.0/query?q=${encodeURIComponent('SELECT Username FROM User')}`);
    expect(me.json.records[0].Username).toBe(w.username);
  });

  it('a dead token: 401 INVALID_SESSION_ID JSON array, no WWW-Authenticate; OAuth scheme accepted', async () => {
    const res = await restCall(w, 'nope');
    expect(res.status).toBe(401);
    expect(res.text).toBe('[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]');
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(res.headers.get('www-authenticate')).toBeNull();
    const t = await login(w);
    expect((await call(`${w.emu.url}/services/data/v62.0/limits`, { headers: { authorization: `OAuth ${t.access_token}` } })).status).toBe(200);
    expect((await call(`${w.emu.url}/services/data/v62.0/limits`)).json[0].errorCode).toBe('INVALID_AUTH_HEADER');
  });

  it('a token without api scope gets the 401 that must not trigger a refresh loop', async () => {
    const t = await login(w, { scope: 'id refresh_token' });
    expect((await restCall(w, t.access_token)).json).toEqual([{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('the daily API limit answers 403 REQUEST_LIMIT_EXCEEDED', async () => {
    const t = await login(w);
    w.emu.updateSettings({ apiDailyLimit: 1 });
    expect((await restCall(w, t.access_token)).status).toBe(200);
    expect(await restCall(w, t.access_token)).toMatchObject({ status: 403, json: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
  });
});

describe('authorize errors (docs/salesforce.md)', () => {
  const get = (params: Record<string, string>) => call(`${w.emu.url}/services/oauth2/authorize?${new URLSearchParams(params)}`);

  it('unknown client and bad redirect_uri are error pages, not redirects', async () => {
    const unknown = await get({ response_type: 'code', client_id: 'nope', redirect_uri: CALLBACK });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('error=invalid_client_id&amp;error_description=client%20identifier%20invalid');
    const mismatch = await get({ response_type: 'code', client_id: w.clientId, redirect_uri: 'http://evil.example/cb' });
    expect(mismatch.text).toContain('error=redirect_uri_mismatch&amp;error_description=redirect_uri%20must%20match%20configuration');
    const missing = await get({ response_type: 'code', client_id: w.clientId });
    expect(missing.text).toContain('error=redirect_uri_missing');
  });

  it('other errors redirect with error, error_description and state', async () => {
    const bad = await get({ response_type: 'token', client_id: w.clientId, redirect_uri: CALLBACK, state: 's1' });
    const location = new URL(bad.headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'unsupported_response_type', error_description: 'response type not supported', state: 's1' });
    const scope = await authorize(w, { scope: 'api nonsense', state: 's2' });
    expect(Object.fromEntries(scope)).toEqual({ error: 'invalid_scope', error_description: 'requested scope is invalid, unknown, or malformed', state: 's2' });
  });

  it('requirePkce without a challenge: missing required code challenge', async () => {
    w.emu.updateApp(w.clientId, { requirePkce: true });
    const res = await authorize(w);
    expect(res.get('error_description')).toBe('missing required code challenge');
  });

  it('per-request deny, inactive user and immediate=true', async () => {
    const denied = await call(`${w.emu.url}/services/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: w.clientId, redirect_uri: CALLBACK, state: 'x' })}`, { headers: { 'x-emulator-auto-approve': 'deny' } });
    expect(new URL(denied.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
    w.emu.deactivateUser(w.userId);
    expect((await authorize(w)).get('error')).toBe('inactive_user');
    const immediate = await get({ response_type: 'code', client_id: w.clientId, redirect_uri: CALLBACK, immediate: 'true' });
    expect(new URL(immediate.headers.get('location')!).searchParams.get('error')).toBe('immediate_unsuccessful');
  });

  it('without auto-approve the login page is shown', async () => {
    const page = await get({ response_type: 'code', client_id: w.clientId, redirect_uri: CALLBACK, login_hint: w.username });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<button type="submit" id="allow"');
  });
});

describe('control API', () => {
  it('creates users with 18-character ids and reads approvals and the current refresh token', async () => {
    const created = await call(`${w.emu.url}/__emulator/users`, { method: 'POST', body: JSON.stringify({ username: 'cat@example.com', org_id: w.orgId }) });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ username: 'cat@example.com', org_id: w.orgId });
    expect(created.json.user_id).toMatch(/^005[0-9A-Za-z]{12}[0-9A-Z]{3}$/);
    const t = await login(w);
    const approvals = await call(`${w.emu.url}/__emulator/users/${w.userId}/approvals`);
    expect(approvals.json).toHaveLength(1);
    expect(approvals.json[0]).toMatchObject({ client_id: w.clientId, refresh_token: t.refresh_token, revoked: false });
    const status = await call(`${w.emu.url}/__emulator/refresh-tokens/lookup`, { method: 'POST', body: JSON.stringify({ refresh_token: t.refresh_token }) });
    expect(status.json).toEqual({ status: 'current', approval_id: approvals.json[0].approval_id, current_refresh_token: t.refresh_token });
  });

  it('drives the pinned switches over HTTP', async () => {
    const post = (path: string, body: unknown = {}) => call(`${w.emu.url}/__emulator${path}`, { method: 'POST', body: JSON.stringify(body) });
    const app = await post('/apps', { client_id: 'pinned', client_secret: 'p', callback_urls: [CALLBACK], rotation: true, refresh_token_policy: { idle_s: 60 }, session_timeout_s: 900 });
    expect(app.status).toBe(201);
    expect(app.json.policy).toMatchObject({ rotation: true, refresh_token_policy: { idle_s: 60 }, session_timeout_s: 900 });
    expect((await post(`/users/${w.userId}/password-change`)).status).toBe(204);
    expect((await post(`/users/${w.userId}/deactivate`)).status).toBe(204);
    expect((await post(`/users/${w.userId}/reactivate`)).status).toBe(204);
    expect((await post(`/orgs/${w.orgId}/lock`)).status).toBe(204);
    expect((await post(`/orgs/${w.orgId}/unlock`)).status).toBe(204);
    expect((await post('/clock', { advance_ms: 1000 })).json.now).toBe(Date.UTC(2026, 0, 1) + 1000);
    expect((await post('/faults', { status: 503, count: 1 })).status).toBe(201);
    expect((await post('/latency', { latency_ms: 0 })).status).toBe(204);
    expect((await post('/rate-limit', { max_per_s: 100, style: '429' })).status).toBe(204);
    expect((await post('/refresh-hold', { hold_ms: 0 })).status).toBe(204);
    const stats = await call(`${w.emu.url}/__emulator/stats`);
    for (const key of ['token_requests', 'refreshes', 'reuse_detections', 'revocations', 'peak_refreshes_per_s']) expect(typeof stats.json[key]).toBe('number');
  });

  it('the request log shows what clients sent, without secrets', async () => {
    const t = await login(w);
    const basic = Buffer.from(`${w.clientId}:${SECRET}`).toString('base64');
    await call(`${w.emu.url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` }, body: form({ grant_type: 'refresh_token', refresh_token: 'stale' }) });
    const log = (await call(`${w.emu.url}/__emulator/requests?endpoint=token`)).json;
    expect(log).toEqual([
      { at: w.emu.clock.now(), endpoint: 'token', method: 'POST', path: '/services/oauth2/token', status: 200, grant_type: 'authorization_code', client_id: w.clientId, client_auth: 'body', fields: ['client_id', 'client_secret', 'code', 'grant_type', 'redirect_uri'], source_ip: '127.0.0.1' },
      { at: w.emu.clock.now(), endpoint: 'token', method: 'POST', path: '/services/oauth2/token', status: 400, grant_type: 'refresh_token', client_id: w.clientId, client_auth: 'basic', fields: ['grant_type', 'refresh_token'], error: 'invalid_grant/expired access/refresh token', source_ip: '127.0.0.1' },
    ]);
    expect(JSON.stringify(w.emu.requestLog())).not.toContain(t.access_token);
    expect(JSON.stringify(w.emu.requestLog())).not.toContain(SECRET);
  });

  it('an org can move to another instance_url (org migration)', async () => {
    const t = await login(w);
    const moved = await call(`${w.emu.url}/__emulator/orgs/${w.orgId}`, { method: 'PATCH', body: JSON.stringify({ instance_url: 'https://moved.my.salesforce.com/' }) });
    // Kept as given, trailing slash included: older Salesforce answers had one (docs/salesforce.md).
    expect(moved.json.instance_url).toBe('https://moved.my.salesforce.com/');
    expect((await refresh(w, t.refresh_token)).json.instance_url).toBe('https://moved.my.salesforce.com/');
  });

  it('bad input is 400, unknown ids 404, never 500', async () => {
    const post = (path: string, body: string) => call(`${w.emu.url}/__emulator${path}`, { method: 'POST', body });
    expect((await post('/apps', '{"client_id": 5}')).status).toBe(400);
    expect((await post('/apps', 'not json')).status).toBe(400);
    expect((await post('/apps', '{"refresh_token_policy": "sometimes"}')).status).toBe(400);
    expect((await post('/users', '{}')).status).toBe(400);
    expect((await post('/users/005000000000000AAA/deactivate', '')).status).toBe(404);
    expect((await post('/faults', '{"mode": "explode"}')).status).toBe(400);
    expect((await post('/clock', '{"advance_ms": "soon"}')).status).toBe(400);
    expect((await call(`${w.emu.url}/nowhere`)).status).toBe(404);
  });

  it('reset forgets everything except the seed', async () => {
    await w.emu.close();
    w = { ...w, emu: await (await import('../src/index.js')).startSalesforceEmulator({ seed: { apps: [{ client_id: 'seeded', callback_urls: [CALLBACK] }], users: [{ username: 'seed@example.com' }] } }) };
    w.emu.createUser({ username: 'temp@example.com' });
    expect(w.emu.listUsers()).toHaveLength(2);
    const res = await call(`${w.emu.url}/__emulator/reset`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(w.emu.listUsers().map((u) => u.username)).toEqual(['seed@example.com']);
    expect(w.emu.getApp('seeded')).toBeDefined();
  });
});

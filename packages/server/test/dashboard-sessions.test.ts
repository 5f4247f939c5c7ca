// Dashboard sessions are bound to the key that made them: they end when it is revoked,
// removed from GRANTKEEPER_SECRET_KEY or reset; a logout (with or without the page's CSRF
// token) ends the session for good, across restarts. Servers are restarted on the same
// database and keys, on both backends; the reset runs on a real embedded data directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { resetEmbeddedApiKey } from '../src/keys/reset-api-key.js';
import { startServer, type RunningServer } from '../src/server.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { startTestServer, testEncryptionKeys, type TestServer } from './helpers/server.js';

async function login(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  expect(res.status).toBe(204);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** What the session opens: 200 while alive, 401 once it ended. */
async function sessionStatus(url: string, cookie: string): Promise<number> {
  return (await fetch(`${url}/v1/stats/connections`, { headers: { cookie } })).status;
}

async function pageRedirect(url: string, cookie: string): Promise<string | null> {
  const res = await fetch(`${url}/ui/connections`, { headers: { cookie }, redirect: 'manual' });
  return res.status === 303 ? res.headers.get('location') : null;
}

describe.each(BACKENDS)('dashboard sessions on %s', (backend) => {
  const keys = { one: `gk_sk_session_one_${'1'.repeat(20)}`, two: `gk_sk_session_two_${'2'.repeat(20)}` };
  const encryption = testEncryptionKeys();
  let database: TestDatabase;
  let server: TestServer | null = null;
  const start = async (secretKey: string) => {
    database ??= await createTestDatabase(backend);
    server = await startTestServer(backend, { GRANTKEEPER_SECRET_KEY: secretKey, GRANTKEEPER_ENCRYPTION_KEYS: encryption }, { database, logName: 'sessions' });
    return server;
  };
  const restart = async (secretKey: string) => {
    await server?.stop();
    return start(secretKey);
  };
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  test('a logout without the page\'s CSRF token still ends the session it carries, and stays ended after a restart', async () => {
    const s = await start(`${keys.one},${keys.two}`);
    const loggedOut = await login(s.url, keys.one);
    const kept = await login(s.url, keys.one);
    expect(await sessionStatus(s.url, loggedOut)).toBe(200);
    const logout = await fetch(`${s.url}/ui/logout`, { method: 'POST', headers: { cookie: loggedOut, 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(/gk_session=;.*Max-Age=0/);
    expect(await sessionStatus(s.url, loggedOut)).toBe(401);
    expect(await pageRedirect(s.url, loggedOut)).toBe('/ui/login');
    expect(await sessionStatus(s.url, kept)).toBe(200);

    const again = await restart(`${keys.one},${keys.two}`);
    // The other session of the same key survives the restart: what ended the first is its logout.
    expect(await sessionStatus(again.url, kept)).toBe(200);
    expect(await sessionStatus(again.url, loggedOut)).toBe(401);
    expect(await pageRedirect(again.url, loggedOut)).toBe('/ui/login');
  });

  test('removing a key from GRANTKEEPER_SECRET_KEY (a restart with another value) ends its sessions only', async () => {
    const s = server ?? (await start(`${keys.one},${keys.two}`));
    const withOne = await login(s.url, keys.one);
    const withTwo = await login(s.url, keys.two);
    const after = await restart(keys.two);
    expect(await sessionStatus(after.url, withOne)).toBe(401);
    expect(await pageRedirect(after.url, withOne)).toBe('/ui/login');
    expect(await sessionStatus(after.url, withTwo)).toBe(200);
  });

  test('revoking a key ends every session it made, at once', async () => {
    const s = server ?? (await start(keys.two));
    const created = await fetch(`${s.url}/v1/api-keys`, {
      method: 'POST', headers: { authorization: `Bearer ${keys.two}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ops', scopes: ['connections:write'] }),
    }).then((r) => r.json() as Promise<{ id: string; secret: string }>);
    const first = await login(s.url, created.secret);
    const second = await login(s.url, created.secret);
    const other = await login(s.url, keys.two);
    expect(await sessionStatus(s.url, first)).toBe(200);
    const revoked = await fetch(`${s.url}/v1/api-keys/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${keys.two}` } });
    expect(revoked.status).toBe(204);
    expect(await sessionStatus(s.url, first)).toBe(401);
    expect(await sessionStatus(s.url, second)).toBe(401);
    expect(await sessionStatus(s.url, other)).toBe(200);
  });
});

describe('`grantkeeper keys reset-api-key` on an embedded data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gk-sessions-reset-'));
  let server: RunningServer | null = null;
  const start = async () => {
    server = await startServer({ config: loadConfig({ GRANTKEEPER_PORT: '0', GRANTKEEPER_DATA_DIR: dataDir, GRANTKEEPER_LOG_LEVEL: 'silent', GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000' }) });
    return server;
  };
  afterAll(async () => {
    await server?.close();
  });

  test('ends the sessions of the generated key, not those of keys made through the API', async () => {
    const { key: generated } = await resetEmbeddedApiKey(dataDir);
    let s = await start();
    const made = await fetch(`${s.url}/v1/api-keys`, {
      method: 'POST', headers: { authorization: `Bearer ${generated}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kept', scopes: ['connections:read'] }),
    }).then((r) => r.json() as Promise<{ secret: string }>);
    const withGenerated = await login(s.url, generated);
    const withMade = await login(s.url, made.secret);
    await s.close();
    server = null;

    const { key: fresh, revoked } = await resetEmbeddedApiKey(dataDir);
    expect(revoked).toBe(1);
    s = await start();
    expect(await sessionStatus(s.url, withGenerated)).toBe(401);
    expect(await pageRedirect(s.url, withGenerated)).toBe('/ui/login');
    expect(await sessionStatus(s.url, withMade)).toBe(200);
    expect((await fetch(`${s.url}/v1/providers`, { headers: { authorization: `Bearer ${generated}` } })).status).toBe(401);
    expect((await fetch(`${s.url}/v1/providers`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/providers`, { headers: { authorization: `Bearer ${made.secret}` } })).status).toBe(200);
  });
});

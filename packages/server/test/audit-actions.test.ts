// The audit log records every action with who did it (actor), to what (target), from where
// (the client's address as the server saw it) and how often — in the transaction of the
// change — and no audit row, listing or export ever holds a secret. On both databases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent } from '../src/api/audit-schemas.js';
import { Keyring } from '../src/crypto/keyring.js';
import { withOfflineDatabase } from '../src/db/offline-database.js';
import { rotateOffline } from '../src/keys/rotate.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { BACKENDS, createPostgresDatabase } from './helpers/databases.js';
import { requestFrom } from './helpers/from-address.js';
import { testEncryptionKeys } from './helpers/server.js';
import { environmentKeyId } from '../src/auth/environment-keys.js';

/** Tokens the emulator issues (access: org id, `!`, 112 characters; refresh: `5Aep861` and 80). */
const ISSUED_TOKEN = /00D[A-Za-z0-9]{12}![A-Za-z0-9._]{100,}|5Aep861[A-Za-z0-9._]{70,}/;
const SECRET_SHAPES = [ISSUED_TOKEN, /gk_sk_/, /whsec_/, /ct_[A-Za-z0-9_-]{20,}/];
const RETURN_URL = 'https://app.example/connected';
const SYSTEM = { type: 'system', id: null, name: 'grantkeeper' };
/** The environment key of a test server, and its dashboard sessions, as the audit log names them. */
const envKey = (secret: string) => ({ type: 'api_key', id: environmentKeyId(secret), name: 'GRANTKEEPER_SECRET_KEY' });
const envSession = (secret: string) => ({ ...envKey(secret), type: 'dashboard' });

describe.each(BACKENDS)('audit log actions on %s', (backend) => {
  let rig: ConnectRig;
  /** Every secret the test saw: none may appear in the audit log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    // Counted reads are flushed by the test (runNow), never by the clock.
    rig = await startConnectRig(backend, { logName: 'audit-actions', env: { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' } });
    secrets.push(rig.clientSecret, rig.server.key, rig.server.ctx.config.encryptionKeys.split(':')[1]!);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const api = (method: string, path: string, body?: unknown) => rig.server.api(method, path, body);
  const bearer = () => ({ authorization: `Bearer ${rig.server.key}` });

  /** The whole log through the API, following cursors. */
  async function auditLog(): Promise<AuditEvent[]> {
    const all: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/v1/audit-events?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return all;
  }

  /** The one row of an action on a target (and, when given, by an actor type); fails if not exactly one. */
  function only(rows: AuditEvent[], action: string, targetId: string | null, actorType?: string): AuditEvent {
    const found = rows.filter((r) => r.action === action && (r.target?.id ?? null) === targetId && (actorType === undefined || r.actor.type === actorType));
    expect(found, `${action} on ${targetId} by ${actorType ?? 'anyone'}: ${JSON.stringify(rows.filter((r) => r.action === action))}`).toHaveLength(1);
    return found[0]!;
  }

  test('each action writes its row with its actor, target, address and count; nothing holds a secret', async () => {
    const user = rig.user();
    const grant = await rig.importGrant(user.username, 'customer-1');
    secrets.push(grant.refreshToken);
    // A refused import changes nothing, and records nothing.
    const duplicate = await api('POST', '/v1/connections', { integration: rig.integrationKey, end_user: { id: 'dup' }, credentials: { refresh_token: grant.refreshToken } });
    expect(duplicate.status).toBe(409);

    for (let i = 0; i < 3; i++) {
      const token = await api('GET', `/v1/connections/${grant.id}/token`);
      expect(token.status).toBe(200);
      secrets.push(token.body.access_token);
    }
    // An operator's refresh, from another address.
    const forced = await requestFrom('127.0.0.2', `${rig.server.url}/v1/connections/${grant.id}/refresh`, { method: 'POST', headers: bearer() });
    expect(forced.status, forced.text).toBe(200);
    secrets.push(JSON.parse(forced.text).access_token);
    expect((await api('PATCH', `/v1/connections/${grant.id}`, { metadata: { plan: 'gold' } })).status).toBe(200);

    // The connect flow: a new connection, then the imported one re-authorized in place.
    const newSession = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'customer-2' }, return_url: RETURN_URL });
    expect(newSession.status).toBe(201);
    secrets.push(newSession.body.token);
    const created = await walkFlow(newSession.body.url, rig.user().username);
    expect(created.location?.searchParams.get('status')).toBe('success');
    const createdId = created.location!.searchParams.get('connection_id')!;
    const again = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'customer-1' }, connection_id: grant.id, return_url: RETURN_URL });
    expect(again.status).toBe(201);
    secrets.push(again.body.token);
    const reconnected = await walkFlow(again.body.url, user.username);
    expect(reconnected.location?.searchParams.get('connection_id')).toBe(grant.id);
    // A signed reconnect link, opened from another address: a session made by Grantkeeper itself.
    const link = await api('POST', `/v1/connections/${grant.id}/reconnect-link`);
    expect(link.status).toBe(200);
    secrets.push(new URL(link.body.url).searchParams.get('sig')!);
    const startPage = await requestFrom('127.0.0.2', link.body.url);
    expect(startPage.status).toBe(200);
    secrets.push(...(startPage.text.match(/ct_[A-Za-z0-9_-]{20,}/g) ?? []));

    // Webhook endpoints.
    const endpoint = await api('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example/audit' });
    expect(endpoint.status).toBe(201);
    secrets.push(endpoint.body.secret);
    expect((await api('PATCH', `/v1/webhook-endpoints/${endpoint.body.id}`, { enabled: false, events: ['connection.deleted'] })).status).toBe(200);
    const rotated = await api('POST', `/v1/webhook-endpoints/${endpoint.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.secret);
    expect((await api('DELETE', `/v1/webhook-endpoints/${endpoint.body.id}`)).status).toBe(204);

    // A second integration: changed (a new client secret), given a connection, deleted with it.
    const secondSecret = `second-secret-${Date.now()}`;
    const newSecret = `rotated-secret-${Date.now()}`;
    secrets.push(secondSecret, newSecret);
    const second = await api('POST', '/v1/integrations', { key: 'audit-second', provider: 'salesforce', client_id: '3MVG9second', client_secret: secondSecret, auth_base_url: rig.emu.url });
    expect(second.status).toBe(201);
    expect((await api('PATCH', '/v1/integrations/audit-second', { client_secret: newSecret, refresh: { margin_s: 600 } })).status).toBe(200);
    const secondToken = `second-refresh-token-${Date.now()}`;
    secrets.push(secondToken);
    const secondGrant = await api('POST', '/v1/connections', { integration: 'audit-second', end_user: { id: 'customer-3' }, credentials: { refresh_token: secondToken } });
    expect(secondGrant.status).toBe(201);
    expect((await api('DELETE', '/v1/integrations/audit-second?force=true')).status).toBe(204);
    expect((await api('DELETE', `/v1/connections/${createdId}`)).status).toBe(204);

    // Key rotation through the server.
    const rotation = await api('POST', '/v1/admin/keys/rotate');
    expect(rotation.status).toBe(200);
    expect(String(rotation.body)).toContain('"result"');

    // The dashboard: a wrong key, a login, a forced refresh from its page, a logout — from 127.0.0.2.
    const json = { 'content-type': 'application/json' };
    const wrong = await requestFrom('127.0.0.2', `${rig.server.url}/ui/session`, { method: 'POST', headers: json, body: JSON.stringify({ key: 'gk_sk_not_the_key_0000000000' }) });
    expect(wrong.status).toBe(401);
    const login = await requestFrom('127.0.0.2', `${rig.server.url}/ui/session`, { method: 'POST', headers: json, body: JSON.stringify({ key: rig.server.key }) });
    expect(login.status).toBe(204);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    secrets.push(cookie.split('=')[1]!);
    const overview = await requestFrom('127.0.0.2', `${rig.server.url}/ui`, { headers: { cookie } });
    const csrf = /name="gk-csrf" content="([^"]+)"/.exec(overview.text)![1]!;
    const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    const uiRefresh = await requestFrom('127.0.0.2', `${rig.server.url}/ui/connections/${grant.id}/refresh`, { method: 'POST', headers: form, body: `_csrf=${encodeURIComponent(csrf)}` });
    expect(uiRefresh.headers.location).toContain('notice=refresh_ok');
    const logout = await requestFrom('127.0.0.2', `${rig.server.url}/ui/logout`, { method: 'POST', headers: form, body: `_csrf=${encodeURIComponent(csrf)}` });
    expect(logout.status).toBe(303);

    // The counted reads become a row when the flusher runs.
    expect(await rig.server.services.audit.worker.runNow()).toBeGreaterThanOrEqual(1);
    const rows = await auditLog();

    const fromHere = { ip: '127.0.0.1', count: 1 };
    expect(only(rows, 'integration.created', rig.integrationKey)).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    expect(only(rows, 'connection.imported', grant.id)).toMatchObject({ actor: envKey(rig.server.key), target: { type: 'connection' }, ...fromHere });
    expect(only(rows, 'token.read', grant.id)).toMatchObject({ actor: envKey(rig.server.key), ip: '127.0.0.1', count: 3 });
    expect(only(rows, 'token.refresh', grant.id, 'api_key')).toMatchObject({ actor: envKey(rig.server.key), ip: '127.0.0.2', count: 1 });
    expect(only(rows, 'token.refresh', grant.id, 'dashboard')).toMatchObject({ actor: envSession(rig.server.key), ip: '127.0.0.2', count: 1 });
    expect(only(rows, 'connection.updated', grant.id, 'api_key')).toMatchObject({ actor: envKey(rig.server.key), detail: { fields: ['metadata'] }, ...fromHere });
    expect(only(rows, 'connect_session.created', rig.integrationKey)).toMatchObject({ actor: envKey(rig.server.key), target: { type: 'integration' }, ...fromHere });
    expect(only(rows, 'connect_session.created', grant.id, 'api_key')).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    expect(only(rows, 'connect_session.created', grant.id, 'system')).toMatchObject({ actor: SYSTEM, ip: '127.0.0.2' });
    expect(only(rows, 'connection.created', createdId)).toMatchObject({ actor: SYSTEM, ...fromHere });
    expect(only(rows, 'connection.updated', grant.id, 'system')).toMatchObject({ actor: SYSTEM, detail: { fields: ['grant'] }, ...fromHere });
    for (const action of ['created', 'secret_rotated', 'deleted']) {
      expect(only(rows, `webhook_endpoint.${action}`, endpoint.body.id)).toMatchObject({ actor: envKey(rig.server.key), target: { type: 'webhook_endpoint' }, ...fromHere });
    }
    expect(only(rows, 'webhook_endpoint.updated', endpoint.body.id)).toMatchObject({ detail: { fields: ['enabled', 'events'] } });
    expect(only(rows, 'integration.created', 'audit-second')).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    expect(only(rows, 'integration.updated', 'audit-second')).toMatchObject({ detail: { fields: ['client_secret', 'refresh'] }, ...fromHere });
    expect(only(rows, 'connection.imported', secondGrant.body.id)).toMatchObject({ actor: envKey(rig.server.key) });
    expect(only(rows, 'connection.deleted', secondGrant.body.id)).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    expect(only(rows, 'integration.deleted', 'audit-second')).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    expect(only(rows, 'connection.deleted', createdId)).toMatchObject({ actor: envKey(rig.server.key), ...fromHere });
    const rotatedRow = only(rows, 'keys.rotated', 'test1');
    expect(rotatedRow).toMatchObject({ actor: envKey(rig.server.key), target: { type: 'encryption_key' }, ...fromHere });
    expect(rotatedRow.detail?.rows).toBeGreaterThan(0);
    expect(only(rows, 'dashboard.login_failed', null)).toMatchObject({ actor: { type: 'dashboard', id: null, name: null }, ip: '127.0.0.2' });
    expect(only(rows, 'dashboard.login', null)).toMatchObject({ actor: envSession(rig.server.key), ip: '127.0.0.2' });
    expect(only(rows, 'dashboard.logout', null)).toMatchObject({ actor: envSession(rig.server.key), ip: '127.0.0.2' });
    // The refused duplicate import recorded nothing; nothing else was recorded either.
    expect(rows.filter((r) => r.action === 'connection.imported')).toHaveLength(2);
    expect(rows).toHaveLength(25);

    // No secret in any row, read raw from the table, through the API or through the export.
    const raw = await sql<{ row: string }>`SELECT row_to_json(a)::text AS row FROM audit_events a`.execute(rig.server.ctx.db.kysely);
    const exported = await fetch(`${rig.server.url}/v1/audit-events/export`, { headers: bearer() });
    expect(exported.status).toBe(200);
    const texts = { table: raw.rows.map((r) => r.row).join('\n'), api: JSON.stringify(rows), export: await exported.text() };
    expect(texts.export.trim().split('\n')).toHaveLength(25);
    expect(secrets.filter((s) => s.length < 8)).toEqual([]);
    for (const [where, text] of Object.entries(texts)) {
      for (const secret of secrets) expect(text.includes(secret), `a secret in the audit log (${where})`).toBe(false);
      for (const shape of SECRET_SHAPES) expect(shape.test(text), `${shape} in the audit log (${where})`).toBe(false);
    }
  });
});

describe.each(BACKENDS)('offline key rotation on %s', (backend) => {
  test('is recorded with the CLI as its actor', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gk-audit-cli-'));
    const postgres = backend === 'postgres' ? await createPostgresDatabase() : null;
    const where = { databaseUrl: postgres?.url ?? null, dataDir };
    try {
      const keyring = Keyring.parse(testEncryptionKeys());
      const result = await rotateOffline(where, keyring);
      expect(result.rows).toBe(0);
      const rows = await withOfflineDatabase(where, (db) => db.kysely.selectFrom('audit_events').selectAll().execute());
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'keys.rotated', actor_type: 'cli', actor_id: null, target_type: 'encryption_key', target_id: 'test1', ip: null, count: 1 });
      // Named by the account and host that ran it, for whoever reads the log.
      expect(rows[0]!.actor_name).toMatch(/@/);
    } finally {
      await postgres?.drop();
    }
  });
});

// Staged client secrets against the Salesforce emulator over real HTTP, on both databases: a team
// rotates its consumer secret (staged at Salesforce, changed in Grantkeeper, in either order) and
// no refresh or connect fails. An invalid_client answer is retried once with the other secret,
// the one that works becomes current; once the overlap is over only the current one is tried.
import { sql } from 'kysely';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientSecretsOf } from '../src/model/client-secrets.js';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { until } from './helpers/wait.js';

const INVALID_CLIENT = 'invalid_client/invalid client credentials';

describe.each(BACKENDS)('staged client secrets on %s', (backend) => {
  let rig: ConnectRig;
  const secrets: string[] = [];
  let n = 0;
  const newSecret = () => {
    const s = `staged-secret-${backend}-${++n}-${Math.random().toString(36).slice(2)}`;
    secrets.push(s);
    return s;
  };

  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'staged-secrets' });
    secrets.push(rig.clientSecret);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const api = (method: string, path: string, body?: unknown) => rig.server.api(method, path, body);
  const token = (id: string) => api('GET', `/v1/connections/${id}/token?force=true`);
  const refused = () => rig.emu.stats().token_errors[INVALID_CLIENT] ?? 0;
  const integrationRow = () => rig.server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', rig.integrationKey).executeTakeFirstOrThrow();
  /** The secret Grantkeeper calls with now, decrypted as the server would. */
  const currentSecret = async () => clientSecretsOf(rig.server.ctx.keyring, await integrationRow()).current;
  const patchSecret = async (secret: string, extra: Record<string, unknown> = {}) => {
    const res = await api('PATCH', `/v1/integrations/${rig.integrationKey}`, { client_secret: secret, ...extra });
    expect(res.status).toBe(200);
    for (const s of secrets) expect(JSON.stringify(res.body)).not.toContain(s);
    return res.body;
  };

  test('Salesforce stages the new secret first: both work meanwhile, nothing is refused, and applying it changes nothing for Grantkeeper', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    expect((await token(id)).status).toBe(200);
    const s2 = newSecret();
    rig.emu.stageClientSecret(rig.clientId, s2);
    const patched = await patchSecret(s2);
    expect(patched.client_secret_overlap_s).toBe(86_400);
    expect(Date.parse(patched.previous_client_secret_expires_at) - Date.now()).toBeGreaterThan(86_000_000);
    // Sending the same secret again (a retried request) does not end or restart the overlap.
    expect((await patchSecret(s2)).previous_client_secret_expires_at).toBe(patched.previous_client_secret_expires_at);
    expect((await token(id)).status).toBe(200);
    rig.emu.applyStagedClientSecret(rig.clientId);
    expect((await token(id)).status).toBe(200);
    expect(refused()).toBe(0);
  });

  test('Grantkeeper gets the new secret before Salesforce accepts it: the re-probe after the change is refused, retried with the old one, which stays current until Salesforce applies the new one', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    expect((await token(id)).status).toBe(200);
    const before = refused();
    const old = await currentSecret();
    const s3 = newSecret();
    await patchSecret(s3);
    // A change of secret re-probes one connection at once: refused with the new secret, it works
    // with the old one, which becomes current again.
    await until('the old secret current again', async () => (await currentSecret()) === old);
    expect(refused()).toBe(before + 1);
    expect((await token(id)).status).toBe(200);
    expect(refused()).toBe(before + 1);

    // The refused call is history, not an outcome: its operation ended in success, the integration stayed ok.
    const events = await rig.server.ctx.db.kysely
      .selectFrom('events as e')
      .innerJoin('integrations as i', 'i.id', 'e.integration_id')
      .select(['e.trigger', 'e.outcome', 'e.error', 'e.detail'])
      .where('i.key', '=', rig.integrationKey)
      .where('e.error', '=', 'invalid_client')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ trigger: 'reprobe', outcome: 'permanent_error', detail: { confirming: true, client_secret: 'refused' } });
    expect((await api('GET', `/v1/integrations/${rig.integrationKey}`)).body.status).toBe('ok');
    expect(await rig.outbox('integration.error')).toHaveLength(0);
    expect((await rig.connection(id)).status).toBe('active');

    // Now Salesforce stages and applies the new secret: the old one is refused, the new one works and becomes current.
    rig.emu.stageClientSecret(rig.clientId, s3);
    rig.emu.applyStagedClientSecret(rig.clientId);
    const retried = await token(id);
    expect(retried.status).toBe(200);
    expect(refused()).toBe(before + 2);
    expect(await currentSecret()).toBe(s3);
    const [last, refusedCall] = (await rig.events(id, 2)).filter((e) => e.type === 'refresh');
    expect(last).toMatchObject({ trigger: 'retry', outcome: 'success' });
    expect(refusedCall).toMatchObject({ trigger: 'on_demand', outcome: 'permanent_error', error: 'invalid_client' });
    expect((await token(id)).status).toBe(200);
    expect(refused()).toBe(before + 2);
  });

  test('the code exchange of a connect flow falls back the same way', async () => {
    const s4 = newSecret();
    const accepted = await currentSecret();
    await patchSecret(s4); // Salesforce does not know it yet
    await until('the re-probe after the change settled', async () => (await currentSecret()) === accepted);
    // Salesforce applies it: the current secret is refused, the kept one works.
    rig.emu.stageClientSecret(rig.clientId, s4);
    rig.emu.applyStagedClientSecret(rig.clientId);
    const before = refused();
    const user = rig.user();
    const created = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'fallback-connect' }, return_url: 'http://127.0.0.1:9/done' });
    const walk = await walkFlow(created.body.url, user.username);
    expect(walk.location?.searchParams.get('status')).toBe('success');
    expect(refused()).toBe(before + 1);
    expect(await currentSecret()).toBe(s4);
    const id = walk.location!.searchParams.get('connection_id')!;
    expect((await token(id)).status).toBe(200);
    expect(refused()).toBe(before + 1);
  });

  test('a dead grant behind a refused secret: the other secret is used for the confirming retry too, and the grant is diagnosed as usual', async () => {
    const grant = await rig.importGrant(rig.user().username);
    expect((await token(grant.id)).status).toBe(200);
    const s6 = newSecret();
    const accepted = await currentSecret();
    await patchSecret(s6);
    await until('the re-probe after the change settled', async () => (await currentSecret()) === accepted);
    rig.emu.stageClientSecret(rig.clientId, s6);
    rig.emu.applyStagedClientSecret(rig.clientId);
    rig.emu.revokeApproval(grant.refreshToken);
    const before = refused();
    const expired = () => rig.emu.stats().token_errors['invalid_grant/expired access/refresh token'] ?? 0;
    const expiredBefore = expired();
    const res = await token(grant.id);
    expect(res.status).toBe(409);
    expect(res.body.diagnosis.code).toBe('revoked');
    // One refusal of the old secret; the answer and its confirmation both came with the new one.
    expect(refused()).toBe(before + 1);
    expect(expired()).toBe(expiredBefore + 2);
    expect(await currentSecret()).toBe(s6);
  });

  test('once the overlap is over only the current secret is tried, and retention wipes the old one', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    expect((await token(id)).status).toBe(200);
    const s5 = newSecret();
    const accepted = await currentSecret();
    await patchSecret(s5);
    await until('the re-probe after the change settled', async () => (await currentSecret()) === accepted);
    rig.emu.stageClientSecret(rig.clientId, s5);
    rig.emu.applyStagedClientSecret(rig.clientId);
    // The overlap ends (the row is aged instead of waiting a day): the kept secret, the only one
    // Salesforce accepts now, is no longer tried.
    await sql`UPDATE integrations SET previous_client_secret_expires_at = now() - interval '1 second' WHERE key = ${rig.integrationKey}`.execute(rig.server.ctx.db.kysely);
    const before = refused();
    const res = await token(id);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('integration_error');
    expect(refused()).toBe(before + 1);
    expect((await api('GET', `/v1/integrations/${rig.integrationKey}`)).body.previous_client_secret_expires_at).toBeNull();

    const pruned = await rig.server.services.retention.prune();
    expect(pruned.previousClientSecrets).toBe(1);
    const row = await integrationRow();
    expect(row.previous_client_secret_enc).toBeNull();
    expect(row.previous_client_secret_expires_at).toBeNull();
  });

  test('client_secret_overlap_s: 0 drops the old secret at once; bad values are a 400 and change nothing', async () => {
    const working = secrets[secrets.length - 1]!;
    const body = await patchSecret(working, { client_secret_overlap_s: 0 });
    expect(body).toMatchObject({ client_secret_overlap_s: 0, previous_client_secret_expires_at: null });
    expect((await integrationRow()).previous_client_secret_enc).toBeNull();
    const generation = (await integrationRow()).generation;
    for (const bad of [-1, 1.5, 'sixty', 31_536_001, { s: 1 }]) {
      const res = await api('PATCH', `/v1/integrations/${rig.integrationKey}`, { client_secret_overlap_s: bad });
      expect(res.status, String(bad)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await integrationRow()).generation).toBe(generation);
    const created = await api('POST', '/v1/integrations', { key: `overlap-${backend}`, provider: 'salesforce', client_id: 'x', client_secret: newSecret(), client_secret_overlap_s: 600 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ client_secret_overlap_s: 600, previous_client_secret_expires_at: null });
  });

  test('no secret reached the database in plaintext, an API answer or the log', async () => {
    const rows = await rig.server.ctx.db.kysely.selectFrom('integrations').selectAll().execute();
    const dump = JSON.stringify(rows);
    const listed = JSON.stringify((await api('GET', '/v1/integrations')).body);
    const log = readFileSync(rig.server.logFile, 'utf8');
    for (const s of secrets) {
      expect(dump).not.toContain(s);
      expect(listed).not.toContain(s);
      expect(log).not.toContain(s);
    }
  });
});

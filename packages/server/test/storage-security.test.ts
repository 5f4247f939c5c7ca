// What reaches disk: a raw dump of either database and every log line of these servers
// hold no plaintext token or client secret; a ciphertext moved to another row does not
// decrypt; `keys rotate` during a storm of rotating refreshes never restores an older grant.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliAudit } from '../src/audit/actors.js';
import { DecryptionError, decryptSecret, keyIdOf } from '../src/crypto/envelope.js';
import { Keyring } from '../src/crypto/keyring.js';
import { rotateKeys } from '../src/keys/rotate.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { LOG_DIR } from './helpers/server.js';

describe.each(BACKENDS)('secrets at rest on %s', (backend) => {
  let rig: SalesforceRig;
  const issued: string[] = [];
  let ids: string[] = [];

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { app: { rotation: true }, logName: `storage-${backend}` });
    for (let i = 0; i < 3; i++) {
      const user = rig.user();
      const grant = await rig.importGrant(user.username);
      issued.push(grant.refreshToken);
      ids.push(grant.id);
      for (let r = 0; r < 2; r++) {
        const token = await rig.server.api('GET', `/v1/connections/${grant.id}/token?force=true`);
        expect(token.status).toBe(200);
        issued.push(token.body.access_token);
      }
      issued.push(rig.emu.currentRefreshToken(grant.refreshToken)!);
    }
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function rawDump(): Promise<string> {
    if (rig.server.database.url) {
      return execFileSync('pg_dump', ['--no-owner', rig.server.database.url], { maxBuffer: 256 * 1024 * 1024 }).toString('latin1');
    }
    const dump = await rig.server.database.pglite!.dumpDataDir('none');
    return Buffer.from(await dump.arrayBuffer()).toString('latin1');
  }

  test('a raw dump of the database holds no plaintext token or client secret', async () => {
    const dump = await rawDump();
    expect(dump.length).toBeGreaterThan(10_000);
    // The dump is real: ciphertexts and ids are in it.
    expect(dump).toContain('gk1:test1:');
    expect(dump).toContain(rig.clientId);
    for (const secret of [rig.clientSecret, ...issued]) expect(dump.includes(secret), `dump contains ${secret.slice(0, 12)}…`).toBe(false);
  });

  test("this test's server logs hold no token or client secret", async () => {
    const files = readdirSync(LOG_DIR).filter((f) => f.startsWith(`storage-${backend}`));
    expect(files.length).toBeGreaterThan(0);
    const logs = files.map((f) => readFileSync(join(LOG_DIR, f), 'utf8')).join('\n');
    for (const secret of [rig.clientSecret, rig.server.key, ...issued]) expect(logs.includes(secret)).toBe(false);
  });

  test('a ciphertext copied to another row does not decrypt there', async () => {
    const rows = await rig.server.ctx.db.kysely.selectFrom('connections').select(['id', 'refresh_token_enc']).limit(2).execute();
    const [a, b] = rows as [{ id: string; refresh_token_enc: string }, { id: string; refresh_token_enc: string }];
    expect(() => decryptSecret(rig.server.ctx.keyring, a.refresh_token_enc, { table: 'connections', column: 'refresh_token_enc', rowId: a.id })).not.toThrow();
    expect(() => decryptSecret(rig.server.ctx.keyring, a.refresh_token_enc, { table: 'connections', column: 'refresh_token_enc', rowId: b.id })).toThrow(DecryptionError);
    expect(() => decryptSecret(rig.server.ctx.keyring, a.refresh_token_enc, { table: 'connections', column: 'access_token_enc', rowId: a.id })).toThrow(DecryptionError);
  });

  test('keys rotate during a storm of rotating refreshes never restores an older grant', async () => {
    const { ctx } = rig.server;
    const rolled = new Keyring([Keyring.generateKey('test2'), ...ctx.keyring.keys]);
    ctx.keyring = rolled; // the instance now encrypts with the new first key, like a restart with it
    let stop = false;
    const storm = (async () => {
      let n = 0;
      while (!stop) {
        const id = ids[n++ % ids.length]!;
        const res = await rig.server.api('GET', `/v1/connections/${id}/token?force=true`);
        expect(res.status).toBe(200);
      }
      return n;
    })();
    let result;
    for (let round = 0; round < 3; round++) result = await rotateKeys(ctx.db, rolled, { audit: cliAudit(), batchSize: 1 });
    stop = true;
    const refreshes = await storm;
    expect(refreshes).toBeGreaterThan(0);
    expect(result!.rows).toBeGreaterThan(0);
    expect(rig.emu.stats().reuse_detections).toBe(0);
    const rows = await ctx.db.kysely.selectFrom('connections').select(['id', 'refresh_token_enc', 'access_token_enc', 'status']).execute();
    for (const row of rows) {
      expect(row.status).toBe('active');
      expect(keyIdOf(row.refresh_token_enc!)).toBe('test2');
      expect(keyIdOf(row.access_token_enc!)).toBe('test2');
      const stored = decryptSecret(rolled, row.refresh_token_enc!, { table: 'connections', column: 'refresh_token_enc', rowId: row.id });
      // Never an older value: the stored refresh token is the emulator's current one.
      expect(rig.emu.refreshTokenStatus(stored).status).toBe('current');
    }
    const integration = await ctx.db.kysely.selectFrom('integrations').select('client_secret_enc').executeTakeFirstOrThrow();
    expect(keyIdOf(integration.client_secret_enc!)).toBe('test2');
  });
});

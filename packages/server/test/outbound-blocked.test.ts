// A token URL that Grantkeeper's own outbound policy refuses (issue 13, item 5): the
// integration is misconfigured, so it goes to `error` (developer: address_blocked) at once,
// never a transient network_error retried with backoff for ever. The emulator listens on
// 127.0.0.1, which the policy refuses unless GRANTKEEPER_ALLOW_PRIVATE_NETWORK allows it.
// Such a URL is refused when the integration is created (422 private_address), so here the
// integration is created with a public address and then pointed at the emulator in the
// database: as if it had been stored before that check, or its name resolved elsewhere then.
import { describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig } from './helpers/salesforce.js';

const POLICIES = [
  // Unset: no private address, and no plain http:// either (refused before any connection).
  ['GRANTKEEPER_ALLOW_PRIVATE_NETWORK unset', ''],
  // A list that does not cover 127.0.0.1: http is allowed, the address is refused on connect.
  ['GRANTKEEPER_ALLOW_PRIVATE_NETWORK=10.0.0.0/8', '10.0.0.0/8'],
] as const;

describe.each(BACKENDS)('a blocked token URL on %s', (backend) => {
  test.each(POLICIES)('%s: the integration errors, the connection says address_blocked, nothing retries', async (_name, allow) => {
    const rig = await startSalesforceRig(backend, {
      env: { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: allow },
      integration: { auth_base_url: 'https://1.1.1.1' },
      logName: 'outbound-blocked',
    });
    try {
      const { api } = rig.server;
      await rig.server.ctx.db.kysely.updateTable('integrations').set({ auth_base_url: rig.emu.url }).where('key', '=', rig.integrationKey).execute();
      const { id } = await rig.importGrant(rig.user().username);
      const events = async () => (await api('GET', `/v1/connections/${id}/events?limit=100`)).body.data as any[];

      const res = await api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('integration_error');
      expect(res.body.last_error).toEqual({ at: expect.any(String), http_status: null, error: null, error_description: null });

      const integration = (await api('GET', `/v1/integrations/${rig.integrationKey}`)).body;
      expect(integration.status).toBe('error');
      const connection = (await api('GET', `/v1/connections/${id}`)).body;
      expect(connection.status).toBe('integration_error');
      expect(connection.diagnosis).toMatchObject({ code: 'address_blocked', who_fixes: 'developer', confidence: 'certain' });
      expect(connection.diagnosis.fix.join(' ')).toContain('GRANTKEEPER_ALLOW_PRIVATE_NETWORK');

      // One attempt, recorded as the integration's permanent error (no confirming retry, no `unknown`).
      const refreshes = (await events()).filter((e) => e.type === 'refresh');
      expect(refreshes.map((e) => [e.outcome, e.detail])).toEqual([
        ['permanent_error', expect.objectContaining({ class: 'integration', reason: 'address_blocked', diagnosis: 'address_blocked' })],
      ]);
      expect(await rig.outbox('integration.error')).toHaveLength(1);
      expect(await rig.outbox('connection.refresh_failing')).toHaveLength(0);

      // Asked again, and made due for the scheduler over several passes: no new attempt.
      expect((await api('GET', `/v1/connections/${id}/token`)).body.code).toBe('integration_error');
      for (let pass = 0; pass < 3; pass++) {
        // The only connection of this server's database.
        await rig.server.ctx.db.kysely.updateTable('connections').set({ next_refresh_at: new Date(Date.now() - 1000), backoff_until: null }).execute();
        const tick = await rig.server.services.scheduler.tick();
        // Claimed (it is due), but the integration is in error: deferred, not refreshed.
        expect(tick, `pass ${pass}`).toMatchObject({ claimed: 1, refreshed: 0 });
      }
      expect((await events()).filter((e) => e.type === 'refresh')).toHaveLength(1);
      expect(rig.emu.stats().refresh_attempts).toBe(0);
    } finally {
      await rig.stop();
    }
  });
});

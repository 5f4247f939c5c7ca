// The dashboard shows the 2026 diagnoses, in headless Chromium, on both databases: a grant whose
// org has not installed the External Client App (app_not_installed, the org admin fixes it) and
// IP refusals from two orgs (refresh_ip_blocked, the developer fixes Grantkeeper's egress), with
// the connection's login host. Screenshots go to test-artifacts/ui/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { ARTIFACTS_DIR } from '../helpers/paths.js';
import { startSalesforceRig, type SalesforceRig } from '../helpers/salesforce.js';
import { until } from '../helpers/wait.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'ui');

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe.each(BACKENDS)('the 2026 diagnoses in the dashboard on %s', (backend) => {
  let rig: SalesforceRig;
  let notInstalled: string;
  let ipBlocked: string;

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'sf2026-ui', app: { appType: 'external_client_app' }, env: { GRANTKEEPER_SPIKE_CHECK_INTERVAL_MS: '100' } });
    const token = (id: string) => rig.server.api('GET', `/v1/connections/${id}/token?force=true`);

    const missingOrg = rig.emu.createOrg({ name: 'No install' }).org_id;
    notInstalled = (await rig.importGrant(rig.user(undefined, missingOrg).username, 'customer-no-install')).id;
    rig.emu.uninstallApp(rig.clientId, missingOrg);
    expect((await token(notInstalled)).status).toBe(409);

    const ids: string[] = [];
    for (const name of ['Alpha', 'Beta']) {
      const org = rig.emu.createOrg({ name }).org_id;
      const grant = await rig.importGrant(rig.user(undefined, org).username, `customer-${name.toLowerCase()}`);
      rig.emu.setOrgIpRestriction(org, ['203.0.113.7']);
      expect((await token(grant.id)).status).toBe(409);
      ids.push(grant.id);
    }
    ipBlocked = ids[0]!;
    await until('the first org re-explained', async () => (await rig.connection(ipBlocked)).diagnosis.code === 'refresh_ip_blocked');
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function logIn(): Promise<{ page: Page; problems: string[] }> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${rig.server.url}/ui`);
    await page.getByLabel('Secret key').fill(rig.server.key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${rig.server.url}/ui`);
    return { page, problems };
  }

  test('each new diagnosis renders as a card with its code, who fixes it, causes and fix steps', async () => {
    const { page, problems } = await logIn();

    await page.goto(`${rig.server.url}/ui/connections/${notInstalled}`);
    const card = page.locator('#diagnosis');
    expect(await card.locator('[data-diagnosis-code]').textContent()).toBe('app_not_installed');
    expect(await card.locator('[data-who-fixes]').getAttribute('data-who-fixes')).toBe('org_admin');
    expect(await card.locator('.summary').textContent()).toContain('not installed in this org');
    expect(await card.locator('ol').textContent()).toContain('Connected Apps OAuth Usage');
    expect(await page.locator('#error-h + dl').textContent()).toContain('app_not_found');
    await page.screenshot({ path: join(SHOTS, `app-not-installed-${backend}.png`), fullPage: true });

    await page.goto(`${rig.server.url}/ui/connections/${ipBlocked}`);
    expect(await card.locator('[data-diagnosis-code]').textContent()).toBe('refresh_ip_blocked');
    expect(await card.locator('[data-who-fixes]').getAttribute('data-who-fixes')).toBe('developer');
    expect(await card.locator('ol').textContent()).toContain('GRANTKEEPER_OUTBOUND_PROXY');
    expect(await page.locator('#timeline').textContent()).toContain('IP restricted or invalid login hours');
    await page.screenshot({ path: join(SHOTS, `refresh-ip-blocked-${backend}.png`), fullPage: true });

    expect(problems).toEqual([]);
  });

  test('the connection page shows a connection\'s login host', async () => {
    const user = rig.user();
    const issued = rig.emu.issueTokens({ clientId: rig.clientId, username: user.username });
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey, end_user: { id: 'customer-sandbox' }, connection_config: { login_host: 'test.salesforce.com' }, credentials: { refresh_token: String(issued.refresh_token) },
    });
    expect(imported.status).toBe(201);
    const { page, problems } = await logIn();
    await page.goto(`${rig.server.url}/ui/connections/${imported.body.id}`);
    expect(await page.locator('#connection-config').textContent()).toBe('login_host = test.salesforce.com');
    expect(problems).toEqual([]);
  });
});

// Issue 17's pages in headless Chromium, on both databases: `/` in a browser lands on the
// dashboard; the dashboard's integration pages show the callback URL to register and the
// connect flows that failed with their real reason; the connections list shows each dead
// grant's diagnosis and who fixes it, and filters by diagnosis; the branded API reference at
// /docs (webhooks included) is linked both ways under its strict CSP; the connect page says
// where the flow will end. Screenshots go to test-artifacts/first-hour/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { ARTIFACTS_DIR } from '../helpers/paths.js';
import { startConnectRig, walkFlow, type ConnectRig } from '../helpers/connect-flow.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'first-hour');

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe.each(BACKENDS)('the first hour in the browser on %s', (backend) => {
  let rig: ConnectRig;
  const ids = { healthy: '', revoked: '', madeUp: '' };

  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'first-hour-browser' });
    const { api } = rig.server;
    const healthy = await rig.importGrant(rig.user().username, 'fh-healthy');
    expect((await api('GET', `/v1/connections/${healthy.id}/token`)).status).toBe(200);
    ids.healthy = healthy.id;
    // A grant that worked, then was revoked at Salesforce.
    const revoked = await rig.importGrant(rig.user().username, 'fh-revoked');
    expect((await api('GET', `/v1/connections/${revoked.id}/token`)).status).toBe(200);
    rig.emu.revokeApproval(revoked.refreshToken);
    expect((await api('GET', `/v1/connections/${revoked.id}/token?force=true`)).status).toBe(409);
    ids.revoked = revoked.id;
    // A made-up token, verified at import: Salesforce does not know it.
    const madeUp = await api('POST', '/v1/connections?verify=true', { integration: rig.integrationKey, end_user: { id: 'fh-made-up' }, credentials: { refresh_token: 'made-up-by-a-new-user' } });
    expect(madeUp.body.diagnosis.code).toBe('unknown_token');
    ids.madeUp = madeUp.body.id;
    // A connect flow whose code exchange Salesforce refuses.
    const session = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'fh-refused' }, return_url: 'https://product.example/done' });
    rig.emu.setFault({ status: 400, count: 1, body: { error: 'invalid_client', error_description: 'invalid client credentials' } });
    const walk = await walkFlow(session.body.url, rig.user().username);
    expect(walk.location!.searchParams.get('error')).toBe('code_exchange_failed');
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function openPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.server.url });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
    });
    return { page, problems };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}-${backend}.png`), fullPage: true });

  test('/ → the dashboard; integrations with their callback URL and failed connect flows; connections by diagnosis; the API reference and back', async () => {
    const { page, problems } = await openPage();
    try {
      // A browser opening the server's root lands on the dashboard (its login, first).
      await page.goto(`${rig.server.url}/`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      await page.getByLabel('Secret key').fill(rig.server.key);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${rig.server.url}/ui`);

      // Integrations: the list, then the integration's page.
      const callback = `${rig.publicUrl}/oauth/callback`;
      await page.getByRole('link', { name: 'Integrations', exact: true }).click();
      await page.waitForURL(/\/ui\/integrations$/);
      expect(await page.locator(`#integrations-table tr[data-integration="${rig.integrationKey}"]`).textContent()).toContain(callback);
      await page.getByRole('link', { name: rig.integrationKey, exact: true }).click();
      await page.waitForURL(new RegExp(`/ui/integrations/${rig.integrationKey}$`));
      expect(await page.locator('#callback-url').inputValue()).toBe(callback);
      const copy = page.getByRole('button', { name: 'Copy' });
      expect(await copy.isVisible()).toBe(true);
      await copy.click();
      await expect.poll(() => page.locator('#callback-status').textContent()).toMatch(/Copied|Ctrl\+C/);
      const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
      if (clip !== null) expect(clip).toBe(callback);
      const failure = page.locator('#connect-failures tbody tr').first();
      expect(await failure.locator('[data-connect-error]').textContent()).toBe('code_exchange_failed');
      expect(await failure.textContent()).toContain('invalid_client — invalid client credentials');
      expect(await failure.textContent()).toContain('fh-refused');
      await shot(page, 'integration');

      // Connections: each dead grant's diagnosis and who fixes it, then the filter by diagnosis.
      await page.getByRole('link', { name: 'Connections', exact: true }).click();
      await page.waitForURL(/\/ui\/connections$/);
      const row = (id: string) => page.locator(`#connections-table tr[data-connection="${id}"]`);
      expect(await row(ids.revoked).locator('[data-diagnosis-code]').textContent()).toBe('revoked');
      expect(await row(ids.revoked).locator('[data-who-fixes]').textContent()).toBe('End user (reconnect)');
      expect(await row(ids.madeUp).locator('[data-diagnosis-code]').textContent()).toBe('unknown_token');
      expect(await row(ids.madeUp).locator('[data-who-fixes]').textContent()).toBe('Developer');
      expect(await row(ids.healthy).locator('[data-diagnosis-code]').count()).toBe(0);
      await shot(page, 'connections');
      await page.getByLabel('Diagnosis').selectOption('unknown_token');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/diagnosis=unknown_token/);
      await expect.poll(() => page.locator('#connections-table tbody tr').count()).toBe(1);
      expect(await page.locator('#connections-table tbody tr').getAttribute('data-connection')).toBe(ids.madeUp);
      expect(await page.getByLabel('Diagnosis').inputValue()).toBe('unknown_token');

      // The API reference, from the dashboard's navigation, and back.
      await page.getByRole('link', { name: 'API reference' }).click();
      await page.waitForURL(/\/docs/);
      await expect(page.title()).resolves.toBe('Grantkeeper API reference');
      await page.locator('#swagger-ui .topbar a.gk-dashboard').waitFor();
      expect(await page.locator('#swagger-ui .topbar').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(26, 54, 93)');
      expect(await page.locator('#swagger-ui .topbar a.link').getAttribute('href')).toBe('/ui');
      expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/theme\/icon\.svg$/);
      // The webhooks, each with its payload.
      await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
      const reauth = page.locator('.opblock', { hasText: 'connection.reauth_required' }).first();
      await reauth.waitFor();
      await reauth.locator('.opblock-summary').click();
      await expect.poll(async () => reauth.textContent()).toMatch(/reconnect_url/);
      await shot(page, 'docs');
      await page.locator('#swagger-ui .topbar a.gk-dashboard').click();
      await page.waitForURL(`${rig.server.url}/ui`);

      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  test('the connect page says where the flow ends: back at the product with return_url, a page here without', async () => {
    const { page, problems } = await openPage();
    try {
      const { api } = rig.server;
      const withReturn = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'fh-words' }, return_url: 'https://product.example/done' });
      await page.goto(withReturn.body.url);
      const words = page.locator('main p', { hasText: 'Continue to sign in' });
      expect(await words.textContent()).toContain('Afterwards you are sent back to product.example.');
      expect(await words.textContent()).not.toContain('come back here');
      await shot(page, 'connect-with-return-url');

      const without = await api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'fh-words' } });
      await page.goto(without.body.url);
      expect(await words.textContent()).toContain('Afterwards a page here tells you whether it worked');
      // And it does: the flow ends on Grantkeeper's own result page.
      const user = rig.user();
      await Promise.all([page.waitForURL((u) => u.href.startsWith(rig.emu.url)), page.getByRole('button', { name: 'Continue to Salesforce' }).click()]);
      await page.selectOption('#username', user.username);
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${rig.publicUrl}/oauth/callback`)), page.click('#allow')]);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your Salesforce account is connected');
      // The emulator (a test tool) has no icon; Grantkeeper's own pages must raise nothing.
      expect(problems.filter((p) => !p.includes(`${rig.emu.url}/favicon.ico`))).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

// The dashboard and API keys, in headless Chromium on both databases: an admin session's keys
// page (create with the secret shown once, revoke), a read-only key's read-only dashboard, a
// session ended by revoking its key, and "refresh now" that never brings a token to the page.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { ARTIFACTS_DIR } from './helpers/paths.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'ui');

describe.each(BACKENDS)('dashboard API keys on %s', (backend) => {
  let rig: SalesforceRig;
  let browser: Browser;
  let healthy: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    rig = await startSalesforceRig(backend, { logName: 'ui-keys' });
    healthy = (await rig.importGrant(rig.user().username, 'customer-1')).id;
    expect((await rig.server.api('GET', `/v1/connections/${healthy}/token`)).status).toBe(200);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await rig?.stop();
  });

  async function openPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    return { page, problems };
  }

  async function logIn(page: Page, key: string): Promise<void> {
    await page.goto(`${rig.server.url}/ui/login`);
    await page.getByLabel('Secret key').fill(key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${rig.server.url}/ui`);
  }

  const formControlsWithoutName = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select, button')].filter((el) => {
        const e = el as HTMLInputElement;
        return !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim();
      }).length,
    );

  test('an admin creates a read-only key (its secret shown once), whose session has no actions, then revokes it and that session ends', async () => {
    const { page: adminPage, problems } = await openPage();
    await logIn(adminPage, rig.server.key);
    await adminPage.getByRole('link', { name: 'API keys' }).click();
    await adminPage.waitForURL(/\/ui\/keys$/);
    expect(await adminPage.locator('#keys-table tbody tr', { hasText: 'this session' }).textContent()).toContain('GRANTKEEPER_SECRET_KEY');
    expect(await formControlsWithoutName(adminPage)).toBe(0);

    await adminPage.getByLabel('Name', { exact: true }).fill('support viewer');
    await adminPage.getByLabel(/^connections:read/).check();
    await adminPage.getByLabel(/Only these integrations/).fill(rig.integrationKey);
    await adminPage.getByRole('button', { name: 'Create key' }).click();
    await adminPage.waitForURL(/\/ui\/keys$/);
    const secret = await adminPage.locator('#new-key-secret').inputValue();
    expect(secret).toMatch(/^gk_sk_[A-Za-z0-9_-]{43}$/);
    expect(await adminPage.getByRole('alert').first().textContent()).toContain('shown only this once');
    const row = adminPage.locator('#keys-table tbody tr', { hasText: 'support viewer' });
    expect(await row.textContent()).toContain('connections:read');
    expect(await row.textContent()).toContain(rig.integrationKey);
    await adminPage.screenshot({ path: join(SHOTS, `keys-created-1280-${backend}.png`), fullPage: true });
    // Shown once: the page itself, loaded again, no longer holds it.
    await adminPage.goto(`${rig.server.url}/ui/keys`);
    expect(await adminPage.content()).not.toContain(secret);

    // The read-only key's dashboard: reads, no action forms, no admin or webhook sections.
    const { page: viewer, problems: viewerProblems } = await openPage();
    await logIn(viewer, secret);
    const menu = await viewer.locator('nav.main').textContent();
    expect(menu).toContain('Connections');
    expect(menu).not.toContain('Webhooks');
    expect(menu).not.toContain('API keys');
    await viewer.goto(`${rig.server.url}/ui/connections/${healthy}`);
    expect(await viewer.locator('#connection-status').textContent()).toContain('Active');
    expect(await viewer.locator('#read-only').textContent()).toContain('connections:write');
    expect(await viewer.getByRole('button', { name: 'Force a refresh now' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Copy a fresh reconnect link' }).count()).toBe(0);
    expect(await viewer.locator('main form[method="post"]').count()).toBe(0);
    await viewer.screenshot({ path: join(SHOTS, `connection-read-only-1280-${backend}.png`), fullPage: true });
    // /v1 writes are refused to the session, even from the page with its CSRF token.
    const write = await viewer.evaluate(async (id) => {
      const csrf = document.querySelector('meta[name="gk-csrf"]')!.getAttribute('content')!;
      const res = await fetch(`/v1/connections/${id}/reconnect-link`, { method: 'POST', headers: { 'x-grantkeeper-csrf': csrf } });
      return { status: res.status, body: await res.json() };
    }, healthy);
    expect(write).toMatchObject({ status: 403, body: { code: 'insufficient_scope', required_scope: 'connections:write' } });
    for (const path of ['/ui/webhooks', '/ui/keys']) {
      const res = await viewer.goto(`${rig.server.url}${path}`);
      expect(res?.status(), path).toBe(403);
    }
    // A forged post of the refresh form (the button is not there) changes nothing either.
    const before = rig.emu.stats().refresh_attempts;
    const forged = await viewer.evaluate(async (id) => {
      const csrf = document.querySelector('meta[name="gk-csrf"]')!.getAttribute('content')!;
      const res = await fetch(`/ui/connections/${id}/refresh`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}`, redirect: 'manual' });
      return res.status;
    }, healthy);
    expect(forged).toBe(403);
    expect(rig.emu.stats().refresh_attempts).toBe(before);

    // The admin revokes the key: the viewer's session ends with it.
    await adminPage.locator('#keys-table tbody tr', { hasText: 'support viewer' }).getByRole('button', { name: /^Revoke/ }).click();
    await adminPage.waitForURL(/notice=key_revoked/);
    expect(await adminPage.locator('#keys-table').textContent()).not.toContain('support viewer');
    await viewer.goto(`${rig.server.url}/ui/connections`);
    expect(new URL(viewer.url()).pathname).toBe('/ui/login');
    expect(problems).toEqual([]);
    expect(viewerProblems.filter((p) => !/status of 403/.test(p))).toEqual([]);
  });

  test('"Force a refresh now" refreshes without any access token reaching the page', async () => {
    const { page, problems } = await openPage();
    const bodies: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(rig.server.url)) void response.text().then((text) => bodies.push(text), () => {});
    });
    await logIn(page, rig.server.key);
    await page.goto(`${rig.server.url}/ui/connections/${healthy}`);
    const before = rig.emu.stats().refresh_attempts;
    await page.getByRole('button', { name: 'Force a refresh now' }).click();
    await page.waitForURL(/notice=refresh_ok/);
    expect(rig.emu.stats().refresh_attempts).toBe(before + 1);
    const content = await page.content();
    // The token the refresh just obtained (read with the API key), nowhere in what the browser received.
    const token = (await rig.server.api('GET', `/v1/connections/${healthy}/token`)).body.access_token as string;
    expect(token).toMatch(/^00D/);
    await expect.poll(() => bodies.length).toBeGreaterThan(2);
    for (const body of [content, ...bodies]) {
      expect(body).not.toContain(token);
      expect(body).not.toMatch(/00D[A-Za-z0-9]{12}![A-Za-z0-9._]{100,}/);
    }
    expect(problems).toEqual([]);
  });

  test('revoking its own key from the keys page ends the session', async () => {
    const created = await rig.server.api('POST', '/v1/api-keys', { name: 'temporary admin', scopes: ['admin'] });
    expect(created.status).toBe(201);
    const { page, problems } = await openPage();
    await logIn(page, created.body.secret);
    await page.goto(`${rig.server.url}/ui/keys`);
    const own = page.locator('#keys-table tbody tr', { hasText: 'temporary admin' });
    expect(await own.textContent()).toContain('this session');
    await own.getByRole('button', { name: /^Revoke/ }).click();
    await page.waitForURL(/\/ui\/login$/);
    await page.goto(`${rig.server.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect((await rig.server.api('GET', `/v1/api-keys/${created.body.id}`)).status).toBe(404);
    expect(problems).toEqual([]);
  });
});

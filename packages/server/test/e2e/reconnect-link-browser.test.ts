// A reconnect link in headless Chromium: the page says what the link really does (it can be
// opened again until it expires; only a connect link works once), reloading it shows the
// same sign-in, and after a successful reconnect the link still opens. The page does not
// depend on the database kind, so one backend is enough here (test/reconnect-links.test.ts
// covers the rows on both).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fromPublicId } from '../../src/model/ids.js';
import { connectionReconnectUrl } from '../../src/model/reconnect-link.js';
import { ARTIFACTS_DIR } from '../helpers/paths.js';
import { startConnectRig, type ConnectRig } from '../helpers/connect-flow.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

describe('a reconnect link in the browser', () => {
  let browser: Browser;
  let rig: ConnectRig;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    rig = await startConnectRig('pglite', { logName: 'reconnect-link-browser' });
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  test('says it can be opened again, reloads to the same sign-in, and still opens after a reconnect', async () => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username, 'browser-link');
    const link = connectionReconnectUrl(rig.server.ctx, fromPublicId('connection', id)!);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(link);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Reconnect your Salesforce account');
      const text = (await page.textContent('main')) ?? '';
      expect(text).toContain('Your reconnect link stays valid until');
      expect(text).toContain('open the link again');
      expect(text).not.toContain('works once');
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'reconnect-link-page.png'), fullPage: true });
      const action = await page.locator('form[method="post"]').getAttribute('action');

      await page.reload();
      expect(await page.locator('form[method="post"]').getAttribute('action')).toBe(action);

      await Promise.all([page.waitForURL((u) => u.href.startsWith(rig.emu.url)), page.getByRole('button', { name: 'Continue to Salesforce' }).click()]);
      await page.selectOption('#username', user.username);
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${rig.publicUrl}/oauth/callback`)), page.click('#allow')]);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your Salesforce account is reconnected');

      // The sign-in it opened is spent, and says how to start over …
      const spent = await page.goto(action!);
      expect(spent!.status()).toBe(409);
      expect(await page.textContent('main')).toContain('open your reconnect link again');
      // … while the link itself still opens, as the page promised.
      await page.goto(link);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Reconnect your Salesforce account');
      expect(await page.locator('form[method="post"]').getAttribute('action')).not.toBe(action);
      expect(await page.textContent('main')).toContain('Your reconnect link stays valid until');
    } finally {
      await context.close();
    }
    expect((await rig.connection(id)).status).toBe('active');
  });
});

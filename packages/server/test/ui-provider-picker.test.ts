// The dashboard's provider picker for new integrations, in headless Chromium with JavaScript
// off (plain GET forms and links): search the catalog, page through it, see why a provider
// is not usable, choose one, create the integration — on both databases.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listProviders } from '../src/providers/catalog/catalog.js';
import { BACKENDS } from './helpers/databases.js';
import { ARTIFACTS_DIR } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'ui');

describe.each(BACKENDS)('dashboard provider picker on %s', (backend) => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer(backend, {}, { logName: `ui-provider-picker-${backend}` });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  async function loggedIn(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/ui/login`);
    await page.getByLabel('Secret key').fill(server.key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/ui`);
    return page;
  }
  const rowKeys = (page: Page) => page.locator('#providers-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-provider')));

  test('search, page, choose and create, without JavaScript', async () => {
    const page = await loggedIn();
    await page.goto(`${server.url}/ui/integrations`);
    await page.getByRole('link', { name: 'New integration' }).click();
    await page.waitForURL(/\/ui\/integrations\/new$/);

    // The first page is the start of the catalog; "More providers" walks on.
    const all = listProviders().map((e) => e.key);
    expect(await rowKeys(page)).toEqual(all.slice(0, 25));
    await page.getByRole('link', { name: 'More providers' }).click();
    expect(await rowKeys(page)).toEqual(all.slice(25, 50));

    await page.getByLabel('Find a provider').fill('hub');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=hub/);
    const hub = await rowKeys(page);
    expect(hub).toContain('hubspot');
    expect(hub).toContain('github');
    expect(hub.every((k) => /hub/i.test(k!) || /hub/i.test(listProviders().find((e) => e.key === k)!.name))).toBe(true);
    await page.screenshot({ path: join(SHOTS, `provider-picker-1280-${backend}.png`), fullPage: true });

    // A provider the engine cannot refresh says why instead of offering a choice.
    await page.getByLabel('Find a provider').fill('withings');
    await page.getByRole('button', { name: 'Search' }).click();
    const withings = page.locator('#providers-table tr[data-provider="withings"]');
    expect(await withings.textContent()).toContain('Not supported');
    expect(await withings.getByRole('link', { name: /Choose/ }).count()).toBe(0);

    await page.getByLabel('Find a provider').fill('nothing-matches-this');
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await page.getByRole('status').textContent()).toContain('No provider matches');

    // Choose HubSpot: its default scopes are filled in; create the integration.
    await page.getByLabel('Find a provider').fill('hubspot');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Choose HubSpot' }).click();
    expect(await page.getByLabel('Scopes').inputValue()).toBe('oauth');
    const key = `hubspot-ui-${backend}`;
    await page.getByLabel('Integration key').fill(key);
    await page.getByLabel('Client id').fill('hubspot-client-id');
    await page.getByLabel('Client secret').fill('hubspot-client-secret-not-shown');
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.waitForURL(`${server.url}/ui/integrations/${key}`);
    expect(await page.content()).not.toContain('hubspot-client-secret-not-shown');
    const created = await server.api('GET', `/v1/integrations/${key}`);
    expect(created.body).toMatchObject({ key, provider: 'hubspot', client_id: 'hubspot-client-id', scopes: ['oauth'] });

    // The same key again: the form comes back with the API's reason.
    await page.goto(`${server.url}/ui/integrations/new?provider=hubspot`);
    await page.getByLabel('Integration key').fill(key);
    await page.getByLabel('Client id').fill('another');
    await page.getByRole('button', { name: 'Create integration' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('was not created');
    expect(await page.getByLabel('Integration key').inputValue()).toBe(key);
  });

  test('an unknown or unusable provider key shows the picker, never a form', async () => {
    const page = await loggedIn();
    for (const provider of ['withings', 'intercom', 'no-such', '../x']) {
      await page.goto(`${server.url}/ui/integrations/new?provider=${encodeURIComponent(provider)}`);
      expect(await page.getByRole('button', { name: 'Create integration' }).count(), provider).toBe(0);
      expect(await page.getByLabel('Find a provider').count(), provider).toBe(1);
    }
  });
});

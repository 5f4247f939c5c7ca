// The dashboard's audit log page in headless Chromium, on both databases: reached from the
// navigation, newest first, filtered by action, family, connection and time, paged, its
// target linked, its export downloadable with the session, narrow screens, no secret shown.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { ARTIFACTS_DIR } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'ui');
/** More endpoints than one page of the audit log holds (50). */
const ENDPOINTS = 52;

describe.each(BACKENDS)('the audit log page on %s', (backend) => {
  let server: TestServer;
  let browser: Browser;
  let connectionId: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer(backend, { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' }, { logName: 'ui-audit' });
    secrets.push(server.key);
    expect((await server.api('POST', '/v1/integrations', { key: 'crm', provider: 'oauth2', client_id: 'c', authorization_url: 'https://idp.example/a', token_url: 'https://idp.example/t' })).status).toBe(201);
    const imported = await server.api('POST', '/v1/connections', { integration: 'crm', end_user: { id: 'ui-user' }, credentials: { refresh_token: 'ui-refresh-token-1234', access_token: 'ui-access-token-5678' } });
    expect(imported.status).toBe(201);
    connectionId = imported.body.id;
    secrets.push('ui-refresh-token-1234', 'ui-access-token-5678');
    for (let i = 0; i < 4; i++) expect((await server.api('GET', `/v1/connections/${connectionId}/token`)).status).toBe(200);
    await server.services.audit.worker.runNow();
    for (let i = 0; i < ENDPOINTS; i++) {
      const endpoint = await server.api('POST', '/v1/webhook-endpoints', { url: `https://hooks.example/${i}` });
      expect(endpoint.status).toBe(201);
      secrets.push(endpoint.body.secret);
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function loggedIn(width: number): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}/ui`);
    await page.getByLabel('Secret key').fill(server.key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/ui`);
    return { page, problems };
  }

  const actions = (page: Page) => page.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));

  test('from the navigation: newest first, pages, filters, the target linked, the export with the session', async () => {
    const { page, problems } = await loggedIn(1280);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${server.url}/ui/audit`);
    expect(await page.getByRole('link', { name: 'Audit log' }).getAttribute('aria-current')).toBe('page');

    // Newest first: this session's own login tops the log; a full page, then the rest.
    const first = await actions(page);
    expect(first).toHaveLength(50);
    expect(first[0]).toBe('dashboard.login');
    expect(await page.locator('#audit-table tbody tr').first().textContent()).toContain('Dashboard');
    const times = await page.locator('#audit-table tbody time').evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await page.screenshot({ path: join(SHOTS, `audit-1280-${backend}.png`), fullPage: true });
    await page.getByRole('link', { name: 'Next page →' }).click();
    await page.waitForURL(/cursor=/);
    const second = await actions(page);
    // 52 endpoints + the integration, the import, the token reads and the login.
    expect(first.length + second.length).toBe(ENDPOINTS + 4);
    expect(second).toContain('connection.imported');
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL(`${server.url}/ui/audit`);

    // One action: the counted token reads, their count shown.
    await page.getByLabel('Action').selectOption('token.read');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=token\.read/);
    expect(await actions(page)).toEqual(['token.read']);
    expect(await page.locator('#audit-table tbody td[data-label="Count"]').textContent()).toBe('4');
    expect(await page.locator('#audit-table tbody td[data-label="Address"]').textContent()).toBe('127.0.0.1');

    // Its target links to the connection.
    await page.locator('#audit-table tbody td[data-label="Target"] a').click();
    await page.waitForURL(new RegExp(`/ui/connections/${connectionId}$`));
    await page.goBack();

    // A family, and a connection.
    await page.getByLabel('Action').selectOption('webhook_endpoint.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=webhook_endpoint/);
    expect(new Set(await actions(page))).toEqual(new Set(['webhook_endpoint.created']));
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('Connection').fill(connectionId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/connection=conn_/);
    expect((await actions(page)).sort()).toEqual(['connection.imported', 'token.read']);

    // A time window (UTC) that ends before anything happened: nothing.
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('From (UTC)').fill('2020-01-01T00:00:00');
    await page.getByLabel('To (UTC)').fill('2020-01-02T00:00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/from=2020/);
    expect(await page.getByRole('status').textContent()).toContain('No audit events match');
    // A window the wrong way round is explained, not a failure.
    await page.getByLabel('From (UTC)').fill('2020-01-03T00:00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/from=2020-01-03/);
    expect(await page.getByRole('alert').textContent()).toContain('from must be before to');
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 400')));

    // The export of the current filters, fetched with the session (a download in the browser).
    await page.goto(`${server.url}/ui/audit?action=webhook_endpoint.*`);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export these events (NDJSON)' }).click();
    const file = await (await download).path();
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(lines).toHaveLength(ENDPOINTS);
    expect(new Set(lines.map((l) => l.action))).toEqual(new Set(['webhook_endpoint.created']));

    // No secret on any page of the log.
    for (const path of ['/ui/audit', '/ui/audit?action=token.read', `/ui/audit?connection=${connectionId}`]) {
      await page.goto(`${server.url}${path}`);
      const content = await page.content();
      for (const secret of secrets) expect(content).not.toContain(secret);
    }
    expect(problems).toEqual([]);
  });

  test('at 390 px wide the page fits the viewport and every control has a name', async () => {
    const { page, problems } = await loggedIn(390);
    await page.goto(`${server.url}/ui/audit`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select, button')].filter((el) => {
        const e = el as HTMLInputElement;
        return !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim();
      }).length,
    );
    expect(unnamed).toBe(0);
    await page.screenshot({ path: join(SHOTS, `audit-390-${backend}.png`), fullPage: true });
    expect(problems).toEqual([]);
  });
});

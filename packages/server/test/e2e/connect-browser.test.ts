// The connect flow end to end in headless Chromium: a pretend product (a tiny node:http
// server) creates a connect session; the browser goes through Grantkeeper's start page and
// the emulator's login-and-approve page and lands back at the product. Allow, Deny, and a
// reconnect from a reconnect_url. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { ARTIFACTS_DIR } from '../helpers/paths.js';
import type { SalesforceRig } from '../helpers/salesforce.js';
import { startConnectRig, type ConnectRig } from '../helpers/connect-flow.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

let browser: Browser;
beforeAll(async () => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

/** The product: a page with a Connect button, and the page the flow returns to. */
async function startProduct(rig: SalesforceRig): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Acme CRM sync</title><main>${body}</main></html>`);
    };
    if (req.method === 'GET' && url.pathname === '/') {
      return html('<h1>Acme CRM sync</h1><form method="post" action="/connect"><button type="submit">Connect Salesforce</button></form>');
    }
    if (req.method === 'POST' && url.pathname === '/connect') {
      req.resume();
      void rig.server
        .api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'acme-user-1', email: 'ann@acme.example' }, return_url: `${base}/done` })
        .then((created) => {
          if (created.status !== 201) {
            res.writeHead(500).end(JSON.stringify(created.body));
            return;
          }
          res.writeHead(303, { location: created.body.url }).end();
        });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/done') {
      const q = url.searchParams;
      return html(`<h1>Back at Acme</h1><p>Status: <output id="status">${q.get('status') ?? ''}</output></p>` +
        `<p>Error: <output id="error">${q.get('error') ?? ''}</output></p><p>Connection: <output id="connection">${q.get('connection_id') ?? ''}</output></p>`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Collects Content-Security-Policy violations the page reports. */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  return violations;
}

describe.each(BACKENDS)('connect in the browser on %s', (backend) => {
  let rig: ConnectRig;
  let product: { url: string; close(): Promise<void> };
  let ann: { username: string; userId: string };
  let connectionId = '';
  const shot = (name: string) => join(ARTIFACTS_DIR, `connect-${backend}-${name}.png`);

  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'connect-browser' });
    product = await startProduct(rig);
    ann = rig.user('ann@acme.example');
    rig.user('bob@acme.example');
  });
  afterAll(async () => {
    await product?.close();
    await rig?.stop();
  });

  async function toStartPage(context: BrowserContext): Promise<{ page: Page; csp: string[] }> {
    const page = await context.newPage();
    const csp = watchCsp(page);
    await page.goto(product.url);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${rig.publicUrl}/connect/`)), page.getByRole('button', { name: 'Connect Salesforce' }).click()]);
    return { page, csp };
  }

  test('Allow: product → start page → Salesforce login and approve → back at the product with status=success', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page, csp } = await toStartPage(context);
      await expect(page.title()).resolves.toBe('Connect Salesforce');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connect your Salesforce account');
      const button = page.getByRole('button', { name: 'Continue to Salesforce' });
      expect(await button.isVisible()).toBe(true);
      // The inline stylesheet is allowed by its CSP hash: it applies, and nothing is reported.
      expect(await button.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(9, 105, 218)');
      expect(await page.locator('form[method="post"]').count()).toBe(1);
      await page.screenshot({ path: shot('start-1280'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect((await button.boundingBox())!.width).toBeGreaterThan(300); // full width on a phone
      await page.screenshot({ path: shot('start-390'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      const startUrl = page.url();

      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${rig.emu.url}/services/oauth2/authorize`)), button.click()]);
      await expect(page.title()).resolves.toBe('Login | Salesforce Emulator');
      await page.selectOption('#username', ann.username);
      await page.screenshot({ path: shot('provider-login'), fullPage: true });
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${product.url}/done`)), page.click('#allow')]);
      await expect(page.textContent('#status')).resolves.toBe('success');
      connectionId = (await page.textContent('#connection')) ?? '';
      expect(connectionId).toMatch(/^conn_[0-9a-f]{32}$/);
      await page.screenshot({ path: shot('back-at-product'), fullPage: true });
      expect(csp).toEqual([]);

      const conn = (await rig.server.api('GET', `/v1/connections/${connectionId}`)).body;
      expect(conn).toMatchObject({ status: 'active', end_user: { id: 'acme-user-1', email: 'ann@acme.example' }, provider_account: { user_id: ann.userId } });

      // The link is used up: going back to it shows the "already used" page.
      const again = await page.goto(startUrl);
      expect(again!.status()).toBe(409);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This link was already used');
      await page.screenshot({ path: shot('already-used'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('Deny: back at the product with status=error&error=access_denied, nothing stored', async () => {
    const context = await browser.newContext();
    try {
      const before = (await rig.server.api('GET', '/v1/connections?limit=500')).body.data.length;
      const { page } = await toStartPage(context);
      await Promise.all([page.waitForURL((u) => u.href.startsWith(rig.emu.url)), page.getByRole('button', { name: 'Continue to Salesforce' }).click()]);
      await page.selectOption('#username', 'bob@acme.example');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${product.url}/done`)), page.click('#deny')]);
      await expect(page.textContent('#status')).resolves.toBe('error');
      await expect(page.textContent('#error')).resolves.toBe('access_denied');
      await page.screenshot({ path: shot('denied'), fullPage: true });
      expect((await rig.server.api('GET', '/v1/connections?limit=500')).body.data.length).toBe(before);
    } finally {
      await context.close();
    }
  });

  test('Reconnect: a dead grant, its reconnect_url, the diagnosis in plain words, the same connection back', async () => {
    expect(connectionId).not.toBe('');
    // A grant that worked for a while, then was revoked at Salesforce.
    expect((await rig.server.api('POST', `/v1/connections/${connectionId}/refresh`)).status).toBe(200);
    const approval = rig.emu.approvals({ userId: ann.userId, clientId: rig.clientId }).find((a) => !a.revoked)!;
    rig.emu.revokeApproval(approval.approval_id);
    const dead = await rig.server.api('POST', `/v1/connections/${connectionId}/refresh`);
    expect(dead.status).toBe(409);
    expect(dead.body.diagnosis.code).toBe('revoked');
    const reconnectUrl = dead.body.reconnect_url as string;

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const csp = watchCsp(page);
      await page.goto(reconnectUrl);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Reconnect your Salesforce account');
      await expect(page.getByRole('heading', { name: 'Why you are asked again' }).isVisible()).resolves.toBe(true);
      expect(await page.textContent('main')).toContain(dead.body.diagnosis.summary);
      await page.screenshot({ path: shot('reconnect-390'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.screenshot({ path: shot('reconnect-1280'), fullPage: true });
      await Promise.all([page.waitForURL((u) => u.href.startsWith(rig.emu.url)), page.getByRole('button', { name: 'Continue to Salesforce' }).click()]);
      await page.selectOption('#username', ann.username);
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${product.url}/done`)), page.click('#allow')]);
      await expect(page.textContent('#status')).resolves.toBe('success');
      await expect(page.textContent('#connection')).resolves.toBe(connectionId);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
    const conn = (await rig.server.api('GET', `/v1/connections/${connectionId}`)).body;
    expect(conn).toMatchObject({ status: 'active', diagnosis: null, last_error: null, consecutive_failures: 0 });
    expect((await rig.server.api('GET', `/v1/connections/${connectionId}/token`)).status).toBe(200);
  });
});

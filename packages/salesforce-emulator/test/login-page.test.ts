import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '../src/index.js';

/** The login-and-approve page in headless Chromium: a person picks a user, then Allow or Deny. */

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

let browser: Browser;
let callbackServer: Server;
let callbackUrl: string;
let emu: SalesforceEmulator;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  // The app's callback: a real page, so the browser lands somewhere after the redirect.
  callbackServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>callback</title><p>back at the app</p>');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => callbackServer?.close(resolve));
});

beforeEach(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
  emu.createApp({ clientId: 'browser-app', clientSecret: 's', name: 'Grantkeeper Test App', callbackUrls: [callbackUrl] });
  emu.createUser({ username: 'ann@example.com' });
  emu.createUser({ username: 'bob@example.com' });
});
afterEach(async () => emu.close());

function authorizeUrl(state: string): string {
  const params = new URLSearchParams({ response_type: 'code', client_id: 'browser-app', redirect_uri: callbackUrl, scope: 'api refresh_token', state });
  return `${emu.url}/services/oauth2/authorize?${params}`;
}

describe('login page', () => {
  it('pick a user and Allow: the browser lands on the callback with a code that exchanges for bob', async () => {
    const page = await browser.newPage();
    await page.goto(authorizeUrl('allow-state'));
    await expect(page.title()).resolves.toBe('Login | Salesforce Emulator');
    expect(await page.textContent('#app-name')).toBe('Grantkeeper Test App');
    await page.selectOption('#username', 'bob@example.com');
    await page.screenshot({ path: `${ARTIFACTS}emulator-login-page.png` });
    await Promise.all([page.waitForURL((url) => url.href.startsWith(callbackUrl)), page.click('#allow')]);
    await page.screenshot({ path: `${ARTIFACTS}emulator-login-allowed.png` });
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('allow-state');
    const code = landed.searchParams.get('code')!;
    expect(code).toMatch(/==$/);

    const res = await fetch(`${emu.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: 'browser-app', client_secret: 's', redirect_uri: callbackUrl }),
    });
    const body = (await res.json()) as { id: string };
    expect(body.id).toBe(`${emu.url}/id/${emu.getUser('bob@example.com')!.org_id}/${emu.getUser('bob@example.com')!.user_id}`);

    // Logged in and approved: the next authorize goes straight back, unless prompt=consent.
    await page.goto(authorizeUrl('again'));
    expect(new URL(page.url()).searchParams.get('state')).toBe('again');
    await page.goto(`${authorizeUrl('consent')}&prompt=consent`);
    expect(await page.title()).toBe('Login | Salesforce Emulator');
    await page.close();
  });

  it('Deny: the callback gets error=access_denied and the state', async () => {
    const page = await browser.newPage();
    await page.goto(authorizeUrl('deny-state'));
    await Promise.all([page.waitForURL((url) => url.href.startsWith(callbackUrl)), page.click('#deny')]);
    await page.screenshot({ path: `${ARTIFACTS}emulator-login-denied.png` });
    const landed = new URL(page.url());
    expect(Object.fromEntries(landed.searchParams)).toEqual({ error: 'access_denied', error_description: 'end-user denied authorization', state: 'deny-state' });
    expect(emu.stats().authorizations).toBe(0);
    await page.close();
  });
});

// The dashboard in headless Chromium on a seeded server (Salesforce emulator, real
// refreshes, a dead grant, a webhook receiver), plus its HTTP-level guarantees: session
// cookie, CSP, CSRF, escaping, no 5xx — on both databases.
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { ARTIFACTS_DIR } from './helpers/paths.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const SHOTS = join(ARTIFACTS_DIR, 'ui');

/** A webhook receiver whose answer the test switches. */
async function startReceiver(): Promise<{ url: string; status: number; received: number; close(): Promise<void> }> {
  const state = { status: 410, received: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received++;
      res.writeHead(state.status, { 'content-type': 'text/plain' }).end(state.status === 410 ? 'gone for now' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe.each(BACKENDS)('dashboard on %s', (backend) => {
  let rig: SalesforceRig;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secrets: string[] = [];
  const healthy: string[] = [];
  let dead: { id: string; endUser: string };
  let other: { id: string; endUser: string; orgId: string };
  let hostileId: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    rig = await startSalesforceRig(backend, {
      logName: 'ui',
      env: { GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '50', GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '40', GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '200', GRANTKEEPER_WEBHOOK_TIMEOUT_MS: '2000' },
    });
    receiver = await startReceiver();
    const endpoint = await rig.server.api('POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['connection.reauth_required'] });
    expect(endpoint.status).toBe(201);
    secrets.push(endpoint.body.secret, rig.clientSecret, rig.server.key);

    for (let i = 0; i < 3; i++) {
      const grant = await rig.importGrant(rig.user().username, `customer-${i}`);
      const token = await rig.server.api('GET', `/v1/connections/${grant.id}/token`);
      expect(token.status).toBe(200);
      secrets.push(grant.refreshToken, token.body.access_token);
      healthy.push(grant.id);
    }
    const otherUser = rig.user(undefined, '00D0000000OTHER');
    const otherGrant = await rig.importGrant(otherUser.username, 'customer-other-org');
    const otherToken = await rig.server.api('GET', `/v1/connections/${otherGrant.id}/token`);
    expect(otherToken.status).toBe(200);
    secrets.push(otherGrant.refreshToken, otherToken.body.access_token);
    other = { id: otherGrant.id, endUser: 'customer-other-org', orgId: (await rig.server.api('GET', `/v1/connections/${otherGrant.id}`)).body.provider_account.org_id };
    expect(other.orgId).toHaveLength(18);

    // A grant that worked, then was revoked at Salesforce.
    const deadGrant = await rig.importGrant(rig.user().username, 'customer-dead');
    secrets.push(deadGrant.refreshToken);
    const worked = await rig.server.api('GET', `/v1/connections/${deadGrant.id}/token`);
    expect(worked.status).toBe(200);
    secrets.push(worked.body.access_token);
    rig.emu.revokeApproval(deadGrant.refreshToken);
    const refused = await rig.server.api('GET', `/v1/connections/${deadGrant.id}/token?force=true`);
    expect(refused.status).toBe(409);
    dead = { id: deadGrant.id, endUser: 'customer-dead' };

    // An end-user id a hostile app could choose: it must come out escaped.
    const hostile = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey, end_user: { id: '<img src=x onerror=alert(1)>' }, credentials: { refresh_token: 'hostile-refresh-token-not-real' },
    });
    expect(hostile.status).toBe(201);
    hostileId = hostile.body.id;

    // Refreshes three days ago: visible in the 7-day window only.
    const integrationId = (await rig.server.ctx.db.kysely.selectFrom('integrations').select('id').where('key', '=', rig.integrationKey).executeTakeFirstOrThrow()).id;
    const threeDaysAgo = new Date(Math.floor((Date.now() - 3 * 86_400_000) / 60_000) * 60_000);
    await rig.server.ctx.db.kysely.insertInto('refresh_stats').values([
      { integration_id: integrationId, bucket: threeDaysAgo, outcome: 'success', count: 40 },
      { integration_id: integrationId, bucket: threeDaysAgo, outcome: 'transient_error', count: 6 },
    ]).execute();

    // An active failure spike in one org (as the spike detector records it).
    await rig.server.ctx.db.kysely.insertInto('spikes').values({
      id: crypto.randomUUID(), integration_id: integrationId, org_id: '00D0000000SPIKEAAA', started_at: new Date(), last_seen_at: new Date(),
      count: 7, connection_ids: JSON.stringify([]) as never, diagnosis_code: 'org_wide_revocation',
    }).execute();

    // The reauth_required webhook reaches a receiver answering 410: failed, endpoint disabled.
    await until('a failed delivery', async () => {
      const list = await rig.server.api('GET', '/v1/webhook-deliveries?status=failed');
      return list.body.data?.length > 0;
    }, 10_000, 50);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await rig?.stop();
  });

  async function openPage(width: number, height = 900): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.server.url });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    return { page, problems };
  }

  /** Logs in (after one wrong key, whose 401 page Chrome reports on the console: cleared). */
  async function logIn(page: Page, problems: string[]): Promise<void> {
    await page.goto(`${rig.server.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.getByLabel('Secret key').fill('gk_sk_wrong_key_000000000000');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.getByLabel('Secret key').fill(rig.server.key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${rig.server.url}/ui`);
    expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    problems.length = 0;
  }

  const chartTotal = async (page: Page, outcome: string) => Number(await page.locator(`#chart-totals [data-outcome="${outcome}"]`).textContent());

  test('log in, read the overview, change the chart window, filter, diagnose, force a refresh, copy a reconnect link, retry a delivery — no console errors', async () => {
    const { page, problems } = await openPage(1280);
    await logIn(page, problems);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'gk_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });

    // Overview: counts by status, the chart, integrations' health.
    await expect.poll(() => page.locator('.cards').textContent()).toMatch(/1\s*✕ Needs re-auth/);
    await expect.poll(() => page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    const dayTotal = await chartTotal(page, 'success');
    expect(dayTotal).toBeGreaterThanOrEqual(4); // the four token calls above
    expect(await chartTotal(page, 'permanent_error')).toBeGreaterThanOrEqual(1);
    const spikes = await page.locator('#spikes').textContent();
    expect(spikes).toContain('00D0000000SPIKEAAA');
    expect(spikes).toContain('org_wide_revocation');
    await page.screenshot({ path: join(SHOTS, `overview-1280-${backend}.png`), fullPage: true });

    await page.getByRole('link', { name: '7 days' }).click();
    await page.waitForURL(/window=7d/);
    expect(await page.getByRole('link', { name: '7 days' }).getAttribute('aria-current')).toBe('true');
    expect(await chartTotal(page, 'success')).toBe(dayTotal + 40);
    expect(await chartTotal(page, 'transient_error')).toBe(6);
    await page.getByRole('link', { name: '1 hour' }).click();
    await page.waitForURL(/window=1h/);
    expect(await page.locator('svg.chart desc').textContent()).toMatch(/^6[01] minute buckets/);
    expect(await chartTotal(page, 'success')).toBe(dayTotal);
    await page.getByLabel('Integration', { exact: true }).selectOption(rig.integrationKey);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/integration=/);
    expect(await page.locator('svg.chart title').first().textContent()).toContain(`integration ${rig.integrationKey}`);

    // Connections: filter by status, open the dead grant.
    await page.getByRole('link', { name: 'Connections', exact: true }).click();
    await page.getByLabel('Status', { exact: true }).selectOption('needs_reauth');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=needs_reauth/);
    await expect.poll(() => page.locator('#connections-table tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, `connections-1280-${backend}.png`), fullPage: true });
    await page.getByRole('link', { name: dead.endUser }).click();
    await page.waitForURL(new RegExp(`/ui/connections/${dead.id}$`));

    // The diagnosis card.
    const card = page.locator('#diagnosis');
    expect(await card.locator('[data-diagnosis-code]').textContent()).toBe('revoked');
    expect(await card.locator('.summary').textContent()).not.toBe('');
    expect(await card.locator('[data-who-fixes]').getAttribute('data-who-fixes')).toBe('end_user');
    expect(await card.locator('ol li').count()).toBeGreaterThan(0);
    expect(await page.locator('#connection-status').textContent()).toContain('Needs re-auth');

    // Force a refresh: exactly one provider call, still refused, shown as such.
    const before = rig.emu.stats().refresh_attempts;
    await page.getByRole('button', { name: 'Force a refresh now' }).click();
    await page.waitForURL(/notice=refresh_reauth/);
    expect(await page.getByRole('alert').textContent()).toContain('needs re-authentication');
    expect(rig.emu.stats().refresh_attempts - before).toBe(1);
    expect(await page.locator('#timeline li').first().textContent()).toContain('forced');

    // A fresh reconnect link, fetched from /v1 with the session cookie and copied.
    await page.getByRole('button', { name: 'Copy a fresh reconnect link' }).click();
    await expect.poll(() => page.locator('#reconnect-url').inputValue()).toMatch(new RegExp(`/reconnect/${dead.id}\\?sig=`));
    await expect.poll(() => page.locator('#reconnect-status').textContent()).toMatch(/copied|ready/);
    const link = await page.locator('#reconnect-url').inputValue();
    const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    if (clip !== null) expect(clip).toBe(link);
    await page.screenshot({ path: join(SHOTS, `connection-1280-${backend}.png`), fullPage: true });

    // A healthy connection's forced refresh succeeds.
    await page.goto(`${rig.server.url}/ui/connections/${healthy[0]}`);
    await page.getByRole('button', { name: 'Force a refresh now' }).click();
    await page.waitForURL(/notice=refresh_ok/);
    expect(await page.getByRole('status').first().textContent()).toContain('Refreshed');

    // Filter by org, and search by end user id.
    await page.goto(`${rig.server.url}/ui/connections`);
    await page.getByLabel('Org id').fill(other.orgId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/org_id=/);
    expect(await page.locator('#connections-table tbody tr').count()).toBe(1);
    expect(await page.locator('#connections-table tbody').textContent()).toContain(other.endUser);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('End user id').fill('customer-1');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/end_user_id=customer-1/);
    expect(await page.locator('#connections-table tbody tr').count()).toBe(1);

    // Webhooks: the 410 disabled the endpoint and failed the delivery. Enable, retry → delivered.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    expect(await page.locator('#endpoints-table').textContent()).toContain('Disabled');
    const failedRow = page.locator('#deliveries-table tbody tr', { hasText: 'Failed' }).first();
    expect(await failedRow.textContent()).toContain('HTTP 410');
    const deliveryId = await failedRow.getAttribute('data-delivery');
    receiver.status = 204;
    await page.getByRole('button', { name: /^Enable/ }).click();
    await page.waitForURL(/notice=endpoint_enabled/);
    await page.locator(`tr[data-delivery="${deliveryId}"]`).getByRole('button', { name: 'Retry now' }).click();
    await page.waitForURL(/notice=delivery_retried/);
    expect(await page.getByRole('status').first().textContent()).toContain('queued');
    await until('the retried delivery', async () => (await rig.server.api('GET', `/v1/webhook-deliveries/${deliveryId}`)).body.status === 'delivered', 10_000, 50);
    await page.reload();
    expect(await page.locator(`tr[data-delivery="${deliveryId}"]`).textContent()).toContain('Delivered');
    await page.getByRole('button', { name: /^Ping/ }).click();
    await page.waitForURL(/notice=ping_delivered/);
    await page.screenshot({ path: join(SHOTS, `webhooks-1280-${backend}.png`), fullPage: true });
    await page.getByRole('button', { name: /^Disable/ }).click();
    await page.waitForURL(/notice=endpoint_disabled/);
    expect(await page.locator('#endpoints-table').textContent()).toContain('Disabled');

    // No secret ever reached a page.
    for (const path of ['/ui', '/ui/connections', `/ui/connections/${dead.id}`, `/ui/connections/${healthy[0]}`, '/ui/webhooks']) {
      await page.goto(`${rig.server.url}${path}`);
      const content = await page.content();
      for (const secret of secrets) expect(content).not.toContain(secret);
    }

    // Log out: the cookie is cleared and the old session no longer opens /v1.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/ui\/login$/);
    const reuse = await fetch(`${rig.server.url}/v1/stats/connections`, { headers: { cookie: `gk_session=${cookie.value}` } });
    expect(reuse.status).toBe(401);

    expect(problems).toEqual([]);
  });

  test('at 390 px wide: every page fits the viewport and is keyboard-navigable', async () => {
    const { page, problems } = await openPage(390, 844);
    await logIn(page, problems);
    // The first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Focus is visible: a solid outline on the focused control.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => [document.activeElement?.tagName, getComputedStyle(document.activeElement!).outlineStyle])).toEqual(['A', 'solid']);
    for (const [name, path] of [
      ['overview', '/ui'],
      ['connections', '/ui/connections'],
      ['connection', `/ui/connections/${dead.id}`],
      ['webhooks', '/ui/webhooks'],
    ] as const) {
      await page.goto(`${rig.server.url}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${name}-390-${backend}.png`), fullPage: true });
    }
    // Every form control has an accessible name.
    for (const path of ['/ui', '/ui/connections', `/ui/connections/${dead.id}`, '/ui/webhooks']) {
      await page.goto(`${rig.server.url}${path}`);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('input:not([type=hidden]), select, button')].filter((el) => {
          const e = el as HTMLInputElement;
          return !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim();
        }).length,
      );
      expect(unnamed, path).toBe(0);
    }
    // Keyboard only: tab to the status filter, choose, submit.
    await page.goto(`${rig.server.url}/ui/connections`);
    await page.getByLabel('Status', { exact: true }).focus();
    await page.keyboard.press('End');
    await page.getByRole('button', { name: 'Filter' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/status=integration_error/);
    expect(problems).toEqual([]);
  });

  test('hostile end-user ids are escaped', async () => {
    const { page, problems } = await openPage(1280);
    await logIn(page, problems);
    let alerted = false;
    page.on('dialog', async (dialog) => {
      alerted = true;
      await dialog.dismiss();
    });
    await page.goto(`${rig.server.url}/ui/connections/${hostileId}`);
    expect(await page.locator('h1').textContent()).toContain('<img src=x onerror=alert(1)>');
    await page.goto(`${rig.server.url}/ui/connections`);
    expect(await page.locator('img').count()).toBe(0);
    expect(alerted).toBe(false);
    expect(problems).toEqual([]);
  });

  describe('HTTP guarantees', () => {
    const url = (path: string) => `${rig.server.url}${path}`;
    const login = async () => {
      const res = await fetch(url('/ui/session'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: rig.server.key }) });
      expect(res.status).toBe(204);
      const setCookie = res.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^gk_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
      return setCookie.split(';')[0]!;
    };

    test('pages need a session; a wrong key is refused; headers are strict', async () => {
      const anonymous = await fetch(url('/ui/connections'), { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe('/ui/login');
      const wrong = await fetch(url('/ui/session'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'nope-nope-nope-nope' }) });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      // The API's own problem document (api/problem.ts), not one written by the dashboard.
      expect(wrong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await wrong.json()).toEqual({
        type: 'https://grantkeeper.dev/problems/unauthorized',
        title: 'Unauthorized',
        status: 401,
        code: 'unauthorized',
        detail: 'The secret key is not valid.',
      });
      const cookie = await login();
      const page = await fetch(url('/ui'), { headers: { cookie } });
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const body = await page.text();
      expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
      expect(body).not.toMatch(/\sstyle=/); // no inline style
      expect(body).not.toMatch(/\son[a-z]+=/); // no inline handlers
    });

    test('the session opens /v1 for reads; writes also need the CSRF token; tampering is refused', async () => {
      const cookie = await login();
      expect((await fetch(url('/v1/stats/connections'), { headers: { cookie } })).status).toBe(200);
      // …but never a token: the dashboard shows none, so its session cannot fetch one.
      expect((await fetch(url(`/v1/connections/${healthy[1]}/token`), { headers: { cookie } })).status).toBe(403);
      const noToken = await fetch(url(`/v1/connections/${healthy[1]}/reconnect-link`), { method: 'POST', headers: { cookie } });
      expect(noToken.status).toBe(401);
      const pageHtml = await (await fetch(url('/ui'), { headers: { cookie } })).text();
      const csrf = /name="gk-csrf" content="([^"]+)"/.exec(pageHtml)![1]!;
      const withToken = await fetch(url(`/v1/connections/${healthy[1]}/reconnect-link`), { method: 'POST', headers: { cookie, 'x-grantkeeper-csrf': csrf } });
      expect(withToken.status).toBe(200);
      const [name, value] = cookie.split('=') as [string, string];
      const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
      expect((await fetch(url('/v1/stats/connections'), { headers: { cookie: tampered } })).status).toBe(401);
      const extended = value.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 3600}.`);
      expect((await fetch(url('/v1/stats/connections'), { headers: { cookie: `${name}=${extended}` } })).status).toBe(401);
      // A form post without the page's token is refused, and nothing happens.
      const before = rig.emu.stats().refresh_attempts;
      const forged = await fetch(url(`/ui/connections/${healthy[1]}/refresh`), { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=forged', redirect: 'manual' });
      expect(forged.status).toBe(403);
      const crossSite = await fetch(url(`/ui/connections/${healthy[1]}/refresh`), { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}`, redirect: 'manual' });
      expect(crossSite.status).toBe(403);
      expect(rig.emu.stats().refresh_attempts).toBe(before);
    });

    test('the connections page walks keyset pages of 50 to the end without repeating a row', async () => {
      const cookie = await login();
      const integrationId = (await rig.server.ctx.db.kysely.selectFrom('integrations').select('id').where('key', '=', rig.integrationKey).executeTakeFirstOrThrow()).id;
      const base = Date.now() - 86_400_000;
      await rig.server.ctx.db.kysely.insertInto('connections').values(
        Array.from({ length: 110 }, (_, i) => ({
          id: crypto.randomUUID(), integration_id: integrationId, end_user_id: `paged-${i}`, created_at: new Date(base - (i % 55) * 1000), // pairs share a created_at: the id breaks ties
        })),
      ).execute();
      const total = Number((await rig.server.ctx.db.kysely.selectFrom('connections').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const seen = new Set<string>();
      let next: string | null = '/ui/connections';
      let pages = 0;
      while (next) {
        const res: Response = await fetch(url(next), { headers: { cookie } });
        expect(res.status).toBe(200);
        const body: string = await res.text();
        const ids = [...body.matchAll(/data-connection="(conn_[0-9a-f]{32})"/g)].map((m) => m[1]!);
        expect(ids.length).toBeLessThanOrEqual(50);
        for (const id of ids) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
        pages++;
        next = /<a rel="next" href="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&') ?? null;
      }
      expect(seen.size).toBe(total);
      expect(pages).toBe(Math.ceil(total / 50));
    });

    test.each([
      '/ui/connections?status=bogus',
      '/ui/connections?org_id=%3Cscript%3E',
      '/ui/connections?cursor=not-a-cursor',
      '/ui/connections/..%2F..%2Fintegrations',
      '/ui/connections/conn_00000000000000000000000000000000',
      `/ui/connections/${'x'.repeat(300)}`,
      '/ui?window=forever&integration=nope',
      '/ui/webhooks?status=bogus&endpoint=zzz&cursor=%00',
      '/ui/connections/conn_00000000000000000000000000000000?events_cursor=zz',
    ])('no 5xx for %s', async (path) => {
      const cookie = await login();
      const res = await fetch(url(path), { headers: { cookie }, redirect: 'manual' });
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain('<script>');
    });

    test('no 5xx for malformed posts', async () => {
      const cookie = await login();
      for (const [path, body, type] of [
        ['/ui/session', '%%%', 'application/x-www-form-urlencoded'],
        ['/ui/session', '{"key": 5}', 'application/json'],
        ['/ui/session', 'x'.repeat(20_000), 'application/x-www-form-urlencoded'],
        ['/ui/webhooks/endpoints/we_x/explode', '_csrf=x', 'application/x-www-form-urlencoded'],
        ['/ui/webhooks/deliveries/zzz/retry', '_csrf=x', 'application/x-www-form-urlencoded'],
        ['/ui/logout', '', 'text/plain'],
      ] as const) {
        const res = await fetch(url(path), { method: 'POST', headers: { cookie, 'content-type': type }, body, redirect: 'manual' });
        expect(res.status, path).toBeLessThan(500);
      }
    });
  });
});

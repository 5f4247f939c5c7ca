// Every HTML page the server renders carries the security headers: a CSP that forbids
// framing, X-Frame-Options, nosniff, a referrer policy, and (but for the API reference) no
// caching; and the dashboard's and connect pages' own stricter policies stay in place.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

describe('security headers on every HTML page', () => {
  let rig: SalesforceRig;
  const pages: { name: string; path: string; method?: string }[] = [];

  beforeAll(async () => {
    rig = await startSalesforceRig('pglite', { logName: 'security-headers' });
    const { id } = await rig.importGrant(rig.user().username);
    const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'u' } });
    const token = session.body.url.split('/connect/')[1];
    const reconnect = await rig.server.api('POST', `/v1/connections/${id}/reconnect-link`);
    pages.push(
      { name: 'connect start page', path: `/connect/${token}` },
      { name: 'connect page for an unknown link', path: '/connect/ct_unknown' },
      { name: 'forged OAuth callback', path: '/oauth/callback?state=forged&code=x' },
      { name: 'reconnect with a bad signature', path: `/reconnect/${id}?sig=1.test1.${'A'.repeat(43)}` },
      { name: 'dashboard', path: '/ui' },
      { name: 'API reference', path: '/docs/' },
    );
    if (reconnect.status === 200) pages.push({ name: 'reconnect page', path: new URL(reconnect.body.url).pathname + new URL(reconnect.body.url).search });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('each page: CSP with frame-ancestors none, X-Frame-Options DENY, nosniff, no cross-origin referrer', async () => {
    expect(pages.length).toBeGreaterThanOrEqual(6);
    for (const page of pages) {
      const res = await fetch(`${rig.server.url}${page.path}`, { redirect: 'follow' });
      const type = res.headers.get('content-type') ?? '';
      expect(type, `${page.name} is HTML`).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, `${page.name} CSP`).toMatch(/frame-ancestors 'none'/);
      expect(csp, `${page.name} CSP`).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(res.headers.get('x-frame-options'), page.name).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), page.name).toBe('nosniff');
      expect(['no-referrer', 'same-origin'], page.name).toContain(res.headers.get('referrer-policy'));
      // Pages that show a connection, a link or a session are never kept by a cache; the API
      // reference is the same for everyone.
      if (page.name !== 'API reference') expect(res.headers.get('cache-control'), `${page.name} cache-control`).toBe('no-store');
    }
  });

  test('JSON responses are nosniff too, and no page embeds a token', async () => {
    const res = await rig.server.api('GET', '/v1/integrations');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    for (const page of pages) {
      const html = await (await fetch(`${rig.server.url}${page.path}`)).text();
      expect(html).not.toContain(rig.clientSecret);
      expect(html).not.toMatch(/00D[A-Za-z0-9]{12}!/); // Salesforce access tokens
    }
  });
});

// Behaviour classes the catalog adds, over real HTTP against the emulator's generic mode (no
// database): extra parameters that name the client id under another name (TikTok's
// client_key) reach the token endpoint with the integration's client id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { oauthClient } from '../src/oauth/client.js';
import { refreshGrant } from '../src/oauth/refresh-grant.js';
import { ProviderRegistry } from '../src/providers/registry.js';

describe('extra token parameters from the catalog, on the wire', () => {
  let emu: SalesforceEmulator;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
  });
  afterAll(() => emu?.close());

  it('TikTok\'s client_key is sent with the refresh, holding the integration\'s client id', async () => {
    const clientId = 'tiktok-client-key-1';
    emu.createApp({ clientId, clientSecret: 'tiktok-secret', mode: 'generic', callbackUrls: ['https://app.example/cb'] });
    emu.createUser({ username: 'tiktok-user@example.com' });
    const tokens = emu.issueTokens({ clientId, username: 'tiktok-user@example.com' });

    const endpoints = new ProviderRegistry().endpoints({ provider: 'tiktok', clientId, scopes: [], authBaseUrl: null, providerConfig: {} });
    expect(endpoints.tokenParams).toEqual({ client_key: clientId });
    // The catalog's token URL is TikTok's; the request shape is what is under test, so it goes to the emulator.
    const client = oauthClient({ endpoints: { ...endpoints, tokenUrl: `${emu.url}/oauth2/token` }, clientId, clientSecret: 'tiktok-secret', fetch, allowInsecure: true });
    const outcome = await refreshGrant(client, String(tokens.refresh_token), { params: endpoints.tokenParams });
    expect(outcome.ok).toBe(true);
    const seen = emu.requestLog({ endpoint: 'token' }).at(-1)!;
    expect(seen).toMatchObject({ grant_type: 'refresh_token', client_id: clientId, client_auth: 'body', status: 200 });
    expect(seen.fields).toEqual(['client_id', 'client_key', 'client_secret', 'grant_type', 'refresh_token']);
  });

  it('a provider without extra parameters sends only the RFC 6749 ones', async () => {
    const clientId = 'plain-client-1';
    emu.createApp({ clientId, clientSecret: 'plain-secret', mode: 'generic', callbackUrls: ['https://app.example/cb'] });
    emu.createUser({ username: 'plain-user@example.com' });
    const tokens = emu.issueTokens({ clientId, username: 'plain-user@example.com' });
    const endpoints = new ProviderRegistry().endpoints({ provider: 'hubspot', clientId, scopes: [], authBaseUrl: null, providerConfig: {} });
    const client = oauthClient({ endpoints: { ...endpoints, tokenUrl: `${emu.url}/oauth2/token` }, clientId, clientSecret: 'plain-secret', fetch, allowInsecure: true });
    expect((await refreshGrant(client, String(tokens.refresh_token), { params: endpoints.tokenParams })).ok).toBe(true);
    expect(emu.requestLog({ endpoint: 'token' }).at(-1)!.fields).toEqual(['client_id', 'client_secret', 'grant_type', 'refresh_token']);
  });
});

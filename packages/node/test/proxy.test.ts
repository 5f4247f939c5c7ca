// gk.proxy() and its get/post conveniences against a real Grantkeeper server and the
// Salesforce emulator: a key with only the `proxy` scope calls the provider, across a
// session the provider ended, and Grantkeeper's own refusals arrive as typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grantkeeper, NotFoundError, ReauthRequiredError, ValidationError } from '../src/index.js';
import { startRealBackend, type RealBackend } from './real-server-backend.js';

let backend: RealBackend;
let gk: Grantkeeper;

beforeAll(async () => {
  backend = await startRealBackend();
  const key = await backend.api('POST', '/v1/api-keys', { name: 'sdk-proxy', scopes: ['proxy'] });
  expect(key.status).toBe(201);
  gk = new Grantkeeper({ baseUrl: backend.baseUrl, secretKey: key.body.secret });
});
afterAll(async () => {
  await backend?.close();
});

describe('gk.proxy', () => {
  it('gets through the proxy with a proxy-only key: the provider answer as a Response', async () => {
    const id = await backend.createConnection();
    const res = await gk.get({ connectionId: id, path: '/services/data/v62.0/query', query: { q: 'SELECT Id, Name FROM Account LIMIT 2' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('sforce-limit-info')).toMatch(/^api-usage=/);
    expect(((await res.json()) as { totalSize: number }).totalSize).toBe(2);
    // The provider's own errors are answers, not exceptions.
    const missing = await gk.proxy({ connectionId: id, method: 'GET', path: '/services/data/v62.0/no-such-resource' });
    expect(missing.status).toBe(404);
  });

  it('posts a JSON body, and keeps working after the provider ended the session', async () => {
    const id = await backend.createConnection();
    expect((await gk.get({ connectionId: id, path: '/services/data/v62.0/limits' })).status).toBe(200);
    await backend.expireSession(id);
    const res = await gk.post({ connectionId: id, path: '/services/data/v62.0/query', query: { q: 'SELECT Id FROM Account' }, body: { ignored: true } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { totalSize: number }).totalSize).toBe(3);
  });

  it("throws Grantkeeper's refusals as typed errors: a dead grant, an unknown connection, a hostile path", async () => {
    const id = await backend.createConnection();
    await backend.problemStates.reauth_required!(id);
    const dead = await gk.get({ connectionId: id, path: '/services/data/v62.0/limits' }).catch((e: unknown) => e);
    expect(dead).toBeInstanceOf(ReauthRequiredError);
    expect((dead as ReauthRequiredError).reconnectUrl).toMatch(/\/reconnect\//);
    const unknown = await gk.get({ connectionId: 'conn_00000000000000000000000000000000', path: '/x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    const other = await backend.createConnection();
    const hostile = await gk.get({ connectionId: other, path: '//evil.example/steal' }).catch((e: unknown) => e);
    expect(hostile).toMatchObject({ status: 400, code: 'proxy_path_refused' });
    expect(hostile).toBeInstanceOf(ValidationError); // every 400 is one
    await expect(gk.get({ connectionId: other, path: 'no-slash' })).rejects.toThrow(TypeError);
    // Dot segments would be resolved by URL parsing into another Grantkeeper route: refused here.
    await expect(gk.get({ connectionId: other, path: '/services/../../token' })).rejects.toThrow(TypeError);
    await expect(gk.get({ connectionId: other, path: '/%2E%2e/token' })).rejects.toThrow(TypeError);
  });
});

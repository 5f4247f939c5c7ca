import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, postToken, SECRET, startWorld, type World } from './helpers.js';

/**
 * The server-to-server grants: JWT Bearer (RFC 7523) and Client Credentials, each failure a
 * switch, and conformance with oauth4webapi (jsforce 3.10 has no JWT Bearer login to test with).
 */

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const { privateKey, publicKey } = keys();

/** An RS256 JWS built by hand, so a test can also build the bad ones (wrong alg, odd claims). */
function assertion(claims: Record<string, unknown>, key = privateKey, alg = 'RS256'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

let w: World;
beforeEach(async () => {
  w = await startWorld({ jwtCertificate: publicKey, runAsUsername: 'ann@example.com' });
  w.emu.setPermitted(w.userId, w.clientId, true);
});
afterEach(async () => w.emu.close());

const nowS = () => Math.floor(w.emu.clock.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({ iss: w.clientId, sub: w.username, aud: 'https://login.salesforce.com', exp: nowS() + 120, ...over });
const jwtGrant = (token: string) => postToken(w.emu, { grant_type: JWT_BEARER, assertion: token });

describe('JWT Bearer', () => {
  it('mints a Salesforce token for the subject, without a refresh token', async () => {
    const res = await jwtGrant(assertion(claims()));
    expect(res.status).toBe(200);
    expect(res.json.access_token).toMatch(/^00D/);
    expect(res.json.refresh_token).toBeUndefined();
    expect(res.json.id).toBe(`${w.emu.url}/id/${w.orgId}/${w.userId}`);
    expect(res.json.instance_url).toBe(w.emu.instanceUrl);
    expect(w.emu.stats().jwt_bearer_grants).toBe(1);
    // The token is a real session at the REST stub.
    const rest = await call(`${w.emu.instanceUrl}/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${res.json.access_token}` } });
    expect(rest.status).toBe(200);
  });

  it.each([
    ['no certificate on the app', () => { w.emu.updateApp(w.clientId, { jwtCertificate: null }); return assertion(claims()); }, 'invalid_grant', 'invalid assertion'],
    ['signed by another key', () => assertion(claims(), keys().privateKey), 'invalid_grant', 'invalid assertion'],
    ['alg other than RS256', () => assertion(claims(), privateKey, 'RS512'), 'invalid_grant', 'invalid assertion'],
    ['not a JWT', () => 'not-a-jwt', 'invalid_grant', 'invalid assertion'],
    ['iss names no app', () => assertion(claims({ iss: 'nobody' })), 'invalid_client_id', 'client identifier invalid'],
    ['aud not a login host', () => assertion(claims({ aud: 'https://example.com' })), 'invalid_grant', 'audience is invalid'],
    ['exp in the past', () => assertion(claims({ exp: nowS() - 1 })), 'invalid_grant', 'expired authorization code'],
    ['exp more than 3 minutes ahead', () => assertion(claims({ exp: nowS() + 600 })), 'invalid_grant', 'invalid assertion'],
    ['unknown subject', () => assertion(claims({ sub: 'nobody@example.com' })), 'invalid_grant', 'invalid assertion'],
    ['user not pre-authorized, never approved', () => { w.emu.setPermitted(w.userId, w.clientId, false); return assertion(claims()); }, 'invalid_grant', "user hasn't approved this consumer"],
    ['user deactivated', () => { w.emu.deactivateUser(w.userId); return assertion(claims()); }, 'invalid_grant', 'inactive user'],
  ])('%s', async (_name, make, error, description) => {
    const res = await jwtGrant(make());
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error, error_description: description });
  });

  it('a user who approved the app before needs no pre-authorization (Permitted Users: all)', async () => {
    w.emu.setPermitted(w.userId, w.clientId, false);
    expect((await jwtGrant(assertion(claims()))).status).toBe(400);
    w.emu.issueTokens({ clientId: w.clientId, username: w.username });
    expect((await jwtGrant(assertion(claims()))).status).toBe(200);
  });

  it('accepts a PEM certificate within its dates (the control API takes it as jwt_certificate)', async () => {
    const bad = await call(`${w.emu.url}/__emulator/apps/${w.clientId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt_certificate: 'garbage' }) });
    expect(bad.status).toBe(400);
    const ok = await call(`${w.emu.url}/__emulator/apps/${w.clientId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt_certificate: publicKey }) });
    expect(ok.status).toBe(200);
  });

  it('a certificate is honoured within its dates only: an expired one refuses every assertion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cert-'));
    writeFileSync(join(dir, 'key.pem'), privateKey);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', join(dir, 'key.pem'), '-days', '1', '-subj', '/CN=emulator-test', '-out', join(dir, 'cert.pem')]);
    w.emu.updateApp(w.clientId, { jwtCertificate: readFileSync(join(dir, 'cert.pem'), 'utf8') });
    w.emu.clock.set(Date.now() + 60_000);
    expect((await jwtGrant(assertion(claims()))).status).toBe(200);
    w.emu.clock.advance(2 * 86_400_000);
    expect((await jwtGrant(assertion(claims()))).json).toEqual({ error: 'invalid_grant', error_description: 'invalid assertion' });
  });

  it('oauth4webapi: the generic token request and response processing accept it', async () => {
    const as: oauth.AuthorizationServer = { issuer: w.emu.url, token_endpoint: `${w.emu.url}/services/oauth2/token` };
    const client: oauth.Client = { client_id: w.clientId };
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), JWT_BEARER, { assertion: assertion(claims()) }, insecure);
    const body = await oauth.processGenericTokenEndpointResponse(as, client, response);
    expect(body.token_type).toBe('bearer');
    expect(body.refresh_token).toBeUndefined();
  });
});

describe('Client Credentials', () => {
  const as = () => ({ issuer: w.emu.url, token_endpoint: `${w.emu.url}/services/oauth2/token` }) as oauth.AuthorizationServer;

  it('oauth4webapi (secret in the body and Basic): a token that acts as the run-as user', async () => {
    const client: oauth.Client = { client_id: w.clientId };
    for (const auth of [oauth.ClientSecretPost(SECRET), oauth.ClientSecretBasic(SECRET)]) {
      const response = await oauth.clientCredentialsGrantRequest(as(), client, auth, {}, insecure);
      const body = await oauth.processClientCredentialsResponse(as(), client, response);
      expect(body.access_token).toMatch(/^00D/);
      expect(body.refresh_token).toBeUndefined();
      expect(body.id).toBe(`${w.emu.url}/id/${w.orgId}/${w.userId}`);
    }
    expect(w.emu.stats().client_credentials_grants).toBe(2);
  });

  it('each failure is a switch', async () => {
    const cc = (secret = SECRET) => postToken(w.emu, { grant_type: 'client_credentials', client_id: w.clientId, client_secret: secret });
    expect((await cc('wrong')).json).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
    expect((await postToken(w.emu, { grant_type: 'client_credentials', client_id: w.clientId })).json.error).toBe('invalid_client');
    w.emu.updateApp(w.clientId, { runAsUsername: null });
    expect((await cc()).json).toEqual({ error: 'invalid_grant', error_description: 'no client credentials user enabled' });
    w.emu.updateApp(w.clientId, { runAsUsername: w.username });
    const shared = await call(`${w.emu.url}/__emulator/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ my_domain: false }) });
    expect(shared.json.myDomain).toBe(false);
    expect((await cc()).json).toEqual({ error: 'invalid_request', error_description: 'request not supported on this domain' });
    w.emu.updateSettings({ myDomain: true });
    w.emu.lockOrg(w.orgId);
    expect((await cc()).json).toEqual({ error: 'invalid_grant', error_description: 'inactive organization' });
    w.emu.unlockOrg(w.orgId);
    expect((await cc()).status).toBe(200);
  });
});

import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startWorld, type World } from './helpers.js';

/** No input, on any endpoint or control route, produces a 5xx or takes the server down. */

let w: World;
let token: string;
beforeAll(async () => {
  w = await startWorld();
  token = (await login(w)).access_token!;
});
afterAll(async () => w.emu.close());

const PATHS = [
  '/services/oauth2/token', '/services/oauth2/authorize', '/services/oauth2/revoke', '/services/oauth2/introspect',
  '/services/oauth2/userinfo', '/oauth2/token', '/oauth2/revoke', '/id/00D000000000000AAA/005000000000000AAA', '/id/keys',
  '/.well-known/openid-configuration', '/services/data', '/services/data/v62.0/', '/services/data/v62.0/query', '/services/data/vX/limits',
  '/__emulator/apps', '/__emulator/apps/test-app', '/__emulator/users', '/__emulator/orgs', '/__emulator/clock', '/__emulator/faults',
  '/__emulator/rate-limit', '/__emulator/latency', '/__emulator/refresh-hold', '/__emulator/sessions/remove', '/__emulator/codes',
  '/__emulator/tokens', '/__emulator/settings', '/__emulator/approvals', '/__emulator/refresh-tokens/lookup', '/__emulator/requests',
];

describe('robustness', () => {
  it('random methods, paths, queries, headers and bodies never get a 5xx', async () => {
    // Values that do not switch on faults, latency or holds, which are legitimate 5xx/slow paths.
    const safeJson = fc.oneof(
      fc.json(),
      fc.record({ username: fc.string(), client_id: fc.string(), org_id: fc.string(), advance_ms: fc.oneof(fc.integer(), fc.string()) }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        fc.constantFrom(...PATHS),
        fc.dictionary(fc.constantFrom('q', 'token', 'client_id', 'redirect_uri', 'response_type', 'scope', 'code_challenge', 'limit', 'endpoint', 'oauth_token'), fc.string()),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x'),
        fc.constantFrom('', `Bearer ${token}`, 'Bearer', 'Basic !!!', 'Basic dGVzdC1hcHA=', 'OAuth x y'),
        fc.oneof(safeJson, fc.string(), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1'))),
        async (method, path, query, contentType, authorization, body) => {
          if (path.includes('/faults') || path.includes('/latency') || path.includes('/refresh-hold') || path.includes('/rate-limit')) method = 'GET';
          const qs = new URLSearchParams(query).toString();
          const res = await fetch(`${w.emu.url}${path}${qs ? `?${qs}` : ''}`, {
            method,
            redirect: 'manual',
            headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
            ...(method === 'GET' ? {} : { body }),
          });
          await res.arrayBuffer();
          expect(res.status, `${method} ${path}`).toBeLessThan(500);
        },
      ),
      { numRuns: 800 },
    );
    w.emu.reset();
  });

  it('a malformed request line gets 400 and the server keeps serving', async () => {
    const { port } = new URL(w.emu.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT AN HTTP REQUEST\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer.startsWith('HTTP/1.1 400 Bad Request')).toBe(true);
    expect((await fetch(`${w.emu.url}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

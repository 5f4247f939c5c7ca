import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** The pinned CLI: `salesforce-emulator --port <p> --auto-approve --seed <file>` (runs the built bin). */

const BIN = fileURLToPath(new URL('../bin/salesforce-emulator.js', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

function start(args: string[]): Promise<string> {
  child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child!.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

describe('salesforce-emulator CLI', () => {
  it('--auto-approve with --seed: login_hint of a seeded user redirects straight back with code and state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sfemu-'));
    const seed = join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify({
      apps: [{ client_id: 'cli-app', client_secret: 'cli-secret', callback_urls: ['http://127.0.0.1:9/cb'], rotation: true }],
      users: [{ username: 'seeded@example.com' }],
    }));
    const url = await start(['--port', '0', '--auto-approve', '--seed', seed]);
    const params = new URLSearchParams({ response_type: 'code', client_id: 'cli-app', redirect_uri: 'http://127.0.0.1:9/cb', state: 'cli-state', login_hint: 'seeded@example.com' });
    const res = await fetch(`${url}/services/oauth2/authorize?${params}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const callback = new URL(res.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe('cli-state');
    const token = await fetch(`${url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, client_id: 'cli-app', client_secret: 'cli-secret', redirect_uri: 'http://127.0.0.1:9/cb' }),
    });
    expect(token.status).toBe(200);
    const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as Record<string, number>;
    expect(stats.code_exchanges).toBe(1);
  });

  it('without --auto-approve the login page is shown; a bad flag exits non-zero', async () => {
    const url = await start(['--port', '0']);
    await fetch(`${url}/__emulator/apps`, { method: 'POST', body: JSON.stringify({ client_id: 'a', callback_urls: ['http://127.0.0.1:9/cb'] }) });
    await fetch(`${url}/__emulator/users`, { method: 'POST', body: JSON.stringify({ username: 'u@example.com' }) });
    const params = new URLSearchParams({ response_type: 'code', client_id: 'a', redirect_uri: 'http://127.0.0.1:9/cb', login_hint: 'u@example.com' });
    const res = await fetch(`${url}/services/oauth2/authorize?${params}`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    child!.kill();
    await expect(start(['--no-such-flag'])).rejects.toThrow(/exited 1/);
  });
});

// The embedded data directory is owner-only: after a real first start (PGlite copying its
// initial cluster in), some writes, and a shutdown, every file is 0600 or stricter and every
// directory 0700 — whatever the umask of the shell that started the server.
import { lstatSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { spawnServer } from './helpers/processes.js';

/** Every path under `dir` whose mode lets anyone but the owner in (or a directory not 0700). */
function looseModes(dir: string): string[] {
  const loose: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) loose.push(`${relative(dir, path) || '.'}/ ${mode.toString(8)}`);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (!stat.isSymbolicLink() && (mode & 0o077) !== 0) {
      loose.push(`${relative(dir, path)} ${mode.toString(8)}`);
    }
  };
  walk(dir);
  return loose;
}

const countFiles = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0);

describe('the embedded data directory', () => {
  test('every file is owner-only after a real start, writes and a shutdown', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gk-modes-')), 'data');
    const server = await spawnServer({ GRANTKEEPER_DATA_DIR: dataDir, GRANTKEEPER_SECRET_KEY: 'gk_sk_modes_test_key_0123456789' }, 'file-modes');
    try {
      // The first start copied PGlite's whole initial cluster in.
      expect(countFiles(join(dataDir, 'pgdata'))).toBeGreaterThan(500);
      expect(looseModes(dataDir)).toEqual([]);
      const auth = { authorization: 'Bearer gk_sk_modes_test_key_0123456789', 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/v1/integrations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ key: 'modes', provider: 'salesforce', client_id: 'c', client_secret: 's' }),
      });
      expect(created.status).toBe(201);
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${server.url}/v1/connections`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ integration: 'modes', end_user: { id: `u${i}` }, credentials: { refresh_token: `rt-modes-${i}` } }),
        });
        expect(res.status).toBe(201);
      }
      expect(looseModes(dataDir)).toEqual([]);
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0);
    }
    expect(looseModes(dataDir)).toEqual([]);
    // A second start on the existing directory keeps it so.
    const again = await spawnServer({ GRANTKEEPER_DATA_DIR: dataDir, GRANTKEEPER_SECRET_KEY: 'gk_sk_modes_test_key_0123456789' }, 'file-modes-again');
    try {
      expect(looseModes(dataDir)).toEqual([]);
    } finally {
      await again.kill('SIGTERM');
    }
    expect(looseModes(dataDir)).toEqual([]);
  }, 180_000);
});

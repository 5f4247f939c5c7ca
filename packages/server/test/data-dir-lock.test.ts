// The embedded database allows one process: a second one exits with a clear message; a
// lock left by a killed process does not block a restart.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from './helpers/paths.js';
import { spawnServer } from './helpers/processes.js';

describe('the embedded data directory', () => {
  test('a second process exits clearly; a stale lock from kill -9 does not block a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gk-lock-'));
    const env = { GRANTKEEPER_DATA_DIR: dataDir };
    const first = await spawnServer(env, 'lock-first');
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, 'grantkeeper.lock'), 'utf8'));
      expect(lock).toMatchObject({ pid: first.pid, url: first.url });
      expect(statSync(join(dataDir, 'keys.json')).mode & 0o777).toBe(0o600);
      const second = spawnSync(process.execPath, [join(REPO_ROOT, 'packages/server/bin/grantkeeper.js'), 'start'], {
        env: { PATH: process.env.PATH ?? '', GRANTKEEPER_DATA_DIR: dataDir, GRANTKEEPER_PORT: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(second.status).not.toBe(0);
      expect(second.stderr).toContain(`in use by another Grantkeeper process (pid ${first.pid}`);
      // The first one is unharmed.
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      await first.kill('SIGKILL');
    }
    // The killed process left its lock behind; a new start sees it is stale.
    const third = await spawnServer(env, 'lock-third');
    try {
      expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
    } finally {
      await third.kill('SIGTERM');
    }
    // A clean shutdown removes the lock.
    expect(() => readFileSync(join(dataDir, 'grantkeeper.lock'))).toThrow();
  }, 180_000);
});

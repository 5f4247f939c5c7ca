// Whose lock is it? A lock left by a process that has exited but was never reaped by its
// parent (a zombie still answers kill(pid, 0)) is stale, as is one whose pid now belongs to a
// process started later; a lock of a process that runs is respected. Real processes: a
// zombie is made by a shell that starts a short child and then execs into a program that
// never waits for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DataDirLock, DataDirLockedError, liveLockHolder, lockPath } from '../src/db/data-dir-lock.js';
import { until } from './helpers/wait.js';

const stat = (pid: number) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return null;
  }
};

const writeLock = (dir: string, pid: number, startTime: string | null) =>
  writeFileSync(lockPath(dir), JSON.stringify({ pid, start_time: startTime, url: 'http://127.0.0.1:1', acquired_at: new Date().toISOString() }), { mode: 0o600 });

describe('the data-dir lock reads the holder from /proc', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) child.kill('SIGKILL');
  });

  /** A zombie: `sleep 0` exits at once; its parent became `sleep 300`, which never reaps it. */
  async function zombie(): Promise<{ pid: number; startTime: string }> {
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(parent);
    let out = '';
    parent.stdout!.on('data', (chunk) => (out += String(chunk)));
    const pid = await until('the child pid', () => (/^\d+\n/.test(out) ? Number(out.trim()) : null), 10_000);
    const seen = await until('the child to become a zombie', () => (stat(pid)?.state === 'Z' ? stat(pid) : null), 10_000);
    return { pid, startTime: seen.startTime };
  }

  test('a zombie holder is dead: the lock is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-zombie-'));
    const { pid, startTime } = await zombie();
    // The zombie still "exists" for kill(pid, 0): that is what the old check relied on.
    expect(() => process.kill(pid, 0)).not.toThrow();
    writeLock(dir, pid, startTime);
    expect(liveLockHolder(dir)).toBeNull();
    const lock = DataDirLock.acquire(dir);
    try {
      expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  test('a running holder keeps its lock; the same pid with another start time does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-running-'));
    const runner = spawn('/bin/sh', ['-c', 'exec sleep 300'], { stdio: 'ignore' });
    started.push(runner);
    const running = await until('the runner in /proc', () => (runner.pid && stat(runner.pid)?.state !== 'Z' ? stat(runner.pid) : null), 10_000);
    writeLock(dir, runner.pid!, running.startTime);
    expect(liveLockHolder(dir)?.pid).toBe(runner.pid);
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);

    // The pid now belongs to a process that started at another time: a recycled pid.
    writeLock(dir, runner.pid!, String(Number(running.startTime) - 1));
    expect(liveLockHolder(dir)).toBeNull();
    DataDirLock.acquire(dir).release();
  });

  test('a holder that is gone is dead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-gone-'));
    const gone = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    const pid = gone.pid!;
    await new Promise((resolve) => gone.once('exit', resolve));
    await until('the exited child reaped', () => stat(pid) === null, 10_000);
    writeLock(dir, pid, null);
    expect(liveLockHolder(dir)).toBeNull();
  });
});

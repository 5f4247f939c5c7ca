// PGlite neither locks its directory nor survives two writers, so the embedded mode keeps
// a lock file: pid + that process's start time (so a recycled pid is not mistaken for the
// owner) + the URL it serves (so `grantkeeper keys rotate` can go through its admin API).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface LockInfo {
  pid: number;
  start_time: string | null;
  url: string | null;
  acquired_at: string;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(readonly dataDir: string, readonly holder: LockInfo) {
    super(
      `The embedded database in ${dataDir} is in use by another Grantkeeper process (pid ${holder.pid}` +
        `${holder.url ? `, serving ${holder.url}` : ''}). Stop it first, or point GRANTKEEPER_DATA_DIR elsewhere.`,
    );
  }
}

/** Process start time in clock ticks since boot (Linux); null where /proc is unavailable. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'grantkeeper.lock');
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** The live holder of the lock, or null when there is none (or it is stale). */
export function liveLockHolder(dataDir: string): LockInfo | null {
  const info = readLock(dataDir);
  if (!info || typeof info.pid !== 'number') return null;
  if (!isAlive(info.pid)) return null;
  const start = processStartTime(info.pid);
  if (info.start_time !== null && start !== null && start !== info.start_time) return null; // pid reused
  return info;
}

export class DataDirLock {
  private released = false;
  private constructor(readonly dataDir: string, private info: LockInfo) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = lockPath(dataDir);
    const info: LockInfo = {
      pid: process.pid,
      start_time: processStartTime(process.pid),
      url: null,
      acquired_at: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, JSON.stringify(info));
        closeSync(fd);
        return new DataDirLock(dataDir, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = liveLockHolder(dataDir);
        if (holder && holder.pid !== process.pid) throw new DataDirLockedError(dataDir, holder);
        rmSync(path, { force: true }); // stale: its process is gone
      }
    }
    throw new Error(`could not acquire the lock file ${path}`);
  }

  setUrl(url: string): void {
    this.info = { ...this.info, url };
    writeFileSync(lockPath(this.dataDir), JSON.stringify(this.info), { mode: 0o600 });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const current = readLock(this.dataDir);
    if (current?.pid === process.pid) rmSync(lockPath(this.dataDir), { force: true });
  }
}

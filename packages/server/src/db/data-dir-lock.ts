// PGlite neither locks its directory nor survives two writers, so the embedded mode keeps
// a lock file: pid + that process's start time (so a recycled pid is not mistaken for the
// owner, and an exited but unreaped one is seen as dead) + the URL it serves (so
// `grantkeeper keys rotate` can go through its admin API).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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

/** What /proc says of a process: its state letter and start time (clock ticks since boot). */
interface ProcessStat {
  state: string;
  startTime: string;
}

/** Null when the process does not exist (or where there is no /proc). */
function readProcessStat(pid: number): ProcessStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; the fields after the last
    // ')' are fixed: state is field 3 overall, the start time field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const startTime = fields[19];
    return state && startTime ? { state, startTime } : null;
  } catch {
    return null;
  }
}

function processStartTime(pid: number): string | null {
  return readProcessStat(pid)?.startTime ?? null;
}

const hasProc = () => existsSync('/proc/self/stat');

/**
 * Whether the process that wrote a lock still runs. A zombie (exited, not yet reaped by its
 * parent) still answers `kill(pid, 0)`, so /proc decides where it exists: state Z or X is
 * dead, and a different start time means the pid was reused by another process.
 */
function holderRuns(info: LockInfo): boolean {
  if (hasProc()) {
    const stat = readProcessStat(info.pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
    return info.start_time === null || stat.startTime === info.start_time;
  }
  try {
    process.kill(info.pid, 0);
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
  return holderRuns(info) ? info : null;
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

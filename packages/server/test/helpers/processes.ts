// Grantkeeper servers as real child processes (the compiled bin), for multi-instance and
// crash tests: several processes on one PostgreSQL database, killed with SIGKILL at will.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ARTIFACTS_DIR, REPO_ROOT } from './paths.js';

export interface ServerProcess {
  url: string;
  pid: number;
  /** GRANTKEEPER_INSTANCE_ID it was started with (what it writes as lease_owner and instance_id). */
  instanceId: string | null;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const BIN = join(REPO_ROOT, 'packages/server/bin/grantkeeper.js');

export async function spawnServer(env: Record<string, string>, name = 'proc'): Promise<ServerProcess> {
  const logDir = join(ARTIFACTS_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${randomBytes(4).toString('hex')}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { PATH: process.env.PATH ?? '', GRANTKEEPER_PORT: '0', GRANTKEEPER_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s; see ${logFile}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffer += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"grantkeeper listening"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; see ${logFile}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    instanceId: env.GRANTKEEPER_INSTANCE_ID ?? null,
    child,
    logFile,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

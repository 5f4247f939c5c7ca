// Servers under test run as child processes, so the load generator never shares their
// event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// USER_HZ: 100 on every Linux build Node supports.
const CLOCK_TICKS_PER_S = 100;

export interface Child {
  url: string;
  child: ChildProcess;
  rssMb(): number;
  /** CPU time the process has used so far, read from outside (/proc/<pid>/stat), in ms; zeros where there is no /proc. */
  cpuMs(): { user: number; system: number };
  stop(): Promise<void>;
}

export async function startChild(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { PATH: process.env.PATH ?? '', GRANTKEEPER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`child did not start: ${stderr}`)), 120_000);
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    rssMb() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      } catch {
        return 0;
      }
    },
    cpuMs() {
      try {
        // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_S, system: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_S };
      } catch {
        return { user: 0, system: 0 };
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** `nodeArgs`: flags for node itself (`--cpu-prof`, which NODE_OPTIONS refuses). */
export function grantkeeper(env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  return startChild(`${ROOT}packages/server/bin/grantkeeper.js`, ['start'], { GRANTKEEPER_PORT: '0', GRANTKEEPER_LOG_LEVEL: 'info', ...env }, nodeArgs);
}

export function bareFastify(): Promise<Child> {
  return startChild(`${ROOT}bench/servers/bare-fastify.mjs`, [], {});
}

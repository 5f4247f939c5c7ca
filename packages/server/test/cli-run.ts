// Runs the built `grantkeeper` binary as a child process (global-setup compiled it). Always
// asynchronous: an in-process test server must keep answering while the child runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

export const BIN = join(REPO_ROOT, 'packages/server/bin/grantkeeper.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not). */
  json(): any;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** The environment a child gets: ours without GRANTKEEPER_* (tests set what they mean), no colour. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRANTKEEPER_') && k !== 'NO_COLOR') env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; stdout(): string; stderr(): string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(options.env), cwd: options.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(options.input ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\n--- stderr:\n${stderr}`);
          }
        },
      }),
    );
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Resolves once `predicate(stderr)` holds (checked on every chunk), or rejects when the child ends first. */
export function waitForOutput(run: ReturnType<typeof startCli>, predicate: (stderr: string, stdout: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(run.stderr(), run.stdout())) {
        cleanup();
        resolve();
      }
    };
    const onClose = () => {
      cleanup();
      if (predicate(run.stderr(), run.stdout())) resolve();
      else reject(new Error(`the CLI ended before ${what}:\n${run.stdout()}\n--- stderr:\n${run.stderr()}`));
    };
    const cleanup = () => {
      run.child.stderr!.off('data', check);
      run.child.stdout!.off('data', check);
      run.child.off('close', onClose);
    };
    run.child.stderr!.on('data', check);
    run.child.stdout!.on('data', check);
    run.child.on('close', onClose);
    check();
  });
}

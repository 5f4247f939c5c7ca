// The Salesforce emulator in a child process, driven through its control API
// (`/__emulator/…`): for benchmarks whose load generator would otherwise share the
// emulator's event loop and delay its answers (a herd of 1,000 fetches in this process).
import { spawn } from 'node:child_process';
import { ROOT } from './processes.js';

export interface EmulatorProcess {
  url: string;
  createApp(input: { clientId: string; clientSecret: string; callbackUrls: string[] }): Promise<void>;
  createUser(input: { username: string }): Promise<void>;
  issueTokens(input: { clientId: string; username: string }): Promise<Record<string, string | number>>;
  setLatency(ms: number): Promise<void>;
  stats(): Promise<{ refresh_attempts: number }>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [`${ROOT}packages/salesforce-emulator/bin/salesforce-emulator.js`, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${stderr}`)));
  });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/__emulator${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`emulator ${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  return {
    url,
    createApp: async (input) => void (await control('POST', '/apps', input)),
    createUser: async (input) => void (await control('POST', '/users', input)),
    issueTokens: async (input) => (await control('POST', '/tokens', { client_id: input.clientId, username: input.username })) as Record<string, string | number>,
    setLatency: async (ms) => void (await control('POST', '/latency', { latency_ms: ms })),
    stats: async () => (await control('GET', '/stats')) as unknown as { refresh_attempts: number },
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

// A real HTTP proxy for the egress tests: Debian's tinyproxy (1.11: Listen, Bind, Allow,
// BasicAuth, LogFile, LogLevel Connect), started in the foreground with a config written to
// a temp dir. `Bind` gives its outgoing connections another loopback source address than a
// direct call's (127.0.0.1), so a server-side allowlist tells the two apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './wait.js';

export const TINYPROXY = '/usr/bin/tinyproxy';

export interface TinyProxy {
  host: string;
  port: number;
  /** `http://[user:pass@]host:port`, as GRANTKEEPER_OUTBOUND_PROXY takes it. */
  url: string;
  logFile: string;
  /** The CONNECT requests it received (`host:port`), oldest first. */
  connects(): string[];
  /** Its whole log (for scanning). */
  log(): string;
  stop(): Promise<void>;
}

export interface TinyProxyOptions {
  /** Outgoing source address (default 127.0.0.2). */
  bind?: string;
  /** Clients allowed (default 127.0.0.1). */
  allow?: string;
  basicAuth?: { user: string; password: string };
  /** A fixed port (to restart a proxy where its clients expect it); default: a free one. */
  port?: number;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTinyproxy(options: TinyProxyOptions = {}): Promise<TinyProxy> {
  // The port is chosen before tinyproxy binds it: if another process takes it first, try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

async function startOnce(options: TinyProxyOptions, port: number): Promise<TinyProxy> {
  const host = '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'gk-tinyproxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  const config = [
    `Port ${port}`,
    `Listen ${host}`,
    `Bind ${options.bind ?? '127.0.0.2'}`,
    `Allow ${options.allow ?? '127.0.0.1'}`,
    'Timeout 60',
    'MaxClients 100',
    'DisableViaHeader Yes',
    `LogFile "${logFile}"`,
    'LogLevel Connect',
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ];
  const configFile = join(dir, 'tinyproxy.conf');
  writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o600 });
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  try {
    await until(`tinyproxy listening on ${port}`, async () => {
      if (gone) throw new Error(`tinyproxy exited: ${stderr}${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`);
      return accepts();
    }, 20_000);
  } catch (error) {
    if (!gone) child.kill('SIGKILL');
    throw error;
  }

  const credentials = options.basicAuth ? `${encodeURIComponent(options.basicAuth.user)}:${encodeURIComponent(options.basicAuth.password)}@` : '';
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  return {
    host,
    port,
    url: `http://${credentials}${host}:${port}`,
    logFile,
    log,
    connects: () => [...log().matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map((m) => m[1]!),
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
}

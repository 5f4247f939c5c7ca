// An in-process Grantkeeper server on a fresh test database. Logs go to
// test-artifacts/logs/, which the security tests scan for secrets.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createTestDatabase, type BackendKind, type TestDatabase } from './databases.js';
import { ARTIFACTS_DIR } from './paths.js';

export interface TestServer extends RunningServer {
  key: string;
  database: TestDatabase;
  /** This server's log (JSON lines). */
  logFile: string;
  /** fetch against the server with the API key and JSON body handling. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export const LOG_DIR = join(ARTIFACTS_DIR, 'logs');

export function testEncryptionKeys(): string {
  return Keyring.format([Keyring.generateKey('test1')]);
}

export async function startTestServer(
  kind: BackendKind,
  env: Record<string, string> = {},
  options: { database?: TestDatabase; logName?: string } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(kind));
  const key = `gk_sk_test_${randomBytes(16).toString('hex')}`;
  const config: Config = loadConfig({
    GRANTKEEPER_PORT: '0',
    GRANTKEEPER_SECRET_KEY: key,
    GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    GRANTKEEPER_LOG_LEVEL: 'info',
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
    ...(database.url ? { GRANTKEEPER_DATABASE_URL: database.url } : {}),
    ...env,
  });
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${options.logName ?? 'server'}-${kind}-${randomBytes(4).toString('hex')}.log`);
  const logger = createLogger(config.logLevel, createWriteStream(logFile, { flags: 'a' }));
  const server = await startServer({ config, pglite: database.pglite ?? undefined, logger });
  const api: TestServer['api'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    ...server,
    key,
    database,
    logFile,
    api,
    async stop() {
      await server.close();
      if (!options.database) await database.drop();
    },
  };
}

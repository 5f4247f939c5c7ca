// Assembles one Grantkeeper instance: database, keys, engine, workers, HTTP server.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { AuthState } from './auth/auth-state.js';
import { AuditCounter } from './audit/counter.js';
import { Keyring } from './crypto/keyring.js';
import { AUTH_CHANNEL } from './db/auth-notify.js';
import { countConnectionsByStatus } from './db/connections/count-by-status.js';
import { migrateToLatest } from './db/migrator.js';
import { CONNECTION_CHANNEL, LEASE_CHANNEL } from './db/notify.js';
import { openDatabase } from './db/open.js';
import type { DataDirLock } from './db/data-dir-lock.js';
import { loadOrCreateDevKeyring } from './keys/dev-keys.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { ProviderRegistry } from './providers/registry.js';
import { TokenCache } from './refresh/token-cache.js';
import type { PGlite } from '@electric-sql/pglite';
import { createServices, type Services } from './services.js';
import { uiRoutes } from './ui/routes.js';

export interface ServerOptions {
  config: Config;
  /** Tests: a ready PGlite to use instead of DATA_DIR. */
  pglite?: PGlite;
  /** Tests: log destination (defaults to stdout). */
  logger?: Logger;
  /** Print the first-start API key and dev-key warnings to stderr (the CLI does; tests don't). */
  announce?: boolean;
}

export interface RunningServer {
  ctx: AppContext;
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

export async function createContext(options: ServerOptions): Promise<{ ctx: AppContext; lock: DataDirLock | null; generatedApiKey: string | null }> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pglite: options.pglite, poolSize: config.databasePoolSize });
  try {
    await migrateToLatest(db.kysely);
    let keyring: Keyring;
    let devKeysInUse = false;
    if (config.encryptionKeys) {
      keyring = Keyring.parse(config.encryptionKeys);
    } else {
      keyring = loadOrCreateDevKeyring(config.dataDir).keyring;
      devKeysInUse = true;
    }
    const { auth, generatedKey: generated } = await AuthState.load(db.kysely, config, log);
    const ctx: AppContext = {
      config,
      db,
      keyring,
      auth,
      log,
      metrics: createMetrics(),
      providers: new ProviderRegistry({ hostOrigins: config.loginHosts.overrides }),
      tokenCache: new TokenCache(config.cache.maxEntries, config.cache.ttlMs),
      auditCounts: new AuditCounter(),
      devKeysInUse,
    };
    ctx.metrics.setConnectionCounter(() => countConnectionsByStatus(db.kysely));
    ctx.metrics.setStatementCounter(() => db.statements());
    if (config.loginHosts.overrides.size > 0) log.warn({ hosts: [...config.loginHosts.overrides.keys()] }, 'GRANTKEEPER_LOGIN_HOST_OVERRIDES is set: calls for these login hosts go elsewhere (development and tests only)');
    return { ctx, lock: db.lock, generatedApiKey: generated };
  } catch (error) {
    await db.close().catch(() => {});
    db.lock?.release();
    throw error;
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { ctx, lock, generatedApiKey } = await createContext(options);
  const services = createServices(ctx);
  let app: FastifyInstance;
  try {
    app = await buildApp(ctx, services);
    // The dashboard reads and acts through the /v1 API of this app, in-process.
    await app.register(uiRoutes(ctx));
    const unlisten = await ctx.db.listen(CONNECTION_CHANNEL, (payload) => {
      const [id, generation] = payload.split(':');
      if (!id) return;
      ctx.tokenCache.invalidate(id, generation === undefined ? undefined : Number(generation));
      services.engine.commits.signal(id);
    });
    services.onClose(unlisten);
    // Callers waiting on a lease learn of its end here, whichever instance held it.
    const unlistenLeases = await ctx.db.listen(LEASE_CHANNEL, (id) => services.engine.commits.signal(id));
    services.onClose(unlistenLeases);
    const unlistenAuth = await ctx.db.listen(AUTH_CHANNEL, (payload) => {
      void ctx.auth.onNotification(payload).catch((error: unknown) => ctx.log.warn({ err: error }, 're-reading API keys failed'));
    });
    services.onClose(unlistenAuth);
    await app.listen({ port: ctx.config.port, host: ctx.config.host });
  } catch (error) {
    await services.stop().catch(() => {});
    await ctx.db.close().catch(() => {});
    lock?.release();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.config.port;
  const url = `http://${ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host}:${port}`;
  lock?.setUrl(url);
  services.start();

  if (options.announce) {
    if (generatedApiKey) {
      // Printed once, straight to stderr: it must never pass through the logger.
      process.stderr.write(
        `\nGrantkeeper generated an API key for this data directory. It is shown only now:\n\n    ${generatedApiKey}\n\n` +
          'Use it as  Authorization: Bearer <key>  (or set GRANTKEEPER_SECRET_KEY). `grantkeeper keys reset-api-key` makes a new one.\n\n',
      );
    }
    if (ctx.devKeysInUse) {
      process.stderr.write(
        `Warning: secrets are encrypted with a development key stored beside the data (${ctx.config.dataDir}/keys.json). ` +
          'Set GRANTKEEPER_ENCRYPTION_KEYS for production.\n',
      );
    }
  }
  ctx.log.info({ url, database: ctx.db.kind, instance: ctx.config.instanceId }, 'grantkeeper listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await services.stop();
      await app.close();
      // After the last request: what it counted is written too.
      await services.audit.flushRemaining();
      await ctx.db.close();
      lock?.release();
    })());
  return { ctx, app, services, url, close };
}

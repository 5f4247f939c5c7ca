// Everything a request handler or worker needs, built once per server.
import type { Config } from './config.js';
import type { AuthState } from './auth/auth-state.js';
import type { AuditCounter } from './audit/counter.js';
import type { Keyring } from './crypto/keyring.js';
import type { Db } from './db/open.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { TokenCache } from './refresh/token-cache.js';

export interface AppContext {
  config: Config;
  db: Db;
  keyring: Keyring;
  /** API keys, dashboard logouts and blocked clients, as authentication reads them (in memory). */
  auth: AuthState;
  log: Logger;
  metrics: Metrics;
  providers: ProviderRegistry;
  tokenCache: TokenCache;
  /** Token reads and other frequent actions, counted until the audit flusher writes them. */
  auditCounts: AuditCounter;
  /** True while the embedded database uses the generated dev keys beside the data. */
  devKeysInUse: boolean;
}

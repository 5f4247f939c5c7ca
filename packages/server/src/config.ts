// Environment → typed configuration, validated once at start. Every setting (docs/configuration.md)
// and every duration lives here, so tests shrink durations instead of sleeping.
// An empty variable means unset.

import { readAuthConfig, type AuthConfig } from './config/auth.js';
import { readAuditConfig, type AuditConfig } from './config/audit.js';
import { EnvReader, type Env } from './config/env-reader.js';
import { readHardeningConfig, type HardeningConfig } from './config/hardening.js';
import { readOutboundProxyConfig, type OutboundProxyConfig } from './config/outbound-proxy.js';
import { readLoginHostsConfig, type LoginHostsConfig } from './config/login-hosts.js';
import { readProviderUrlsConfig, type ProviderUrlsConfig } from './config/provider-urls.js';
import { readProxyConfig, type ProxyConfig } from './config/proxy.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  /** null → the embedded database in dataDir */
  databaseUrl: string | null;
  /** PostgreSQL connections per instance (PGlite always uses one). */
  databasePoolSize: number;
  dataDir: string;
  /** API keys from the environment (plaintext only in memory; hashed before use). Empty in embedded mode without the variable. */
  secretKeys: string[];
  /** `kid:base64key` entries; empty in embedded mode without the variable (dev keys come from keys.json). */
  encryptionKeys: string;
  publicUrl: string;
  /** false, true, or a list of hosts / CIDRs outbound calls may reach although private. */
  allowPrivateNetwork: boolean | string[];
  /** Where provider calls leave from: GRANTKEEPER_OUTBOUND_PROXY and its exclusions. */
  outboundProxy: OutboundProxyConfig;
  logLevel: LogLevel;
  /** Identifies this process in leases and claims. */
  instanceId: string;
  returnUrlAllowlist: string[] | null;

  refresh: {
    tokenTimeoutMs: number;
    confirmRetryMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** Row lease lifetime; renewed every third of it while a provider call runs. */
    leaseTtlMs: number;
    /** How long after an expired lease with an unresolved intent the lease may be taken again. */
    intentGraceS: number;
    /** Default and maximum time a caller waits for another instance's refresh. */
    waitMsDefault: number;
    waitMsMax: number;
    /** The safety net behind NOTIFY: how often a waiter re-reads the row while another holder refreshes. */
    leasePollMs: number;
    clockSkewAlertS: number;
  };
  cache: {
    maxEntries: number;
    /** Safety net behind LISTEN/NOTIFY: a cached token is re-validated at least this often. */
    ttlMs: number;
  };
  scheduler: {
    intervalMs: number;
    batchSize: number;
    concurrency: number;
    claimTtlS: number;
    reprobeBaseS: number;
    reprobeMaxS: number;
    rateOverdraftMs: number;
    rateHalvingMs: number;
  };
  spikes: {
    windowS: number;
    minFailures: number;
    minRatio: number;
    /** How often each instance re-evaluates the window (a permanent failure also triggers a look). */
    checkIntervalMs: number;
  };
  webhooks: {
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** Give up after this long (about a day). */
    retryWindowMs: number;
    secretOverlapS: number;
    pollIntervalMs: number;
    /** Deliveries in flight per instance. */
    concurrency: number;
    /** How long a claimed delivery stays invisible to other instances (must outlast timeoutMs). */
    claimMs: number;
  };
  connect: {
    sessionTtlS: number;
    reconnectLinkTtlS: number;
    stateCookieTtlS: number;
  };
  revocation: {
    pollIntervalMs: number;
    retryBaseMs: number;
    retryWindowS: number;
  };
  retention: {
    /** Events, finished webhook deliveries, fanned-out outbox rows, ended spikes. */
    days: number;
    batchSize: number;
    intervalMs: number;
    /** Connect sessions expired (their flow, if any, over) longer ago than this. */
    connectSessionDays: number;
    /** Revocations done or given up longer ago than this. */
    revocationDays: number;
    /** Ended ledger grants no existing connection can cite as evidence (at least `days`). */
    grantLedgerDays: number;
    /** Per-minute refresh outcome rollups (at least the dashboard's longest window, 7 days). */
    refreshStatsDays: number;
    /** Revoked API keys, counted from their revocation. */
    revokedApiKeyDays: number;
  };
  idempotencyTtlS: number;
  shutdownTimeoutMs: number;
  ui: {
    /** Lifetime of a dashboard session cookie. */
    sessionTtlS: number;
  };
  hardening: HardeningConfig;
  loginHosts: LoginHostsConfig;
  providerUrls: ProviderUrlsConfig;
  auth: AuthConfig;
  audit: AuditConfig;
  proxy: ProxyConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);

  const databaseUrl = r.raw('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.problems.push('GRANTKEEPER_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const secretKeys = r.list('SECRET_KEY') ?? [];
  for (const key of secretKeys) {
    if (key.length < 16) r.problems.push('GRANTKEEPER_SECRET_KEY entries must be at least 16 characters');
  }
  const encryptionKeys = r.raw('ENCRYPTION_KEYS') ?? '';
  if (databaseUrl !== null) {
    if (secretKeys.length === 0) {
      r.problems.push('GRANTKEEPER_SECRET_KEY is required with GRANTKEEPER_DATABASE_URL (comma-separated API keys)');
    }
    if (encryptionKeys === '') {
      r.problems.push(
        'GRANTKEEPER_ENCRYPTION_KEYS is required with GRANTKEEPER_DATABASE_URL (kid:base64key[,kid:base64key…]; generate one with `grantkeeper keys add`)',
      );
    }
  }

  const logLevel = r.string('LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    r.problems.push(`GRANTKEEPER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const allowRaw = r.raw('ALLOW_PRIVATE_NETWORK');
  let allowPrivateNetwork: boolean | string[] = false;
  if (allowRaw !== undefined) {
    if (allowRaw === 'true' || allowRaw === '1') allowPrivateNetwork = true;
    else if (allowRaw === 'false' || allowRaw === '0') allowPrivateNetwork = false;
    else allowPrivateNetwork = allowRaw.split(',').map((s) => s.trim()).filter(Boolean);
  }

  const tokenTimeoutMs = r.int('TOKEN_TIMEOUT_MS', 30_000, { min: 1 });
  const backoffBaseMs = r.int('BACKOFF_BASE_MS', 30_000, { min: 1 });
  const backoffMaxMs = r.int('BACKOFF_MAX_MS', 3_600_000, { min: 1 });
  if (backoffMaxMs < backoffBaseMs) r.problems.push('GRANTKEEPER_BACKOFF_MAX_MS must be at least GRANTKEEPER_BACKOFF_BASE_MS');
  const waitMsMax = r.int('WAIT_MS_MAX', 30_000, { min: 1 });
  const webhookTimeoutMs = r.int('WEBHOOK_TIMEOUT_MS', 10_000, { min: 1 });
  const retentionDays = r.int('RETENTION_DAYS', 30, { min: 1 });
  const grantLedgerDays = r.int('GRANT_LEDGER_RETENTION_DAYS', retentionDays, { min: 1 });
  // Ended grants are the evidence of a provider's grant limit: kept at least as long as the history.
  if (grantLedgerDays < retentionDays) r.problems.push('GRANTKEEPER_GRANT_LEDGER_RETENTION_DAYS must be at least GRANTKEEPER_RETENTION_DAYS');
  const webhookClaimMs = r.int('WEBHOOK_CLAIM_MS', webhookTimeoutMs + 30_000, { min: 1 });
  // A claim that ends while its request may still be running would let another instance send it twice.
  if (webhookClaimMs <= webhookTimeoutMs) r.problems.push('GRANTKEEPER_WEBHOOK_CLAIM_MS must be greater than GRANTKEEPER_WEBHOOK_TIMEOUT_MS');

  const config: Config = {
    port: r.int('PORT', 4280, { min: 0, max: 65535 }),
    host: r.string('HOST', '127.0.0.1'),
    databaseUrl,
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 }),
    dataDir: r.string('DATA_DIR', './.grantkeeper'),
    secretKeys,
    encryptionKeys,
    publicUrl: r.url('PUBLIC_URL', 'http://localhost:4280') ?? 'http://localhost:4280',
    allowPrivateNetwork,
    outboundProxy: readOutboundProxyConfig(r),
    logLevel,
    instanceId: r.string('INSTANCE_ID', `${hostnameSafe()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`),
    returnUrlAllowlist: r.list('RETURN_URL_ALLOWLIST'),
    refresh: {
      tokenTimeoutMs,
      confirmRetryMs: r.int('CONFIRM_RETRY_MS', 1_500),
      backoffBaseMs,
      backoffMaxMs,
      leaseTtlMs: r.int('LEASE_TTL_MS', tokenTimeoutMs + 30_000, { min: 100 }),
      intentGraceS: r.int('INTENT_GRACE_S', 300),
      waitMsDefault: Math.min(r.int('WAIT_MS', 10_000), waitMsMax),
      waitMsMax,
      leasePollMs: r.int('LEASE_POLL_MS', 1_000, { min: 1 }),
      clockSkewAlertS: r.int('CLOCK_SKEW_ALERT_S', 60),
    },
    cache: {
      maxEntries: r.int('CACHE_MAX_ENTRIES', 100_000, { min: 0 }),
      ttlMs: r.int('CACHE_TTL_MS', 1_000),
    },
    scheduler: {
      intervalMs: r.int('SCHEDULER_INTERVAL_MS', 10_000, { min: 1 }),
      batchSize: r.int('SCHEDULER_BATCH_SIZE', 100, { min: 1, max: 500 }),
      concurrency: r.int('SCHEDULER_CONCURRENCY', 20, { min: 1 }),
      claimTtlS: r.int('CLAIM_TTL_S', 120, { min: 1 }),
      reprobeBaseS: r.int('REPROBE_BASE_S', 3_600, { min: 1 }),
      reprobeMaxS: r.int('REPROBE_MAX_S', 86_400, { min: 1 }),
      rateOverdraftMs: r.int('RATE_OVERDRAFT_MS', 1_000),
      rateHalvingMs: r.int('RATE_HALVING_MS', 60_000),
    },
    spikes: {
      windowS: r.int('SPIKE_WINDOW_S', 600, { min: 1 }),
      minFailures: r.int('SPIKE_MIN_FAILURES', 5, { min: 1 }),
      minRatio: r.ratio('SPIKE_MIN_RATIO', 0.5),
      checkIntervalMs: r.int('SPIKE_CHECK_INTERVAL_MS', 15_000, { min: 1 }),
    },
    webhooks: {
      timeoutMs: webhookTimeoutMs,
      retryBaseMs: r.int('WEBHOOK_RETRY_BASE_MS', 30_000, { min: 1 }),
      retryMaxMs: r.int('WEBHOOK_RETRY_MAX_MS', 3 * 3_600_000, { min: 1 }),
      retryWindowMs: r.int('WEBHOOK_RETRY_WINDOW_MS', 26 * 3_600_000, { min: 1 }),
      secretOverlapS: r.int('WEBHOOK_SECRET_OVERLAP_S', 86_400),
      pollIntervalMs: r.int('WEBHOOK_POLL_INTERVAL_MS', 1_000, { min: 1 }),
      concurrency: r.int('WEBHOOK_CONCURRENCY', 16, { min: 1, max: 256 }),
      claimMs: webhookClaimMs,
    },
    connect: {
      sessionTtlS: r.int('CONNECT_SESSION_TTL_S', 1_800, { min: 1 }),
      reconnectLinkTtlS: r.int('RECONNECT_LINK_TTL_S', 7 * 86_400, { min: 1 }),
      stateCookieTtlS: r.int('STATE_COOKIE_TTL_S', 900, { min: 1 }),
    },
    revocation: {
      pollIntervalMs: r.int('REVOCATION_POLL_INTERVAL_MS', 5_000, { min: 1 }),
      retryBaseMs: r.int('REVOCATION_RETRY_BASE_MS', 60_000, { min: 1 }),
      retryWindowS: r.int('REVOCATION_RETRY_WINDOW_S', 86_400, { min: 1 }),
    },
    retention: {
      days: retentionDays,
      batchSize: r.int('RETENTION_BATCH_SIZE', 500, { min: 1, max: 500 }),
      intervalMs: r.int('RETENTION_INTERVAL_MS', 3_600_000, { min: 1 }),
      connectSessionDays: r.int('CONNECT_SESSION_RETENTION_DAYS', 7, { min: 1 }),
      revocationDays: r.int('REVOCATION_RETENTION_DAYS', retentionDays, { min: 1 }),
      grantLedgerDays,
      // The dashboard charts up to 7 days.
      refreshStatsDays: r.int('REFRESH_STATS_RETENTION_DAYS', Math.max(7, retentionDays), { min: 7 }),
      revokedApiKeyDays: r.int('REVOKED_API_KEY_RETENTION_DAYS', retentionDays, { min: 1 }),
    },
    idempotencyTtlS: r.int('IDEMPOTENCY_TTL_S', 86_400, { min: 1 }),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 30_000),
    ui: {
      sessionTtlS: r.int('UI_SESSION_TTL_S', 12 * 3_600, { min: 1, max: 30 * 86_400 }),
    },
    hardening: readHardeningConfig(r),
    loginHosts: readLoginHostsConfig(r),
    providerUrls: readProviderUrlsConfig(r),
    auth: readAuthConfig(r),
    audit: readAuditConfig(r),
    proxy: readProxyConfig(r),
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

function hostnameSafe(): string {
  return (process.env.HOSTNAME ?? 'gk').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 32) || 'gk';
}

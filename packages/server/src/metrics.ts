// Prometheus metrics, one registry per server (several servers may share a test process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopDelay } from './event-loop-delay.js';

export function createMetrics() {
  const registry = new Registry();
  /** Set by the server: counts connections by status when Prometheus scrapes. */
  let countConnections: (() => Promise<Record<string, number>>) | null = null;
  /** Set by the server: the statements its database pool has sent. */
  let countStatements: (() => number) | null = null;
  let statementsReported = 0;
  collectDefaultMetrics({ register: registry, prefix: 'grantkeeper_' });
  registerEventLoopDelay(registry, 'grantkeeper_');
  return {
    registry,
    httpRequests: new Counter({
      name: 'grantkeeper_http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'grantkeeper_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    httpConnectionsRefused: new Counter({
      name: 'grantkeeper_http_connections_refused_total',
      help: 'Sockets refused because their client IP already held GRANTKEEPER_MAX_SOCKETS_PER_IP',
      registers: [registry],
    }),
    httpClientErrors: new Counter({
      name: 'grantkeeper_http_client_errors_total',
      help: 'Connections closed before a request existed, by reason (timeout: not arrived within GRANTKEEPER_REQUEST_TIMEOUT_MS)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    tokenCache: new Counter({
      name: 'grantkeeper_token_cache_total',
      help: 'Token fast-path cache lookups by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'grantkeeper_refresh_total',
      help: 'Refresh attempts by integration, provider, trigger, outcome and error',
      labelNames: ['integration', 'provider', 'trigger', 'outcome', 'error'] as const,
      registers: [registry],
    }),
    refreshDuration: new Histogram({
      name: 'grantkeeper_refresh_duration_seconds',
      help: 'Duration of provider token-endpoint calls',
      labelNames: ['integration', 'provider'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    leaseWaits: new Counter({
      name: 'grantkeeper_lease_waits_total',
      help: 'Callers that waited for another holder of a refresh lease, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    workerPasses: new Counter({
      name: 'grantkeeper_worker_passes_total',
      help: 'Passes of the background workers, by worker and outcome (ok, failed)',
      labelNames: ['worker', 'outcome'] as const,
      registers: [registry],
    }),
    leaseRenewalsFailed: new Counter({
      name: 'grantkeeper_lease_renewals_failed_total',
      help: 'Refresh lease renewals that failed (error: the database did not answer; lost: another holder has the lease)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    clockSkew: new Gauge({
      name: 'grantkeeper_provider_clock_skew_seconds',
      help: "Last observed difference between the provider's issued_at and our receive time",
      labelNames: ['integration'] as const,
      registers: [registry],
    }),
    signatureMismatches: new Counter({
      name: 'grantkeeper_signature_mismatch_total',
      help: 'Signed token responses whose signature did not verify (stored anyway)',
      labelNames: ['integration'] as const,
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'grantkeeper_connections',
      help: 'Connections by status',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        if (!countConnections) return;
        const counts = await countConnections().catch(() => null);
        if (!counts) return;
        for (const status of ['active', 'refresh_failing', 'needs_reauth', 'integration_error']) this.set({ status }, counts[status] ?? 0);
      },
    }),
    setConnectionCounter(fn: () => Promise<Record<string, number>>) {
      countConnections = fn;
    },
    dbStatements: new Counter({
      name: 'grantkeeper_db_statements_total',
      help: 'Statements (database round trips, BEGIN and COMMIT included) this instance sent',
      registers: [registry],
      collect() {
        if (!countStatements) return;
        const now = countStatements();
        this.inc(Math.max(0, now - statementsReported));
        statementsReported = now;
      },
    }),
    setStatementCounter(fn: () => number) {
      countStatements = fn;
    },
    revocations: new Counter({
      name: 'grantkeeper_revocations_total',
      help: 'Provider-side revocations of deleted grants by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'grantkeeper_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    outboxLag: new Gauge({
      name: 'grantkeeper_outbox_lag_seconds',
      help: 'Age of the oldest undelivered webhook event',
      registers: [registry],
    }),
    proxyRequests: new Counter({
      name: 'grantkeeper_proxy_requests_total',
      help: "API proxy calls by integration and status class (2xx…5xx: the provider's answer; refused: Grantkeeper's own; failed: the provider unreachable)",
      labelNames: ['integration', 'status_class'] as const,
      registers: [registry],
    }),
    proxyDuration: new Histogram({
      name: 'grantkeeper_proxy_duration_seconds',
      help: 'API proxy calls answered by the provider, from arrival to the last byte of the response',
      labelNames: ['integration'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    proxyBytes: new Counter({
      name: 'grantkeeper_proxy_bytes_total',
      help: 'API proxy body bytes by integration and direction (request: to the provider; response: to the caller)',
      labelNames: ['integration', 'direction'] as const,
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'grantkeeper_alerts_total',
      help: 'Conditions an operator should look at (non-JSON provider answers, unknown error codes, signature mismatches)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Counters for tests and benchmarks (`GET /__emulator/stats`). */
export interface EmulatorStats {
  /** Every request to the token endpoint, whatever its outcome. */
  token_requests: number;
  /** Successful refresh_token grants. */
  refreshes: number;
  /** refresh_token grants attempted (successful or not). */
  refresh_attempts: number;
  /** Successful authorization_code grants. */
  code_exchanges: number;
  /** Access tokens minted by the JWT Bearer flow. */
  jwt_bearer_grants: number;
  /** Access tokens minted by the Client Credentials flow. */
  client_credentials_grants: number;
  /** Authorization codes issued. */
  authorizations: number;
  /** Rotated-out refresh tokens presented again (each revoked a family). */
  reuse_detections: number;
  /** Second simultaneous refreshes rejected. */
  concurrent_rejections: number;
  /** Successful calls to the revoke endpoint. */
  revocations: number;
  /** Approvals revoked by admin actions, eviction, reuse or password change. */
  approvals_revoked: number;
  /** Approvals evicted by the per-user limit. */
  evictions: number;
  introspections: number;
  userinfo_requests: number;
  identity_requests: number;
  rest_requests: number;
  /** REST requests answered 401 INVALID_SESSION_ID. */
  rest_unauthorized: number;
  rate_limited: number;
  /** Code exchanges and refreshes refused by an app's Refresh Token IP Allowlist. */
  refresh_ip_blocked: number;
  faults_injected: number;
  /** Token-endpoint errors by "error/error_description". */
  token_errors: Record<string, number>;
  /** Highest number of successful refreshes within one second of emulator time. */
  peak_refreshes_per_s: number;
}

export class StatsRecorder {
  private counters: EmulatorStats = StatsRecorder.empty();
  private currentSecond = -1;
  private refreshesThisSecond = 0;

  static empty(): EmulatorStats {
    return {
      token_requests: 0,
      refreshes: 0,
      refresh_attempts: 0,
      code_exchanges: 0,
      jwt_bearer_grants: 0,
      client_credentials_grants: 0,
      authorizations: 0,
      reuse_detections: 0,
      concurrent_rejections: 0,
      revocations: 0,
      approvals_revoked: 0,
      evictions: 0,
      introspections: 0,
      userinfo_requests: 0,
      identity_requests: 0,
      rest_requests: 0,
      rest_unauthorized: 0,
      rate_limited: 0,
      refresh_ip_blocked: 0,
      faults_injected: 0,
      token_errors: {},
      peak_refreshes_per_s: 0,
    };
  }

  count(key: Exclude<keyof EmulatorStats, 'token_errors' | 'peak_refreshes_per_s'>, by = 1): void {
    this.counters[key] += by;
  }

  tokenError(error: string, description: string): void {
    const key = `${error}/${description}`;
    this.counters.token_errors[key] = (this.counters.token_errors[key] ?? 0) + 1;
  }

  refreshSucceeded(nowMs: number): void {
    this.counters.refreshes++;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.currentSecond) {
      this.currentSecond = second;
      this.refreshesThisSecond = 0;
    }
    this.refreshesThisSecond++;
    if (this.refreshesThisSecond > this.counters.peak_refreshes_per_s) this.counters.peak_refreshes_per_s = this.refreshesThisSecond;
  }

  snapshot(): EmulatorStats {
    return { ...this.counters, token_errors: { ...this.counters.token_errors } };
  }

  reset(): void {
    this.counters = StatsRecorder.empty();
    this.currentSecond = -1;
    this.refreshesThisSecond = 0;
  }
}

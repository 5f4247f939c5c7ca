import type { EmulatorClock } from './clock.js';

/**
 * Traffic controls: injected faults, added latency, the token endpoint's rate
 * limit and the refresh hold that lets tests overlap two refreshes.
 */

export type EndpointName =
  | 'token'
  | 'authorize'
  | 'revoke'
  | 'introspect'
  | 'userinfo'
  | 'identity'
  | 'rest'
  | 'discovery'
  | 'any';

export interface FaultSpec {
  /** HTTP status to answer (default 503). */
  status?: number;
  /**
   * 'timeout': accept the request and never answer; 'reset': destroy the socket;
   * 'non_json': answer an HTML page with `status`. Omitted: a JSON error with `status`.
   */
  mode?: 'timeout' | 'reset' | 'non_json';
  /** How many requests it hits; omitted = until cleared. */
  count?: number;
  /** Which endpoint (default 'token'). */
  endpoint?: EndpointName;
  /** Replace the body (an object is sent as JSON). */
  body?: string | Record<string, unknown> | unknown[];
}

export interface ActiveFault {
  status: number;
  mode: 'status' | 'timeout' | 'reset' | 'non_json';
  remaining: number;
  endpoint: EndpointName;
  body: string | Record<string, unknown> | unknown[] | undefined;
}

export interface RateLimitSpec {
  maxPerS: number;
  style?: '400' | '429';
}

export class TrafficControls {
  private faults: ActiveFault[] = [];
  private latency = new Map<EndpointName, number>();
  private rateLimit: { maxPerS: number; style: '400' | '429' | undefined } | null = null;
  private rateWindowSecond = -1;
  private rateWindowCount = 0;
  /** ms each refresh grant holds its token's in-flight lock. */
  refreshHoldMs = 0;

  constructor(private readonly clock: EmulatorClock) {}

  addFault(spec: FaultSpec): ActiveFault {
    const status = spec.status ?? 503;
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new TypeError('status must be an HTTP status');
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) throw new TypeError('count must be a positive integer');
    const fault: ActiveFault = {
      status,
      mode: spec.mode ?? 'status',
      remaining: spec.count ?? Number.POSITIVE_INFINITY,
      endpoint: spec.endpoint ?? 'token',
      body: spec.body,
    };
    if (!['status', 'timeout', 'reset', 'non_json'].includes(fault.mode)) throw new TypeError('mode must be timeout, reset or non_json');
    this.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.faults = [];
  }

  listFaults(): Array<Omit<ActiveFault, 'remaining'> & { remaining: number | null }> {
    return this.faults.map((f) => ({ ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : null }));
  }

  /** Consumes and returns the first fault matching this endpoint, if any. */
  takeFault(endpoint: EndpointName): ActiveFault | null {
    const index = this.faults.findIndex((f) => f.endpoint === endpoint || f.endpoint === 'any');
    if (index < 0) return null;
    const fault = this.faults[index]!;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  setLatency(ms: number, endpoint: EndpointName = 'any'): void {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError('latency_ms must be >= 0');
    if (ms === 0) this.latency.delete(endpoint);
    else this.latency.set(endpoint, ms);
  }

  latencyFor(endpoint: EndpointName): number {
    return this.latency.get(endpoint) ?? this.latency.get('any') ?? 0;
  }

  setRateLimit(spec: RateLimitSpec | null): void {
    if (spec && (!Number.isFinite(spec.maxPerS) || spec.maxPerS < 0)) throw new TypeError('max_per_s must be >= 0');
    if (spec?.style !== undefined && spec.style !== '400' && spec.style !== '429') throw new TypeError('style must be "400" or "429"');
    this.rateLimit = spec ? { maxPerS: spec.maxPerS, style: spec.style } : null;
    this.rateWindowSecond = -1;
    this.rateWindowCount = 0;
  }

  /**
   * Counts a token request in the current second of emulator time. Returns the
   * style to answer with when over the limit (undefined style = the app's policy), or null.
   */
  overRateLimit(): { style: '400' | '429' | undefined } | null {
    if (!this.rateLimit) return null;
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.rateWindowSecond) {
      this.rateWindowSecond = second;
      this.rateWindowCount = 0;
    }
    this.rateWindowCount++;
    return this.rateWindowCount > this.rateLimit.maxPerS ? { style: this.rateLimit.style } : null;
  }

  reset(): void {
    this.clearFaults();
    this.latency.clear();
    this.setRateLimit(null);
    this.refreshHoldMs = 0;
  }
}

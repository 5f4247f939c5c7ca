import type { EmulatorClock } from './clock.js';
import type { Handler } from './http.js';
import type { IdTokenSigner } from './id-token.js';
import type { PolicyOverrides } from './policies.js';
import type { RequestLog } from './request-log.js';
import type { EmulatorState } from './state.js';
import type { StatsRecorder } from './stats.js';
import type { EndpointName, TrafficControls } from './traffic.js';

/** Everything a request handler needs; one per running emulator. */
export interface EmulatorContext {
  state: EmulatorState;
  clock: EmulatorClock;
  stats: StatsRecorder;
  traffic: TrafficControls;
  idTokens: IdTokenSigner;
  settings: EmulatorSettings;
  requestLog: RequestLog;
  /** Adds a route once the server is built (provider-style revocation endpoints a test asks for). */
  addRoute?: (method: string, path: string, handler: Handler, endpoint?: EndpointName) => void;
}

export interface EmulatorSettings {
  /** Login host base URL (issuer, `id` URLs), no trailing slash. Set once listening. */
  loginUrl: string;
  /** Default instance_url (REST host), no trailing slash. */
  instanceUrl: string;
  /** Authorize requests whose login_hint names a user skip the login page. */
  autoApprove: boolean;
  /** Authorization-code lifetime (docs/salesforce.md: about 15 minutes, recalled). */
  codeLifetimeS: number;
  /** REST API daily request limit reported in Sforce-Limit-Info; over it, 403 REQUEST_LIMIT_EXCEEDED. */
  apiDailyLimit: number;
  /** REST requests counted against that limit. */
  apiRequestsUsed: number;
  /**
   * Whether this emulator plays an org's My Domain (default) or the shared login hosts
   * (login/test.salesforce.com), where the Client Credentials flow is refused.
   */
  myDomain: boolean;
  /** Emulator-wide policy defaults, under every app's own settings. */
  policyDefaults: PolicyOverrides;
}

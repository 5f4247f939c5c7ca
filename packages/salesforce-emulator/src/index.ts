/**
 * @grantkeeper/salesforce-emulator: a faithful local Salesforce OAuth 2.0 server.
 * Start one with `startSalesforceEmulator({ port: 0 })`.
 */
export { startSalesforceEmulator, SalesforceEmulator, type EmulatorOptions } from './server.js';
export {
  SalesforceEmulatorControls,
  type AppInput,
  type OrgInput,
  type UserInput,
  type ApprovalFilter,
  type SessionFilter,
  type RefreshTokenStatus,
  type CodeInput,
  type RuntimeSettings,
} from './emulator.js';
export type { ApprovalInfo } from './admin.js';
export type { AppView, OrgView, UserView } from './views.js';
export type { EmulatorClock, ClockOptions } from './clock.js';
export type { EmulatorStats } from './stats.js';
export type { RequestLogEntry } from './request-log.js';
export type { FaultSpec, RateLimitSpec, EndpointName } from './traffic.js';
export { DEFAULT_POLICY, type PolicySettings, type PolicyOverrides, type RefreshTokenPolicy } from './policies.js';
export type { EmulatorSeed } from './seed.js';
export type { AppMode, AppType } from './state.js';
export { to18, caseSafeSuffix, isSalesforceId } from './ids.js';
export {
  SALESFORCE_ERRORS,
  GENERIC_ERRORS,
  AUTHORIZE_ERRORS,
  REST_INVALID_SESSION,
  IDENTITY_BAD_TOKEN,
  type OAuthErrorKind,
  type OAuthErrorBody,
} from './errors.js';

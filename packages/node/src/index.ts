// Public surface of @grantkeeper/node.
export { Grantkeeper } from './client.js';
export type { GrantkeeperOptions, GetTokenOptions, RequestOptions, PostOptions } from './client.js';
export {
  GrantkeeperError,
  AuthenticationError,
  NotFoundError,
  ValidationError,
  ReauthRequiredError,
  IntegrationError,
  RetryableError,
  ProviderUnavailableError,
  RefreshInProgressError,
} from './errors.js';
export type { FetchLike } from './fetch.js';
export type { ProxyRequest, ProxyCallOptions, ProxyMethod } from './proxy.js';
export { PageIterator } from './pagination.js';
export { verifyWebhook, WebhookVerificationError } from './webhooks.js';
export type { VerifyWebhookOptions, WebhookHeaders, WebhookVerificationReason } from './webhooks.js';
export type * from './types.js';

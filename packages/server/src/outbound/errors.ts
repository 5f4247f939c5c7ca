// What the guarded outbound client throws: a refused destination (never sent), or a
// transport failure that says whether the whole request had gone out first.
export class OutboundBlockedError extends Error {
  override name = 'OutboundBlockedError';
  readonly requestSent = false;
  constructor(readonly address: string) {
    super(`outbound connection to ${address} refused: special-purpose address (set GRANTKEEPER_ALLOW_PRIVATE_NETWORK to allow it)`);
  }
}

export class OutboundRequestError extends Error {
  override name = 'OutboundRequestError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network_error' | 'too_large',
    /** The whole request was handed to the network before the failure. */
    readonly requestSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The outbound proxy failed before the provider was reached: it could not be connected to, or
 * it refused to open the tunnel (wrong credentials: 407; the destination unreachable from
 * it: 5xx). Nothing reached the provider. The message names the proxy by host:port only.
 */
export class OutboundProxyError extends Error {
  override name = 'OutboundProxyError';
  readonly requestSent = false;
  constructor(
    readonly proxy: string,
    /** The proxy's status when it answered the CONNECT; null when it could not be reached. */
    readonly proxyStatus: number | null,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(proxyStatus === null ? `outbound proxy ${proxy} unreachable: ${detail}` : `outbound proxy ${proxy} refused the tunnel: ${proxyStatus} ${detail}`, options);
  }
}

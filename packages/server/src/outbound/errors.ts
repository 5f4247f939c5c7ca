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

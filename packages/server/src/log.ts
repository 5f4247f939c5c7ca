// Structured JSON logs (pino). Secrets are redacted at the logger, whatever the call site
// logs: credentials by field name, and bearer-like values inside URLs (connect tokens,
// reconnect signatures, OAuth codes and state).
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

const SECRET_FIELDS = [
  'access_token', 'refresh_token', 'client_secret', 'secret', 'token', 'code', 'code_verifier',
  'password', 'authorization', 'cookie', 'set-cookie', 'accessToken', 'refreshToken', 'clientSecret',
  'secretKey', 'secret_key', 'encryption_keys', 'previous_secret',
  // an integration's proxy URL as sent (it may carry the proxy's password)
  'outbound_proxy', 'outboundProxy', 'proxy_password',
];

// `code` (an OAuth authorization code) only at the top level: deeper, it is an error code
// (ECONNREFUSED, a SQLSTATE) an operator needs.
const NESTED_SECRET_FIELDS = SECRET_FIELDS.filter((f) => f !== 'code');

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...NESTED_SECRET_FIELDS.map((f) => `*.${f}`),
  ...NESTED_SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Masks the secret parts of a request URL before it is logged. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/connect\/[^/?#]+/, '/connect/[redacted]')
    .replace(/([?&](?:sig|code|state|token|access_token|refresh_token)=)[^&#]*/g, '$1[redacted]');
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
          id: req.id,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

export type { Logger };

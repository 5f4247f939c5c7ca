// Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
// `id.timestamp.body`; `sign()` returns only the signature, so the three headers are ours.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the spec's format). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The headers of one attempt. Every secret in `secrets` signs (current first, then the
 * previous one during a rotation's overlap): receivers verifying with either succeed.
 */
export function signedHeaders(secrets: string[], eventId: string, at: Date, body: string): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, at, body));
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

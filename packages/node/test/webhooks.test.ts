// verifyWebhook against deliveries signed by the independent `standardwebhooks` package.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from '../src/index.js';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const secret = newSecret();
const now = new Date();

const event = {
  type: 'connection.reauth_required',
  timestamp: now.toISOString(),
  data: {
    connection: { id: 'conn_1', status: 'needs_reauth', generation: 3 },
    status: 'needs_reauth',
    generation: 3,
    sequence: 9,
    diagnosis: null,
    reconnect_url: 'http://localhost:4280/reconnect/conn_1?sig=x',
  },
};
const payload = JSON.stringify(event);

function signed(body: string, opts: { secrets?: string[]; at?: Date; id?: string } = {}) {
  const at = opts.at ?? now;
  const id = opts.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const signatures = (opts.secrets ?? [secret]).map((s) => new Webhook(s).sign(id, at, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('verifyWebhook', () => {
  it('accepts a genuine delivery and returns the typed event', () => {
    const verified: WebhookEvent = verifyWebhook(payload, signed(payload), secret);
    expect(verified).toEqual(event);
    if (verified.type === 'connection.reauth_required') {
      // The union narrows on `type`: these members exist only on this event.
      expect(verified.data.reconnect_url).toContain('/reconnect/');
      expect(verified.data.sequence).toBe(9);
    } else {
      expect.unreachable();
    }
  });

  it('accepts the body as a Buffer', () => {
    expect(verifyWebhook(Buffer.from(payload), signed(payload), secret).type).toBe('connection.reauth_required');
  });

  it('rejects a tampered body', () => {
    const headers = signed(payload);
    const tampered = payload.replace('"generation":3', '"generation":4');
    expect(reason(() => verifyWebhook(tampered, headers, secret))).toBe('no_matching_signature');
    // Re-serialized JSON (what a framework's JSON parser hands back) differs in bytes, and fails too.
    const reformatted = JSON.stringify(JSON.parse(payload), null, 2);
    expect(reason(() => verifyWebhook(reformatted, headers, secret))).toBe('no_matching_signature');
  });

  it('rejects a parsed object instead of the raw body', () => {
    expect(() => verifyWebhook(JSON.parse(payload) as never, signed(payload), secret)).toThrow(TypeError);
  });

  it('rejects a tampered id or timestamp', () => {
    const headers = signed(payload);
    expect(reason(() => verifyWebhook(payload, { ...headers, 'webhook-id': 'msg_other' }, secret))).toBe('no_matching_signature');
    const shifted = String(Number(headers['webhook-timestamp']) + 1);
    expect(reason(() => verifyWebhook(payload, { ...headers, 'webhook-timestamp': shifted }, secret))).toBe('no_matching_signature');
  });

  it('rejects the wrong secret', () => {
    expect(reason(() => verifyWebhook(payload, signed(payload), newSecret()))).toBe('no_matching_signature');
  });

  it('rejects stale and future timestamps, within the default 5 minutes tolerance', () => {
    const old = new Date(now.getTime() - 301_000);
    const future = new Date(now.getTime() + 301_000);
    expect(reason(() => verifyWebhook(payload, signed(payload, { at: old }), secret, { now }))).toBe('timestamp_too_old');
    expect(reason(() => verifyWebhook(payload, signed(payload, { at: future }), secret, { now }))).toBe('timestamp_too_new');
    const edge = new Date(now.getTime() - 299_000);
    expect(reason(() => verifyWebhook(payload, signed(payload, { at: edge }), secret, { now }))).toBe('accepted');
  });

  it('honours toleranceS and now', () => {
    const at = new Date(now.getTime() - 60_000);
    expect(reason(() => verifyWebhook(payload, signed(payload, { at }), secret, { now, toleranceS: 30 }))).toBe('timestamp_too_old');
    // Replaying a stored delivery: verify as of the time it arrived.
    const later = now.getTime() + 3_600_000;
    expect(reason(() => verifyWebhook(payload, signed(payload), secret, { now: later }))).toBe('timestamp_too_old');
    expect(reason(() => verifyWebhook(payload, signed(payload), secret, { now: now.getTime() }))).toBe('accepted');
  });

  it('rejects missing headers and a non-numeric timestamp', () => {
    const headers = signed(payload);
    const { 'webhook-signature': _drop, ...noSignature } = headers;
    expect(reason(() => verifyWebhook(payload, noSignature, secret))).toBe('missing_headers');
    expect(reason(() => verifyWebhook(payload, { ...headers, 'webhook-timestamp': '17e8' }, secret))).toBe('invalid_timestamp');
  });

  it('accepts either of two signatures during a secret rotation', () => {
    const oldSecret = newSecret();
    const headers = signed(payload, { secrets: [oldSecret, secret] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(reason(() => verifyWebhook(payload, headers, secret))).toBe('accepted'); // receiver already on the new secret
    expect(reason(() => verifyWebhook(payload, headers, oldSecret))).toBe('accepted'); // receiver not yet updated
    expect(reason(() => verifyWebhook(payload, headers, newSecret()))).toBe('no_matching_signature');
  });

  it('accepts an array of secrets', () => {
    const oldSecret = newSecret();
    expect(reason(() => verifyWebhook(payload, signed(payload, { secrets: [oldSecret] }), [secret, oldSecret]))).toBe('accepted');
    expect(reason(() => verifyWebhook(payload, signed(payload), [newSecret(), newSecret()]))).toBe('no_matching_signature');
  });

  it('ignores unknown signature versions and malformed entries', () => {
    const headers = signed(payload);
    const mixed = `v2,${randomBytes(32).toString('base64')} garbage ${headers['webhook-signature']}`;
    expect(reason(() => verifyWebhook(payload, { ...headers, 'webhook-signature': mixed }, secret))).toBe('accepted');
    const onlyOther = `v1a,${headers['webhook-signature'].slice(3)}`;
    expect(reason(() => verifyWebhook(payload, { ...headers, 'webhook-signature': onlyOther }, secret))).toBe('no_matching_signature');
  });

  it('reads headers from a Headers object, any letter case, and IncomingHttpHeaders', () => {
    const headers = signed(payload);
    expect(verifyWebhook(payload, new Headers(headers), secret).type).toBe('connection.reauth_required');

    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(payload, upper, secret).type).toBe('connection.reauth_required');
    const mixed = {
      'Webhook-Id': headers['webhook-id'],
      'Webhook-Timestamp': headers['webhook-timestamp'],
      'Webhook-Signature': headers['webhook-signature'],
    };
    expect(verifyWebhook(payload, mixed, secret).type).toBe('connection.reauth_required');

    const incoming: IncomingHttpHeaders = { ...headers, 'content-type': 'application/json', 'set-cookie': ['a=b'] };
    expect(verifyWebhook(payload, incoming, secret).type).toBe('connection.reauth_required');
  });

  it('verifies a delivery received by a real node:http server (raw body, IncomingHttpHeaders)', async () => {
    const { createServer } = await import('node:http');
    const received: { status: number; type?: string }[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        const verified = verifyWebhook(Buffer.concat(chunks), req.headers, secret);
        received.push({ status: 204, type: verified.type });
        res.writeHead(204).end();
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        received.push({ status: 400 });
        res.writeHead(400).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const good = await fetch(`http://127.0.0.1:${port}/hooks`, { method: 'POST', headers: signed(payload), body: payload });
      const bad = await fetch(`http://127.0.0.1:${port}/hooks`, { method: 'POST', headers: signed(payload, { secrets: [newSecret()] }), body: payload });
      expect([good.status, bad.status]).toEqual([204, 400]);
      expect(received).toEqual([{ status: 204, type: 'connection.reauth_required' }, { status: 400 }]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a secret that is not whsec_<base64>', () => {
    expect(() => verifyWebhook(payload, signed(payload), 'whsec_not base64!')).toThrow(TypeError);
    expect(() => verifyWebhook(payload, signed(payload), [])).toThrow(TypeError);
  });

  it('rejects a signed body that is not an event', () => {
    expect(reason(() => verifyWebhook('[1,2]', signed('[1,2]'), secret))).toBe('invalid_payload');
    expect(reason(() => verifyWebhook('not json', signed('not json'), secret))).toBe('invalid_payload');
  });
});

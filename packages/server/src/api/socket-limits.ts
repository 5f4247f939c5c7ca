// What one client can make the HTTP server hold. A request must arrive whole within
// GRANTKEEPER_REQUEST_TIMEOUT_MS (headers and body; a socket that dribbles bytes or sends
// nothing is answered 408 and closed), and one client IP holds at most
// GRANTKEEPER_MAX_SOCKETS_PER_IP sockets at once. Both act before any route runs.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HardeningConfig } from '../config/hardening.js';

/** Fastify's server options for the request deadline. */
export function requestDeadlineOptions(hardening: HardeningConfig) {
  const timeoutMs = hardening.requestTimeoutMs;
  return {
    requestTimeout: timeoutMs,
    http: {
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      // Node looks for overdue requests on this period; the default (30 s) would let a shrunk
      // deadline slip by up to that much.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(timeoutMs / 4))),
    },
  };
}

export type ClientErrorReason = 'timeout' | 'header_overflow' | 'malformed';

const ANSWERS: Record<ClientErrorReason, { status: string; code: string; detail: string }> = {
  timeout: { status: '408 Request Timeout', code: 'request_timeout', detail: 'The request did not arrive in full in time.' },
  header_overflow: { status: '431 Request Header Fields Too Large', code: 'headers_too_large', detail: 'The request headers are too large.' },
  malformed: { status: '400 Bad Request', code: 'malformed_request', detail: 'The request is not valid HTTP.' },
};

/** A problem+json answer written straight to a socket (no request object exists yet). */
function rawProblem(status: string, code: string, detail: string): string {
  const [number, ...words] = status.split(' ');
  const body = JSON.stringify({
    type: `https://grantkeeper.dev/problems/${code.replace(/_/g, '-')}`,
    title: words.join(' '),
    status: Number(number),
    detail,
    code,
  });
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * Answers what Node's HTTP parser rejects before a request exists — a request that missed
 * its deadline, oversized headers, bytes that are not HTTP — with problem+json, and closes.
 */
export function clientErrorHandler(count: (reason: ClientErrorReason) => void) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const reason: ClientErrorReason =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? 'header_overflow' : 'malformed';
    count(reason);
    const answer = ANSWERS[reason];
    if (socket.writable) socket.write(rawProblem(answer.status, answer.code, answer.detail));
    socket.destroy();
  };
}

const TOO_MANY = rawProblem('503 Service Unavailable', 'too_many_connections', 'This client already holds the most connections one address may open; reuse or close them.');

/** IPv4 clients of a dual-stack listener arrive as `::ffff:a.b.c.d`: count them as `a.b.c.d`. */
const clientKey = (address: string) => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase());

/**
 * Caps the sockets one client IP holds open. A socket over the cap is answered 503
 * (`too_many_connections`) and destroyed at once, before the HTTP parser can hand any of its
 * requests to a route. `max` 0 lifts the cap.
 */
export function limitSocketsPerIp(server: Server, max: number, onRefused: () => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    if (socket.remoteAddress === undefined) return; // already gone
    const key = clientKey(socket.remoteAddress);
    const held = open.get(key) ?? 0;
    if (held >= max) {
      onRefused();
      socket.write(TOO_MANY);
      socket.destroy();
      return;
    }
    open.set(key, held + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

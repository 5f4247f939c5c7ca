// Slow and piled-up clients cannot hold the server's sockets: a request whose headers and body
// have not arrived in full within GRANTKEEPER_REQUEST_TIMEOUT_MS is answered 408 and closed,
// however steadily it dribbles; one client IP holds at most GRANTKEEPER_MAX_SOCKETS_PER_IP
// sockets while other addresses still get in. Real sockets against a real server; the HTTP
// layer does not depend on the database, so one backend is enough.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { until } from './helpers/wait.js';

interface Client {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
  /** Bytes this client had written when the server closed it. */
  sentWhenClosed: () => number | null;
  stop: () => void;
}

/** A raw TCP client from `localAddress`, writing `chunks` one every `everyMs` (all at once when 0). */
function client(port: number, options: { localAddress?: string; chunks?: string[]; everyMs?: number } = {}): Client {
  const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress ?? '127.0.0.1' });
  let data = '';
  let sent = 0;
  let closedAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  const chunks = [...(options.chunks ?? [])];
  socket.on('data', (chunk) => (data += String(chunk)));
  socket.on('error', () => {});
  socket.on('close', () => {
    closedAt = sent;
    clearInterval(timer);
  });
  socket.on('connect', () => {
    if (!options.everyMs) {
      for (const chunk of chunks) {
        socket.write(chunk);
        sent += chunk.length;
      }
      return;
    }
    timer = setInterval(() => {
      const chunk = chunks.shift();
      if (chunk === undefined || socket.destroyed) return clearInterval(timer);
      socket.write(chunk);
      sent += chunk.length;
    }, options.everyMs);
  });
  return {
    socket,
    received: () => data,
    closed: () => closedAt !== null,
    sentWhenClosed: () => closedAt,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

// Read in process: a scrape over HTTP would hold a keep-alive socket of its own.
const metric = async (server: TestServer, line: RegExp) => Number(line.exec(await server.ctx.metrics.registry.metrics())?.[1] ?? 0);

describe('slow clients', () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer('pglite', { GRANTKEEPER_REQUEST_TIMEOUT_MS: '400' }, { logName: 'slow-clients' });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('sockets that send nothing, dribble headers or dribble a body are answered 408 and closed', async () => {
    const timeouts = /grantkeeper_http_client_errors_total\{reason="timeout"\} (\d+)/;
    const before = await metric(server, timeouts);
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    const body = 'b'.repeat(300);
    const silent = client(port);
    const headers = client(port, { chunks: [...header], everyMs: 20 });
    // Authenticated, so the body is awaited (an unauthenticated one is answered 401 at once).
    const uploadHead = `POST /v1/connections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const upload = client(port, { chunks: [uploadHead, ...body], everyMs: 20 });
    const all = [silent, headers, upload];
    try {
      await until('the server to close every slow socket', () => all.every((c) => c.closed()), 30_000);
      for (const c of all) expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*"code":"request_timeout"/);
      // Closed while still dribbling, not because they ran out of bytes.
      expect(headers.sentWhenClosed()!).toBeLessThan(header.length);
      expect(upload.sentWhenClosed()!).toBeLessThan(uploadHead.length + body.length);
      expect(upload.received()).not.toContain('201');
      expect(await metric(server, timeouts)).toBe(before + 3);
    } finally {
      for (const c of all) c.stop();
    }
    // A request that arrives whole is served as ever.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('sockets per client IP', () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer('pglite', { GRANTKEEPER_MAX_SOCKETS_PER_IP: '3' }, { logName: 'sockets-per-ip' });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const healthz = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  const answered = (c: Client) => /^HTTP\/1\.1 \d{3}/.test(c.received());

  test('a connection over the cap is refused (503, closed, no route runs) while other addresses still get in', async () => {
    const refusedMetric = /grantkeeper_http_connections_refused_total (\d+)/;
    const refusedBefore = await metric(server, refusedMetric);
    // Three keep-alive sockets from 127.0.0.1, each served once and then held open.
    const held = [client(port, { chunks: [healthz] }), client(port, { chunks: [healthz] }), client(port, { chunks: [healthz] })];
    const extra: Client[] = [];
    try {
      await until('the three held sockets served', () => held.every(answered), 30_000);
      for (const c of held) expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK/);

      const fourth = client(port, { chunks: ['POST /v1/connections HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'] });
      extra.push(fourth);
      await until('the fourth socket closed', () => fourth.closed(), 30_000);
      expect(fourth.received()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*"code":"too_many_connections"/);
      expect(held.every((c) => !c.closed())).toBe(true);
      // Its request never reached a route (every answered request is counted by route).
      expect(await server.ctx.metrics.registry.metrics()).not.toMatch(/grantkeeper_http_requests_total\{method="POST",route="\/v1\/connections"/);

      // Another address is not affected by 127.0.0.1's sockets.
      const other = client(port, { localAddress: '127.0.0.2', chunks: [healthz] });
      extra.push(other);
      await until('the other address served', () => answered(other), 30_000);
      expect(other.received()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(await metric(server, refusedMetric)).toBe(refusedBefore + 1);

      // A socket closed frees its place for the same address.
      held[0]!.stop();
      await until('a place freed for 127.0.0.1', async () => {
        const retry = client(port, { chunks: [healthz] });
        extra.push(retry);
        await until('an answer', () => retry.closed() || answered(retry), 30_000);
        return /^HTTP\/1\.1 200 OK/.test(retry.received());
      }, 30_000);
    } finally {
      for (const c of [...held, ...extra]) c.stop();
    }
  });
});

// A small provider API over real HTTP for the proxy tests, where the Salesforce emulator's
// REST API cannot show what arrived: it answers every request with what it received
// (method, path, headers, body) and with headers a proxy must pass or drop; `/stream`
// sends its first chunk and holds the rest until the test releases it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderApi {
  url: string;
  /** Requests received, oldest first. */
  received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  /** Lets the held `/stream` response finish. */
  releaseStream(): void;
  /** Resolves when a `/hold` response (first chunk, then nothing) is closed, with whether it had finished. */
  holdClosed: Promise<boolean>;
  close(): Promise<void>;
}

export async function startProviderApi(): Promise<ProviderApi> {
  const received: ProviderApi['received'] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let closed: (finished: boolean) => void = () => {};
  const holdClosed = new Promise<boolean>((resolve) => (closed = resolve));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/api/silent')) return; // never answers
      if (req.url?.startsWith('/api/hold')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk\n');
        res.on('close', () => closed(res.writableFinished));
        return;
      }
      if (req.url?.startsWith('/api/stream')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk\n');
        void held.then(() => res.end('last chunk\n'));
        return;
      }
      res.writeHead(req.url?.startsWith('/api/missing') ? 404 : 200, {
        'content-type': 'application/json',
        'set-cookie': 'provider_session=abc; Path=/',
        'x-ratelimit-remaining': '41',
        'retry-after': '7',
        'grantkeeper-proxy-error': 'false',
        connection: 'keep-alive, x-hop-private',
        'x-hop-private': 'hop',
      });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    releaseStream: () => release(),
    holdClosed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw request, so that a path reaches the server exactly as written (fetch would normalise `..`). */
export function rawRequest(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

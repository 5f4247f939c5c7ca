// A real webhook receiver for the webhook tests: node:http on a fixed port, so it can be
// down (not listening) for a while and come back at the same URL; its behaviour per
// request is programmable (answer, slow, 500, 410, redirect). Signatures are checked on
// the receiving side with the standardwebhooks package.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  payload: any;
  path: string;
  /** Whether this request was answered 2xx in time from the receiver's side. */
  answered: number | null;
}

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'redirect'; location: string };

export class Receiver {
  port = 0;
  readonly received: Received[] = [];
  behaviour: (request: Received) => Behaviour = () => ({ kind: 'ok' });
  private server: Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections (keep-alive sockets too). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** A port that nothing listens on yet (the receiver is "down" until start()). */
  async reservePort(): Promise<void> {
    await this.start();
    await this.stop();
  }

  ids(): string[] {
    return this.received.filter((r) => r.path === '/hook').map((r) => r.id);
  }

  /** Delivered = answered 2xx. */
  acknowledged(): Received[] {
    return this.received.filter((r) => r.answered !== null && r.answered >= 200 && r.answered < 300);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let payload: unknown = null;
    try {
      payload = JSON.parse(body);
    } catch {
      /* recorded as is */
    }
    const entry: Received = {
      id: String(req.headers['webhook-id'] ?? ''),
      timestamp: String(req.headers['webhook-timestamp'] ?? ''),
      signature: String(req.headers['webhook-signature'] ?? ''),
      body,
      payload,
      path: (req.url ?? '').split('?')[0]!,
      answered: null,
    };
    this.received.push(entry);
    const behaviour = this.behaviour(entry);
    if (behaviour.kind === 'slow') {
      await new Promise((r) => setTimeout(r, behaviour.ms));
      if (!res.destroyed && !res.socket?.destroyed) {
        entry.answered = 200;
        res.writeHead(200).end('late ok');
      }
      return;
    }
    const [status, headers, text] =
      behaviour.kind === 'ok' ? [204, {}, ''] :
      behaviour.kind === 'redirect' ? [302, { location: behaviour.location }, 'moved'] :
      [behaviour.status, { 'content-type': 'text/plain' }, behaviour.body ?? `status ${behaviour.status}`];
    entry.answered = status;
    res.writeHead(status, headers).end(text);
  }
}

/** Verifies with the receiving side's library; returns the parsed payload or throws. */
export function verify(secret: string, entry: Received): unknown {
  return new Webhook(secret).verify(entry.body, {
    'webhook-id': entry.id,
    'webhook-timestamp': entry.timestamp,
    'webhook-signature': entry.signature,
  });
}

// A Salesforce rig whose server knows its own public URL (the exact redirect URI the
// emulator app registers), with helpers that walk the connect flow over plain HTTP.
import { createServer } from 'node:net';
import type { BackendKind } from './databases.js';
import { startSalesforceRig, type SalesforceRig } from './salesforce.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type ConnectRig = SalesforceRig & { publicUrl: string };

export async function startConnectRig(
  backend: BackendKind,
  options: Parameters<typeof startSalesforceRig>[1] = {},
): Promise<ConnectRig> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    try {
      const rig = await startSalesforceRig(backend, {
        ...options,
        env: {
          GRANTKEEPER_PORT: String(port),
          GRANTKEEPER_PUBLIC_URL: publicUrl,
          GRANTKEEPER_REVOCATION_POLL_INTERVAL_MS: '50',
          GRANTKEEPER_REVOCATION_RETRY_BASE_MS: '50',
          ...options.env,
        },
      });
      return Object.assign(rig, { publicUrl });
    } catch (error) {
      // Another process took the port between the probe and the listen: try another.
      if (attempt < 3 && /EADDRINUSE/.test(String(error))) continue;
      throw error;
    }
  }
}

export const cookieHeader = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');

export interface Walk {
  /** POST /connect/{token} */
  start: Response;
  authorizeUrl: URL;
  cookie: string;
  /** The emulator's redirect to our callback. */
  callbackUrl: string;
  /** GET /oauth/callback */
  callback: Response;
  location: URL | null;
}

/**
 * Continue → the provider (auto-approving as `username`, or denying) → the callback, with the
 * cookie the start set (or without it).
 */
export async function walkFlow(
  connectUrl: string,
  username: string,
  options: { decision?: 'allow' | 'deny'; withCookie?: boolean } = {},
): Promise<Walk> {
  const start = await fetch(connectUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  if (start.status !== 302) throw new Error(`POST ${connectUrl}: ${start.status} ${await start.text()}`);
  const cookie = cookieHeader(start);
  const authorizeUrl = new URL(start.headers.get('location')!);
  const atProvider = new URL(authorizeUrl);
  atProvider.searchParams.set('login_hint', username);
  atProvider.searchParams.set('emulator_auto_approve', options.decision ?? 'allow');
  const provider = await fetch(atProvider, { redirect: 'manual' });
  if (provider.status !== 302) throw new Error(`authorize: ${provider.status} ${await provider.text()}`);
  const callbackUrl = provider.headers.get('location')!;
  const callback = await fetch(callbackUrl, { redirect: 'manual', headers: options.withCookie === false ? {} : { cookie } });
  const location = callback.headers.get('location');
  return { start, authorizeUrl, cookie, callbackUrl, callback, location: location ? new URL(location) : null };
}

import { createHash, randomBytes } from 'node:crypto';
import { startSalesforceEmulator, type AppInput, type EmulatorOptions, type SalesforceEmulator } from '../src/index.js';

/** Shared set-up: a running emulator with one app and one user, over real HTTP. */

export const CALLBACK = 'http://127.0.0.1:9/callback';
export const SECRET = 'consumer-secret-1';

export interface World {
  emu: SalesforceEmulator;
  clientId: string;
  username: string;
  userId: string;
  orgId: string;
}

export async function startWorld(app: Partial<AppInput> = {}, options: EmulatorOptions = {}): Promise<World> {
  const emu = await startSalesforceEmulator({ port: 0, clock: { frozen: true, startAt: Date.UTC(2026, 0, 1) }, ...options });
  const created = emu.createApp({ clientId: 'test-app', clientSecret: SECRET, callbackUrls: [CALLBACK], ...app });
  const user = emu.createUser({ username: 'ann@example.com' });
  return { emu, clientId: created.client_id, username: user.username, userId: user.user_id, orgId: user.org_id };
}

export interface Wire {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(url: string, init: RequestInit = {}): Promise<Wire> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON; tests look at text
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function form(params: Record<string, string | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out.set(k, v);
  return out;
}

export function postToken(emu: SalesforceEmulator, params: Record<string, string | undefined>, headers: Record<string, string> = {}, path = '/services/oauth2/token'): Promise<Wire> {
  return call(emu.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(params),
  });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Walks the authorize endpoint with per-request auto-approve and returns the callback's query. */
export async function authorize(w: World, query: Record<string, string> = {}, username = w.username): Promise<URLSearchParams> {
  const params = new URLSearchParams({ response_type: 'code', client_id: w.clientId, redirect_uri: CALLBACK, login_hint: username, ...query });
  const res = await call(`${w.emu.url}/services/oauth2/authorize?${params}`, { headers: { 'x-emulator-auto-approve': 'allow' } });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${res.text}`);
  return new URL(res.headers.get('location')!).searchParams;
}

/** A full authorization-code grant; returns the token response. */
export async function login(w: World, options: { scope?: string; username?: string } = {}): Promise<Record<string, string>> {
  const callback = await authorize(w, options.scope ? { scope: options.scope } : {}, options.username);
  const code = callback.get('code');
  if (!code) throw new Error(`no code: ${callback}`);
  const res = await postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK });
  if (res.status !== 200) throw new Error(`code exchange answered ${res.status}: ${res.text}`);
  return res.json;
}

export function refresh(w: World, refreshToken: string, extra: Record<string, string> = {}): Promise<Wire> {
  return postToken(w.emu, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: w.clientId, client_secret: SECRET, ...extra });
}

export function restCall(w: World, accessToken: string, path = '/services/data/v62.0/limits'): Promise<Wire> {
  return call(w.emu.url + path, { headers: { authorization: `Bearer ${accessToken}` } });
}

export const INVALID_GRANT = (description: string) => ({ error: 'invalid_grant', error_description: description });

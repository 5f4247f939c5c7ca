// The connect flow, page by page:
//   GET  /connect/{token}      start page (never uses the link up: scanners prefetch)
//   POST /connect/{token}      uses the link up, revokes a dead grant's token, sets the state
//                              cookie, 302 to the provider (state + PKCE S256)
//   GET  /oauth/callback       state by hash + cookie, code exchange, store, 302 to return_url
//   GET  /reconnect/{id}?sig=  a signed link → a fresh session → its start page
// Every ending is a page or a redirect with `status=success|error`; nothing is stored unless
// the whole grant is.
import { callbackUrl } from '../model/callback-url.js';
import { providerSettingsOf } from '../model/integration-settings.js';
import type { AppContext } from '../context.js';
import type { AuditContext } from '../domain/audit.js';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { sha256Hex } from '../crypto/hashing.js';
import { completeFlow } from '../db/connect-sessions/complete-flow.js';
import { findSessionByStateHash, findSessionByTokenHash, type ConnectSessionRow } from '../db/connect-sessions/find-session.js';
import { setRevokedFingerprint, startFlow } from '../db/connect-sessions/start-flow.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import type { IntegrationRow } from '../db/types.js';
import { queueRevocation } from '../grants/revocation-queue.js';
import { fromPublicId, toPublicId } from '../model/ids.js';
import { codeVerifierPlace } from '../model/secret-places.js';
import { reconnectLinkExpiry, verifyReconnectSignature } from '../model/reconnect-link.js';
import { buildAuthorizationRequest } from '../oauth/authorization.js';
import { exchangeCode } from '../oauth/code-exchange.js';
import type { ProviderEgress } from '../outbound/provider-egress.js';
import { integrationEgressOf } from '../model/integration-egress.js';
import type { ProviderEndpoints } from '../providers/provider.js';
import { exchangeWithClientSecrets } from './code-exchange.js';
import { messagePage, startPage, type HtmlPage } from './pages.js';
import { withOutcome } from './return-url.js';
import { connectUrl, createReconnectSession, madeByReconnectLink } from './sessions.js';
import { clearCookieHeader, parseCookies, setCookieHeader, stateCookieMatches, stateCookieName, stateCookieValue } from './state-cookie.js';
import { storeAuthorizedGrant } from './store-grant.js';
import { authorizationFailure, codeExchangeFailure, recordConnectFailure, storeFailure, type ConnectFailure } from './failure-events.js';
import { verificationFailedEnding, verifyNewGrant, type VerifyGrant } from './verify-grant.js';

export type FlowResponse =
  | { kind: 'page'; page: HtmlPage; cookies?: string[] }
  | { kind: 'redirect'; location: string; cookies: string[] };

/** Stable `error` codes of `return_url?status=error&error=…`. */
export type FlowErrorCode =
  | 'access_denied'
  | 'authorization_failed'
  | 'code_exchange_failed'
  | 'no_refresh_token'
  | 'account_mismatch'
  | 'connection_not_found'
  | 'duplicate_grant'
  | 'conflict'
  | 'session_expired'
  | 'session_already_used'
  | 'integration_not_found';

const TOKEN_SHAPE = /^ct_[A-Za-z0-9_-]{20,100}$/;
const STATE_SHAPE = /^[\x21-\x7e]{16,512}$/;

const page = (p: HtmlPage, cookies?: string[]): FlowResponse => ({ kind: 'page', page: p, ...(cookies ? { cookies } : {}) });

// ── pages that end a flow before it starts ───────────────────────────────────────────────

const notValidPage = () =>
  messagePage({
    status: 404,
    title: 'This link is not valid',
    tone: 'error',
    paragraphs: ['The connect link is wrong or incomplete. Go back to the app you came from and start again.'],
  });

function returnLink(session: ConnectSessionRow, error: FlowErrorCode) {
  return session.return_url ? { href: withOutcome(session.return_url, errorParams(session, error)), text: 'Back to the app' } : undefined;
}

function usedPage(ctx: AppContext, session: ConnectSessionRow): HtmlPage {
  const link = returnLink(session, 'session_already_used');
  // A reconnect link stays valid for days; only the sign-in page it opened is spent.
  const again = madeByReconnectLink(ctx.keyring, session)
    ? 'This sign-in was already started. To start over, open your reconnect link again (it stays valid until it expires).'
    : 'Each connect link works once. Go back to the app you came from and start again to get a new link.';
  return messagePage({
    status: 409,
    title: 'This link was already used',
    tone: 'notice',
    paragraphs: [again],
    ...(link ? { link } : {}),
  });
}

function expiredPage(session: ConnectSessionRow): HtmlPage {
  const link = returnLink(session, 'session_expired');
  return messagePage({
    status: 410,
    title: 'This link has expired',
    tone: 'notice',
    paragraphs: ['Connect links are valid for a short time only. Go back to the app you came from and start again.'],
    ...(link ? { link } : {}),
  });
}

function endpointsFor(ctx: AppContext, integration: IntegrationRow, session: ConnectSessionRow): ProviderEndpoints {
  return ctx.providers.endpoints(providerSettingsOf(integration), session.connection_config);
}

const redirectUri = (ctx: AppContext) => callbackUrl(ctx.config.publicUrl);

function cookieOptions(ctx: AppContext) {
  const base = new URL(ctx.config.publicUrl);
  return { path: `${base.pathname.replace(/\/+$/, '')}/oauth/callback`, secure: base.protocol === 'https:' };
}

// ── GET /connect/{token} and GET /reconnect/{id} ─────────────────────────────────────────

async function lookUp(ctx: AppContext, token: string): Promise<{ session: ConnectSessionRow; integration: IntegrationRow } | HtmlPage> {
  if (!TOKEN_SHAPE.test(token)) return notValidPage();
  const session = await findSessionByTokenHash(ctx.db.kysely, sha256Hex(token));
  if (!session) return notValidPage();
  if (session.used_at) return usedPage(ctx, session);
  if (session.expires_at.getTime() <= Date.now()) return expiredPage(session);
  const integration = await findIntegrationById(ctx.db.kysely, session.integration_id);
  if (!integration) return notValidPage();
  return { session, integration };
}

export async function showStartPage(ctx: AppContext, token: string): Promise<FlowResponse> {
  const found = await lookUp(ctx, token);
  if ('html' in found) return page(found);
  return page(await renderStart(ctx, token, found.session, found.integration));
}

/** `linkValidUntil`: set when a reconnect link opened the page (the link outlives its session). */
async function renderStart(ctx: AppContext, token: string, session: ConnectSessionRow, integration: IntegrationRow, linkValidUntil: Date | null = null): Promise<HtmlPage> {
  const endpoints = endpointsFor(ctx, integration, session);
  let reconnect: { summary: string | null; adminSteps: string[] } | null = null;
  if (session.connection_id) {
    const connection = await findConnection(ctx.db.kysely, session.connection_id);
    const diagnosis = connection?.diagnosis ?? null;
    // Only a dead or failing grant has a "why" worth telling the end user.
    const explains = diagnosis !== null && connection !== undefined && connection.status !== 'active';
    reconnect = {
      summary: explains ? diagnosis.summary : null,
      // The fix steps are written for the product's team; only an admin's are worth passing on
      // to the end user (the step that sends the reconnect link is what brought them here).
      adminSteps: explains && diagnosis.who_fixes === 'org_admin' ? diagnosis.fix.filter((step) => !/reconnect_url|reconnect link/i.test(step)) : [],
    };
  }
  const action = connectUrl(ctx.config.publicUrl, token);
  return startPage({
    integrationKey: integration.key,
    providerName: ctx.providers.describe(integration.provider)?.name ?? integration.provider,
    endUserEmail: session.end_user_email,
    action,
    formTargets: [ctx.config.publicUrl, endpoints.authorizationUrl],
    returnTo: session.return_url ? new URL(session.return_url).host : null,
    expiresAt: session.expires_at,
    reconnect,
    linkValidUntil,
  });
}

export async function showReconnectPage(ctx: AppContext, audit: AuditContext, publicId: string, sig: string | undefined): Promise<FlowResponse> {
  const check = verifyReconnectSignature(ctx.keyring, publicId, sig ?? '');
  if (!check.ok) {
    return page(
      check.reason === 'expired'
        ? messagePage({ status: 410, title: 'This reconnect link has expired', tone: 'notice', paragraphs: ['Ask the app you came from for a new link.'] })
        : messagePage({ status: 403, title: 'This reconnect link is not valid', tone: 'error', paragraphs: ['The link is wrong or incomplete. Ask the app you came from for a new one.'] }),
    );
  }
  const id = fromPublicId('connection', publicId);
  const connection = id ? await findConnection(ctx.db.kysely, id) : undefined;
  if (!connection) {
    return page(messagePage({ status: 404, title: 'This connection no longer exists', tone: 'notice', paragraphs: ['It was deleted. Go back to the app you came from and connect again.'] }));
  }
  // A server-to-server grant has no end user to log in again: its fix is the app's or org's.
  const integration = await findIntegrationById(ctx.db.kysely, connection.integration_id);
  if (integration && integration.grant_type !== 'authorization_code') {
    return page(messagePage({ status: 409, title: 'This connection has no login to redo', tone: 'notice', paragraphs: ['It is a server-to-server grant: the app’s administrator or developer fixes it. Its diagnosis says how.'] }));
  }
  const created = await createReconnectSession(ctx, audit, connection);
  const found = await lookUp(ctx, created.token);
  if ('html' in found) return page(found);
  return page(await renderStart(ctx, created.token, found.session, found.integration, reconnectLinkExpiry(sig ?? '')));
}

// ── POST /connect/{token} ────────────────────────────────────────────────────────────────

export async function beginFlow(ctx: AppContext, token: string, revokeQueued?: () => Promise<unknown>): Promise<FlowResponse> {
  const found = await lookUp(ctx, token);
  if ('html' in found) return page(found);
  const { session, integration } = found;
  const endpoints = endpointsFor(ctx, integration, session);
  if (!/^https?:\/\//i.test(endpoints.authorizationUrl)) {
    return page(messagePage({ status: 409, title: 'This integration cannot sign you in', tone: 'error', paragraphs: ['Its provider has no authorization endpoint configured. Tell the app you came from.'] }));
  }
  const entry = ctx.providers.entry(integration.provider);
  const request = await buildAuthorizationRequest({
    authorizationUrl: endpoints.authorizationUrl,
    clientId: integration.client_id,
    redirectUri: redirectUri(ctx),
    scopes: integration.scopes,
    scopeSeparator: entry?.auth.scope_separator ?? ' ',
    extraParams: endpoints.authorizationParams,
  });
  const stateHash = sha256Hex(request.state);
  const now = new Date();
  const started = await ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await startFlow(trx, session.id, {
      stateHash,
      codeVerifierEnc: encryptSecret(ctx.keyring, request.codeVerifier, codeVerifierPlace(session.id)),
      flowExpiresAt: new Date(now.getTime() + ctx.config.connect.stateCookieTtlS * 1000),
      now,
    });
    if (!row) return undefined;
    let revoking = false;
    if (row.connection_id) {
      // A dead grant is revoked before the new authorization, so it cannot hold one of the
      // provider's per-user slots (an admin-fixable one could otherwise come back to life).
      const connection = await findConnection(trx, row.connection_id);
      if (connection?.status === 'needs_reauth' && connection.refresh_token_enc && connection.refresh_token_fp) {
        await queueRevocation(ctx, trx, connection, integration);
        await setRevokedFingerprint(trx, row.id, connection.refresh_token_fp);
        revoking = true;
      }
    }
    return { row, revoking };
  });
  if (started?.revoking && revokeQueued) {
    // Send the queued revocation now, before the user reaches the provider (the worker
    // retries it if the provider does not answer).
    await revokeQueued().catch((error: unknown) => ctx.log.warn({ err: error }, 'immediate revocation before reconnect failed; the worker retries'));
  }
  if (!started) {
    // Lost a race with another POST, or expired between the two reads.
    const latest = (await findSessionByTokenHash(ctx.db.kysely, sha256Hex(token))) ?? session;
    return page(latest.used_at ? usedPage(ctx, latest) : expiredPage(latest));
  }
  const options = cookieOptions(ctx);
  const cookie = setCookieHeader(stateCookieName(stateHash), stateCookieValue(ctx.keyring, request.state), {
    ...options,
    maxAgeS: ctx.config.connect.stateCookieTtlS,
  });
  return { kind: 'redirect', location: request.url, cookies: [cookie] };
}

// ── GET /oauth/callback ──────────────────────────────────────────────────────────────────

export interface CallbackQuery {
  state?: string;
  code?: string;
  error?: string;
  error_description?: string;
}

const forgedPage = (reason: string) =>
  messagePage({
    status: 400,
    title: 'This sign-in could not be completed',
    tone: 'error',
    paragraphs: [reason, 'Nothing was connected. Go back to the app you came from and start again.'],
  });

function errorParams(session: ConnectSessionRow, error: FlowErrorCode): Record<string, string> {
  return { status: 'error', error, ...(session.connection_id ? { connection_id: toPublicId('connection', session.connection_id) } : {}) };
}

const ERROR_TEXT: Record<FlowErrorCode, string> = {
  access_denied: 'Access was not allowed, so nothing was connected.',
  authorization_failed: 'The provider did not complete the sign-in.',
  code_exchange_failed: 'The provider did not accept the sign-in when it was completed.',
  no_refresh_token: 'The provider did not grant lasting access (no refresh token), so nothing was stored. The app may need the refresh_token (offline) permission.',
  account_mismatch: 'You signed in as a different account than the one this connection belongs to. The connection was left unchanged; sign in as the original user.',
  connection_not_found: 'The connection being renewed no longer exists.',
  duplicate_grant: 'This grant is already held by another connection.',
  conflict: 'The connection was changing at the same time. Please try again.',
  session_expired: 'The sign-in took too long and expired.',
  session_already_used: 'This sign-in was already completed.',
  integration_not_found: 'The integration no longer exists.',
};

/** Ends the flow with an error, recorded on the integration with its real reason first. */
async function failFlow(ctx: AppContext, session: ConnectSessionRow, error: FlowErrorCode, failure: Omit<ConnectFailure, 'code'>, cookies: string[]): Promise<FlowResponse> {
  await recordConnectFailure(ctx, session, { ...failure, code: error });
  return finishWithError(session, error, cookies);
}

function finishWithError(session: ConnectSessionRow, error: FlowErrorCode, cookies: string[]): FlowResponse {
  if (session.return_url) return { kind: 'redirect', location: withOutcome(session.return_url, errorParams(session, error)), cookies };
  return page(messagePage({ status: 400, title: 'Nothing was connected', tone: 'error', paragraphs: [ERROR_TEXT[error], `Error code: ${error}`] }), cookies);
}

export async function finishFlow(
  ctx: AppContext,
  audit: AuditContext,
  egress: ProviderEgress,
  query: CallbackQuery,
  cookieHeader: string | undefined,
  verifyGrant?: VerifyGrant,
): Promise<FlowResponse> {
  const state = query.state;
  if (typeof state !== 'string' || !STATE_SHAPE.test(state)) return page(forgedPage('The answer from the provider did not carry a valid sign-in state.'));
  const stateHash = sha256Hex(state);
  const session = await findSessionByStateHash(ctx.db.kysely, stateHash);
  if (!session) return page(forgedPage('The answer from the provider does not belong to a sign-in started here.'));
  const cookieName = stateCookieName(stateHash);
  if (!stateCookieMatches(ctx.keyring, state, parseCookies(cookieHeader).get(cookieName))) {
    // Not used up: the browser that started the flow may still finish it.
    return page(forgedPage('This browser did not start this sign-in (its cookie is missing). Finish it in the browser where you started.'));
  }
  const clear = [clearCookieHeader(cookieName, cookieOptions(ctx))];
  const now = new Date();
  if (session.completed_at || !(await completeFlow(ctx.db.kysely, session.id, now))) {
    return page(forgedPage('This sign-in was already completed.'), clear);
  }
  if (!session.flow_expires_at || session.flow_expires_at.getTime() <= now.getTime()) {
    const ttl = ctx.config.connect.stateCookieTtlS;
    return failFlow(ctx, session, 'session_expired', { reason: `The user came back from the provider after more than ${ttl} s (GRANTKEEPER_STATE_COOKIE_TTL_S).` }, clear);
  }
  if (typeof query.error === 'string' || typeof query.code !== 'string' || query.code === '') {
    const error = query.error === 'access_denied' ? 'access_denied' : 'authorization_failed';
    return failFlow(ctx, session, error, authorizationFailure(error, query), clear);
  }
  const integration = await findIntegrationById(ctx.db.kysely, session.integration_id);
  if (!integration || !session.code_verifier_enc) return finishWithError(session, 'integration_not_found', clear);

  const endpoints = endpointsFor(ctx, integration, session);
  const fetch = egress.fetchFor(integrationEgressOf(ctx.keyring, integration));
  const codeVerifier = decryptSecret(ctx.keyring, session.code_verifier_enc, codeVerifierPlace(session.id));
  const code = query.code;
  const { outcome, clientSecret } = await exchangeWithClientSecrets(ctx, integration, fetch, endpoints, (client) =>
    exchangeCode(client, { code, state, redirectUri: redirectUri(ctx), codeVerifier, params: endpoints.tokenParams }),
  );
  if (!outcome.ok) {
    return failFlow(ctx, session, 'code_exchange_failed', codeExchangeFailure(outcome.failure, endpoints.tokenUrl, ctx.config.refresh.tokenTimeoutMs), clear);
  }
  const settings = integration.refresh;
  const update = ctx.providers.interpretTokenResponse(integration.provider, outcome.body, {
    receivedAt: outcome.receivedAt,
    accessTokenTtlS: settings.access_token_ttl_s,
    clientSecret,
    // This is the authorization: a known absolute refresh-token lifetime counts from now.
    authorizedAt: outcome.receivedAt,
    refreshTokenAbsoluteTtlS: ctx.providers.describe(integration.provider)?.refreshTokenAbsoluteTtlS ?? null,
  });
  if (update.refreshToken === null) {
    const reason = `The code exchange worked, but the provider returned no refresh token: the app, or the integration's scopes (${integration.scopes.join(' ')}), do not grant offline access.`;
    return failFlow(ctx, session, 'no_refresh_token', { reason }, clear);
  }
  if (update.signature === 'mismatch') {
    // As on refresh: never drop a response carrying a refresh token; record and alert.
    ctx.metrics.signatureMismatches.inc({ integration: integration.key });
    ctx.metrics.alerts.inc({ kind: 'signature_mismatch' });
    ctx.log.warn({ integration: integration.key }, 'token response signature mismatch on a code exchange (stored anyway)');
  }
  const stored = await storeAuthorizedGrant(ctx, audit, session, integration, { update, refreshToken: update.refreshToken });
  if (!stored.ok) return failFlow(ctx, session, stored.error, storeFailure(stored.error), clear);
  const provider = ctx.providers.describe(integration.provider)?.name ?? integration.provider;
  if (session.verify && verifyGrant) {
    const verdict = await verifyNewGrant(ctx, verifyGrant, stored.connectionId);
    if (!verdict.ok) {
      await recordConnectFailure(ctx, session, verdict.failure);
      const ending = verificationFailedEnding(session, stored.connectionId, verdict, provider);
      return ending.kind === 'redirect' ? { ...ending, cookies: clear } : page(ending.page, clear);
    }
  }
  const connectionId = toPublicId('connection', stored.connectionId);
  if (session.return_url) {
    return { kind: 'redirect', location: withOutcome(session.return_url, { connection_id: connectionId, status: 'success' }), cookies: clear };
  }
  return page(
    messagePage({
      status: 200,
      title: stored.created ? `Your ${provider} account is connected` : `Your ${provider} account is reconnected`,
      tone: 'ok',
      paragraphs: ['You can close this window and go back to the app.', `Connection: ${connectionId}`],
    }),
    clear,
  );
}

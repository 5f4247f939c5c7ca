// A connect session's `verify`: one refresh of the new grant right after the code exchange,
// while the end user is still in the flow. Nobody had a chance to revoke the grant yet, so a
// permanent failure now is the provider's policy (the diagnosis says which), reported to the
// product as `status=error&error=<diagnosis code>` instead of a success that dies a day later.
// The grant stays stored (needs_reauth, with its diagnosis): the product can show why.
import type { AppContext } from '../context.js';
import type { ConnectSessionRow } from '../db/connect-sessions/find-session.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import { toPublicId } from '../model/ids.js';
import type { AttemptResult } from '../refresh/types.js';
import type { ConnectFailure } from './failure-events.js';
import { messagePage, type HtmlPage } from './pages.js';
import { withOutcome } from './return-url.js';

/** Refreshes a stored connection once, now (the refresh engine, trigger `connect`). */
export type VerifyGrant = (connectionId: string) => Promise<AttemptResult>;

export type Verdict =
  | { ok: true; inconclusive: boolean }
  | { ok: false; code: string; diagnosis: Diagnosis | null; failure: ConnectFailure };

export async function verifyNewGrant(ctx: AppContext, verify: VerifyGrant, connectionId: string): Promise<Verdict> {
  let result: AttemptResult;
  try {
    result = await verify(connectionId);
  } catch (error) {
    // The grant is stored; only its proof is missing. The scheduler refreshes it as usual.
    ctx.log.warn({ err: error, connection: toPublicId('connection', connectionId) }, 'verifying a new grant failed; it stays stored unverified');
    return { ok: true, inconclusive: true };
  }
  if (result.kind === 'token') return { ok: true, inconclusive: false };
  // Transient trouble (the provider down, another refresh in progress) proves nothing either way.
  if (result.kind !== 'reauth_required' && result.kind !== 'integration_error') return { ok: true, inconclusive: true };
  const diagnosis = result.row.diagnosis ?? null;
  const code = diagnosis?.code ?? (result.kind === 'integration_error' ? 'integration_error' : 'verification_failed');
  const lastError = result.row.last_error ?? null;
  return {
    ok: false,
    code,
    diagnosis,
    failure: {
      code,
      connectionId,
      httpStatus: lastError?.http_status ?? null,
      providerError: lastError?.error ?? null,
      reason: `The new grant was stored, but the refresh made right after connecting failed${
        lastError?.error ? ` (${lastError.error}${lastError.error_description ? `: ${lastError.error_description}` : ''})` : ''
      }. ${diagnosis?.summary ?? ''}`.trim(),
    },
  };
}

/** Where a failed verification ends: the product's return URL, or a page that explains it. */
export function verificationFailedEnding(
  session: ConnectSessionRow,
  connectionId: string,
  verdict: Extract<Verdict, { ok: false }>,
  providerName: string,
): { kind: 'redirect'; location: string } | { kind: 'page'; page: HtmlPage } {
  const publicId = toPublicId('connection', connectionId);
  if (session.return_url) {
    return { kind: 'redirect', location: withOutcome(session.return_url, { status: 'error', error: verdict.code, connection_id: publicId }) };
  }
  const d = verdict.diagnosis;
  // The end user reads this page: an admin's steps are worth passing on, a developer's are not.
  const adminSteps = d?.who_fixes === 'org_admin' ? d.fix.filter((step) => !/reconnect_url|reconnect link/i.test(step)) : [];
  return {
    kind: 'page',
    page: messagePage({
      status: 400,
      title: `Your ${providerName} account was connected, but the connection does not work`,
      tone: 'error',
      paragraphs: [
        d?.summary ?? `${providerName} refused the new grant when Grantkeeper tried it right after connecting.`,
        ...(adminSteps.length > 0 ? [`Your ${providerName} administrator must do this first, then you can connect again:`, ...adminSteps] : []),
        `Error code: ${verdict.code}`,
        `Connection: ${publicId}`,
      ],
    }),
  };
}

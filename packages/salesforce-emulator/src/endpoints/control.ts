import { InputError, NotFoundError } from '../admin.js';
import type { EmulatorContext } from '../context.js';
import type { SalesforceEmulatorControls } from '../emulator.js';
import { parseJsonObject, sendEmpty, sendJson, type Handler, type RequestInfo, type Router } from '../http.js';
import type { EndpointName, FaultSpec } from '../traffic.js';

/**
 * The test control surface under /__emulator/ (JSON in, JSON out, snake_case).
 * Each route calls the library method of the same meaning.
 */

type Json = Record<string, unknown>;

function body(r: RequestInfo): Json {
  const parsed = parseJsonObject(r.body);
  if (!parsed) throw new InputError('body must be a JSON object');
  return parsed;
}

function str(value: unknown, name: string, required = false): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new InputError(`${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new InputError(`${name} must be a string`);
  return value;
}

function ipList(b: Json): string[] | null {
  if (b.enabled === false) return null;
  const ips = b.allowed_ips ?? [];
  if (!Array.isArray(ips) || !ips.every((ip) => typeof ip === 'string')) throw new InputError('allowed_ips must be an array of strings');
  return ips as string[];
}

const ENDPOINTS: EndpointName[] = ['token', 'authorize', 'revoke', 'introspect', 'userinfo', 'identity', 'rest', 'discovery', 'any'];

function endpointName(value: unknown): EndpointName | undefined {
  if (value === undefined) return undefined;
  if (!ENDPOINTS.includes(value as EndpointName)) throw new InputError(`endpoint must be one of ${ENDPOINTS.join(', ')}`);
  return value as EndpointName;
}

/** Wraps a handler so bad input is 400 and unknown ids are 404, never a 500. */
function guarded(handler: Handler): Handler {
  return async (r) => {
    try {
      await handler(r);
    } catch (error) {
      if (error instanceof NotFoundError) return sendJson(r.res, 404, { error: 'not_found', message: error.message });
      if (error instanceof InputError || error instanceof TypeError) return sendJson(r.res, 400, { error: 'invalid_request', message: error.message });
      throw error;
    }
  };
}

export function registerControlRoutes(router: Router, ctx: EmulatorContext, emu: SalesforceEmulatorControls): void {
  const p = '/__emulator';
  const on = (method: string | string[], path: string, handler: Handler): void => {
    router.on(method, p + path, guarded(handler));
  };
  const noContent = (r: RequestInfo): void => sendEmpty(r.res, 204);

  // Apps
  on('POST', '/apps', (r) => sendJson(r.res, 201, emu.createApp(body(r))));
  on('GET', '/apps', (r) => sendJson(r.res, 200, emu.listApps()));
  on('GET', '/apps/:clientId', (r) => {
    const app = emu.getApp(r.params.clientId!);
    if (!app) throw new NotFoundError(`no app ${r.params.clientId}`);
    sendJson(r.res, 200, app);
  });
  on(['PATCH', 'POST'], '/apps/:clientId/settings', (r) => sendJson(r.res, 200, emu.updateApp(r.params.clientId!, body(r))));
  on('PATCH', '/apps/:clientId', (r) => sendJson(r.res, 200, emu.updateApp(r.params.clientId!, body(r))));
  on('POST', '/apps/:clientId/block', (r) => {
    const orgId = str(body(r).org_id, 'org_id');
    emu.blockApp(r.params.clientId!, orgId ? { orgId } : {});
    noContent(r);
  });
  // The app's Refresh Token IP Allowlist: `{ enabled, ranges?: [{ start, end }] | allowed_ips?: [ip], error? }`.
  on('POST', '/apps/:clientId/refresh-token-ip-allowlist', (r) => {
    const b = body(r);
    const ranges = b.enabled === false ? null : ((b.ranges ?? b.allowed_ips ?? []) as Array<string | { start: string; end: string }>);
    sendJson(r.res, 200, emu.setRefreshTokenIpAllowlist(r.params.clientId!, ranges, b.error === undefined ? {} : { error: b.error as { error: string; error_description: string } }));
  });
  on('POST', '/apps/:clientId/unblock', (r) => {
    const orgId = str(body(r).org_id, 'org_id');
    emu.unblockApp(r.params.clientId!, orgId ? { orgId } : {});
    noContent(r);
  });

  // Staged consumer secrets (consumer-secrets.ts)
  on('POST', '/apps/:clientId/staged-secret', (r) => sendJson(r.res, 200, emu.stageClientSecret(r.params.clientId!, body(r).client_secret as string)));
  on('POST', '/apps/:clientId/staged-secret/apply', (r) => sendJson(r.res, 200, emu.applyStagedClientSecret(r.params.clientId!)));
  on('DELETE', '/apps/:clientId/staged-secret', (r) => sendJson(r.res, 200, emu.discardStagedClientSecret(r.params.clientId!)));

  // Orgs
  on('POST', '/orgs', (r) => sendJson(r.res, 201, emu.createOrg(body(r))));
  on('GET', '/orgs', (r) => sendJson(r.res, 200, emu.listOrgs()));
  on('GET', '/orgs/:orgId', (r) => {
    const org = emu.getOrg(r.params.orgId!);
    if (!org) throw new NotFoundError(`no org ${r.params.orgId}`);
    sendJson(r.res, 200, org);
  });
  on('PATCH', '/orgs/:orgId', (r) => sendJson(r.res, 200, emu.updateOrg(r.params.orgId!, body(r) as { name?: string; instanceUrl?: string | null })));
  on('POST', '/orgs/:orgId/lock', (r) => {
    emu.lockOrg(r.params.orgId!);
    noContent(r);
  });
  on('POST', '/orgs/:orgId/unlock', (r) => {
    emu.unlockOrg(r.params.orgId!);
    noContent(r);
  });
  on('POST', '/orgs/:orgId/policy', (r) => {
    const b = body(r);
    const clientId = str(b.client_id, 'client_id');
    emu.setOrgPolicy(r.params.orgId!, b, clientId ? { clientId } : {});
    sendJson(r.res, 200, emu.getOrg(r.params.orgId!));
  });
  on('POST', '/orgs/:orgId/ip-restriction', (r) => {
    emu.setOrgIpRestriction(r.params.orgId!, ipList(body(r)));
    noContent(r);
  });
  on('POST', '/orgs/:orgId/install-app', (r) => {
    emu.installApp(str(body(r).client_id, 'client_id', true)!, r.params.orgId!);
    noContent(r);
  });
  on('POST', '/orgs/:orgId/uninstall-app', (r) => {
    sendJson(r.res, 200, { revoked: emu.uninstallApp(str(body(r).client_id, 'client_id', true)!, r.params.orgId!) });
  });
  on('POST', '/orgs/:orgId/revoke-app', (r) => {
    const clientId = str(body(r).client_id, 'client_id', true)!;
    sendJson(r.res, 200, { revoked: emu.revokeAppForOrg(clientId, r.params.orgId!) });
  });

  // Users
  on('POST', '/users', (r) => {
    const user = emu.createUser(body(r) as { username: string });
    sendJson(r.res, 201, user);
  });
  on('GET', '/users', (r) => sendJson(r.res, 200, emu.listUsers()));
  on('GET', '/users/:userId', (r) => {
    const user = emu.getUser(r.params.userId!);
    if (!user) throw new NotFoundError(`no user ${r.params.userId}`);
    sendJson(r.res, 200, user);
  });
  on('POST', '/users/:userId/password-change', (r) => {
    emu.changePassword(r.params.userId!);
    noContent(r);
  });
  on('POST', '/users/:userId/deactivate', (r) => {
    emu.deactivateUser(r.params.userId!);
    noContent(r);
  });
  on('POST', '/users/:userId/reactivate', (r) => {
    emu.reactivateUser(r.params.userId!);
    noContent(r);
  });
  on('POST', '/users/:userId/freeze', (r) => {
    emu.freezeUser(r.params.userId!);
    noContent(r);
  });
  on('POST', '/users/:userId/unfreeze', (r) => {
    emu.unfreezeUser(r.params.userId!);
    noContent(r);
  });
  on('POST', '/users/:userId/policy', (r) => {
    emu.setUserPolicy(r.params.userId!, body(r));
    sendJson(r.res, 200, emu.getUser(r.params.userId!));
  });
  on('POST', '/users/:userId/ip-restriction', (r) => {
    emu.setUserIpRestriction(r.params.userId!, ipList(body(r)));
    noContent(r);
  });
  on('POST', '/users/:userId/permitted-apps', (r) => {
    const b = body(r);
    emu.setPermitted(r.params.userId!, str(b.client_id, 'client_id', true)!, b.permitted !== false);
    noContent(r);
  });
  on('POST', '/users/:userId/revoke-app', (r) => {
    const clientId = str(body(r).client_id, 'client_id', true)!;
    sendJson(r.res, 200, { revoked: emu.revokeAppForUser(clientId, r.params.userId!) });
  });
  on('GET', '/users/:userId/approvals', (r) => {
    const includeRevoked = r.url.searchParams.get('include_revoked') === 'true';
    const clientId = r.url.searchParams.get('client_id') ?? undefined;
    sendJson(r.res, 200, emu.approvals({ userId: r.params.userId!, includeRevoked, ...(clientId ? { clientId } : {}) }));
  });

  // Approvals and refresh-token families
  on('GET', '/approvals', (r) => {
    const q = r.url.searchParams;
    sendJson(r.res, 200, emu.approvals({
      ...(q.get('user_id') ? { userId: q.get('user_id')! } : {}),
      ...(q.get('client_id') ? { clientId: q.get('client_id')! } : {}),
      ...(q.get('org_id') ? { orgId: q.get('org_id')! } : {}),
      includeRevoked: q.get('include_revoked') === 'true',
    }));
  });
  on('GET', '/approvals/:id', (r) => {
    const approval = emu.getApproval(r.params.id!);
    if (!approval) throw new NotFoundError(`no approval for ${r.params.id}`);
    sendJson(r.res, 200, approval);
  });
  on('POST', '/approvals/:id/revoke', (r) => {
    emu.revokeApproval(r.params.id!);
    noContent(r);
  });
  // Any refresh token of a family (or an approval id) → the family's current refresh token.
  on('GET', '/refresh-tokens/:token', (r) => sendJson(r.res, 200, emu.refreshTokenStatus(r.params.token!)));
  on('POST', '/refresh-tokens/lookup', (r) => sendJson(r.res, 200, emu.refreshTokenStatus(str(body(r).refresh_token, 'refresh_token', true)!)));
  on('POST', '/sessions/remove', (r) => {
    const b = body(r);
    const filter = {
      ...(b.user_id !== undefined ? { userId: str(b.user_id, 'user_id')! } : {}),
      ...(b.client_id !== undefined ? { clientId: str(b.client_id, 'client_id')! } : {}),
      ...(b.org_id !== undefined ? { orgId: str(b.org_id, 'org_id')! } : {}),
      ...(b.access_token !== undefined ? { accessToken: str(b.access_token, 'access_token')! } : {}),
    };
    sendJson(r.res, 200, { removed: emu.removeSessions(filter) });
  });

  // Test shortcuts
  on('POST', '/codes', (r) => {
    const b = body(r);
    const code = emu.issueCode({
      clientId: str(b.client_id, 'client_id', true)!,
      username: str(b.username, 'username', true)!,
      ...(b.redirect_uri !== undefined ? { redirectUri: str(b.redirect_uri, 'redirect_uri')! } : {}),
      ...(b.scope !== undefined ? { scope: str(b.scope, 'scope')! } : {}),
      ...(b.code_challenge !== undefined ? { codeChallenge: str(b.code_challenge, 'code_challenge')! } : {}),
      ...(b.code_challenge_method === 'plain' ? { codeChallengeMethod: 'plain' as const } : {}),
    });
    sendJson(r.res, 201, { code });
  });
  on('POST', '/tokens', (r) => {
    const b = body(r);
    const scope = str(b.scope, 'scope');
    sendJson(r.res, 201, emu.issueTokens({ clientId: str(b.client_id, 'client_id', true)!, username: str(b.username, 'username', true)!, ...(scope ? { scope } : {}) }));
  });

  // Clock
  const clockView = (): Json => ({ now: ctx.clock.now(), frozen: ctx.clock.frozen });
  on('GET', '/clock', (r) => sendJson(r.res, 200, clockView()));
  on('POST', '/clock', (r) => {
    const b = body(r);
    if (typeof b.frozen === 'boolean') ctx.clock.freeze(b.frozen);
    if (b.now !== undefined) ctx.clock.set(typeof b.now === 'string' ? Date.parse(b.now) : (b.now as number));
    if (b.advance_ms !== undefined) ctx.clock.advance(b.advance_ms as number);
    sendJson(r.res, 200, clockView());
  });

  // Traffic
  on('POST', '/faults', (r) => {
    const b = body(r);
    const mode = b.mode;
    if (mode !== undefined && mode !== 'timeout' && mode !== 'reset' && mode !== 'non_json') throw new InputError('mode must be timeout, reset or non_json');
    const endpoint = endpointName(b.endpoint);
    const spec: FaultSpec = {
      ...(b.status !== undefined ? { status: b.status as number } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(b.count !== undefined ? { count: b.count as number } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(b.body !== undefined ? { body: b.body as FaultSpec['body'] } : {}),
    };
    emu.setFault(spec);
    sendJson(r.res, 201, emu.faults());
  });
  on('GET', '/faults', (r) => sendJson(r.res, 200, emu.faults()));
  on('DELETE', '/faults', (r) => {
    emu.clearFaults();
    noContent(r);
  });
  on('POST', '/latency', (r) => {
    const b = body(r);
    emu.setLatency(b.latency_ms as number, endpointName(b.endpoint) ?? 'any');
    noContent(r);
  });
  on('POST', '/rate-limit', (r) => {
    const b = body(r);
    if (b.max_per_s === null || b.max_per_s === undefined) emu.setRateLimit(null);
    else {
      const style = b.style === undefined ? undefined : String(b.style);
      if (style !== undefined && style !== '400' && style !== '429') throw new InputError('style must be "400" or "429"');
      emu.setRateLimit({ maxPerS: b.max_per_s as number, ...(style ? { style } : {}) });
    }
    noContent(r);
  });
  on('DELETE', '/rate-limit', (r) => {
    emu.setRateLimit(null);
    noContent(r);
  });
  on('POST', '/refresh-hold', (r) => {
    emu.setRefreshHold(body(r).hold_ms as number);
    noContent(r);
  });

  // Settings, stats, reset
  on('POST', '/settings', (r) => {
    const b = body(r);
    sendJson(r.res, 200, emu.updateSettings({
      ...(b.auto_approve !== undefined ? { autoApprove: b.auto_approve === true } : {}),
      ...(b.code_lifetime_s !== undefined ? { codeLifetimeS: b.code_lifetime_s as number } : {}),
      ...(b.api_daily_limit !== undefined ? { apiDailyLimit: b.api_daily_limit as number } : {}),
      ...(b.api_requests_used !== undefined ? { apiRequestsUsed: b.api_requests_used as number } : {}),
      ...(b.my_domain !== undefined ? { myDomain: b.my_domain === true } : {}),
    }));
  });
  on('GET', '/stats', (r) => sendJson(r.res, 200, emu.stats()));
  on('GET', '/requests', (r) => {
    const q = r.url.searchParams;
    const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InputError('limit must be a positive integer');
    const endpoint = endpointName(q.get('endpoint') ?? undefined);
    sendJson(r.res, 200, emu.requestLog({ ...(endpoint ? { endpoint } : {}), ...(limit ? { limit } : {}) }));
  });
  on('POST', '/stats/reset', (r) => {
    emu.resetStats();
    noContent(r);
  });
  on('POST', '/reset', (r) => {
    emu.reset();
    noContent(r);
  });
}

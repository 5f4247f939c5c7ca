// Salesforce's 2026 requirements for connected apps and External Client Apps used by more
// than two customer production orgs (since 11 May 2026): PKCE, refresh-token rotation, a
// 30-day idle limit on refresh tokens, and a refresh-token IP allowlist. Plus the answers
// teams hit this year: the app not installed in an org (`app_not_found`), and IP refusals.
// Diagnosis codes are read by name (app_not_installed, ip_restricted, refresh_ip_blocked).
import type { ProviderReadiness, ReadinessCheck, ReadinessFacts } from '../readiness-types.js';

const DAY_S = 86_400;
/** The mandated idle limit. */
const IDLE_LIMIT_S = 30 * DAY_S;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function pkce(facts: ReadinessFacts): ReadinessCheck {
  return {
    id: 'pkce',
    title: 'PKCE on the authorization code flow',
    status: 'pass',
    detail: `Grantkeeper sends an S256 code challenge with every authorization request and its verifier with every code exchange${facts.integration.hasClientSecret ? ', alongside the consumer secret' : ' (a public client: no consumer secret is sent)'}.`,
    fix: null,
  };
}

function rotation({ refreshes, windowDays }: ReadinessFacts): ReadinessCheck {
  const base = { id: 'rotation', title: 'Refresh-token rotation observed' };
  if (refreshes.succeeded === 0) {
    return {
      ...base,
      status: 'warn',
      detail: `No successful refresh in the last ${windowDays} days, so rotation could not be observed.`,
      fix: 'Refresh one connection (grantkeeper connections refresh <id>) and run this report again.',
    };
  }
  const enable = "Turn on Refresh Token Rotation in the External Client App's OAuth policies. Grantkeeper stores every rotated token before it answers, so nothing else changes.";
  if (refreshes.rotated === 0) {
    return { ...base, status: 'fail', detail: `${plural(refreshes.succeeded, 'successful refresh', 'successful refreshes')} in the last ${windowDays} days; none returned a new refresh token: rotation is off.`, fix: enable };
  }
  if (refreshes.rotated < refreshes.succeeded) {
    return {
      ...base,
      status: 'warn',
      detail: `${refreshes.rotated} of ${refreshes.succeeded} successful refreshes in the last ${windowDays} days rotated the refresh token: rotation is on in some orgs only (an org-level setting), not for the app.`,
      fix: enable,
    };
  }
  return { ...base, status: 'pass', detail: `Every one of ${plural(refreshes.succeeded, 'successful refresh', 'successful refreshes')} in the last ${windowDays} days rotated the refresh token.`, fix: null };
}

function idleLimit({ integration, connections, idleLimitS }: ReadinessFacts): ReadinessCheck {
  const limitS = Math.min(idleLimitS ?? IDLE_LIMIT_S, IDLE_LIMIT_S);
  const base = { id: 'idle_limit', title: 'Keepalive below the 30-day idle limit' };
  const keepalive = `refresh.keepalive_s is ${integration.keepaliveS} s (${(integration.keepaliveS / DAY_S).toFixed(1)} days)`;
  const lower = `Lower it: grantkeeper integrations update ${integration.key} --keepalive-s 86400 (a day), or PATCH /v1/integrations/${integration.key} {"refresh":{"keepalive_s":86400}}.`;
  if (integration.keepaliveS >= limitS) {
    return { ...base, status: 'fail', detail: `${keepalive}: an unused connection's refresh token dies of idleness before Grantkeeper refreshes it.`, fix: lower };
  }
  if (integration.keepaliveS > limitS / 3) {
    return { ...base, status: 'warn', detail: `${keepalive}: below the limit, but an outage of a few days would let refresh tokens die.`, fix: lower };
  }
  if (connections.stale > 0) {
    return {
      ...base,
      status: 'warn',
      detail: `${keepalive}, yet ${plural(connections.stale, 'active connection')} ${connections.stale === 1 ? 'was' : 'were'} last refreshed more than ${Math.round(limitS / 2 / DAY_S)} days ago.`,
      fix: 'Make sure a Grantkeeper instance is running its scheduler (GRANTKEEPER_SCHEDULER_INTERVAL_MS), then check the connections with grantkeeper connections list --status active.',
    };
  }
  return { ...base, status: 'pass', detail: `${keepalive}: every connection is refreshed well within the 30-day idle limit.`, fix: null };
}

function egress({ egress, diagnoses }: ReadinessFacts): ReadinessCheck {
  const base = { id: 'egress', title: 'Token calls leave from allowlisted addresses' };
  if (egress.mode === 'proxy') {
    return {
      ...base,
      status: 'pass',
      detail: `Token, revoke and API calls leave through the outbound proxy ${egress.proxy} (${egress.source === 'integration' ? "the integration's own outbound_proxy" : 'GRANTKEEPER_OUTBOUND_PROXY'}).`,
      fix: "Keep the proxy's public egress addresses in the External Client App's Refresh Token IP Allowlist.",
    };
  }
  const ipAnswers = (diagnoses.refresh_ip_blocked?.connections ?? 0) + (diagnoses.ip_restricted?.connections ?? 0);
  return {
    ...base,
    status: ipAnswers > 0 ? 'fail' : 'warn',
    detail: `Calls go direct${egress.source === 'excluded' ? ' (the login host is on GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE)' : egress.source === 'integration' ? ' (the integration says "direct")' : ''}: they leave from this host's own addresses${ipAnswers > 0 ? `, and ${plural(ipAnswers, 'connection')} got IP refusals` : ''}. With a Refresh Token IP Allowlist enforced, only listed addresses can refresh.`,
    fix: "Route provider calls through your fixed-egress proxy (GRANTKEEPER_OUTBOUND_PROXY, or the integration's outbound_proxy) and list its public addresses in the External Client App's Refresh Token IP Allowlist (docs/outbound-proxy.md).",
  };
}

function ipAnswers({ diagnoses, windowDays }: ReadinessFacts): ReadinessCheck {
  const base = { id: 'ip_answers', title: 'No recent IP refusals' };
  const blocked = diagnoses.refresh_ip_blocked;
  const restricted = diagnoses.ip_restricted;
  if (blocked) {
    return {
      ...base,
      status: 'fail',
      detail: `${plural(blocked.connections, 'connection')} in ${plural(blocked.orgs, 'org')} refused for the caller's address (refresh_ip_blocked) in the last ${windowDays} days: the app's Refresh Token IP Allowlist does not list the address token calls leave from.`,
      fix: 'Send token calls through the allowlisted egress (docs/outbound-proxy.md), or add the address they leave from to the allowlist; the connections recover on their next refresh.',
    };
  }
  if (restricted) {
    return {
      ...base,
      status: 'warn',
      detail: `${plural(restricted.connections, 'connection')} in ${plural(restricted.orgs, 'org')} answered "IP restricted" (ip_restricted) in the last ${windowDays} days: an org's own IP ranges or login hours.`,
      fix: "The org admin adds Grantkeeper's egress addresses to the profile's Login IP Ranges, or relaxes IP restrictions for the app; grantkeeper doctor <connection-id> shows the steps.",
    };
  }
  return { ...base, status: 'pass', detail: `No IP refusal in the last ${windowDays} days.`, fix: null };
}

function appInstalled({ diagnoses, windowDays }: ReadinessFacts): ReadinessCheck {
  const base = { id: 'app_installed', title: 'The app is installed in every org' };
  const missing = diagnoses.app_not_installed;
  if (missing) {
    return {
      ...base,
      status: 'fail',
      detail: `${plural(missing.connections, 'connection')} in ${plural(missing.orgs, 'org')} answered app_not_found ("External client app is not installed in this org") in the last ${windowDays} days.`,
      fix: "Each org's admin installs the External Client App (or allows it in API Access Control); Grantkeeper re-probes and the connections recover on their own.",
    };
  }
  return { ...base, status: 'pass', detail: `No app_not_found answer in the last ${windowDays} days.`, fix: null };
}

const notApplicable = (id: string, title: string): ReadinessCheck => ({
  id,
  title,
  status: 'pass',
  detail: 'Does not apply: this integration mints access tokens with a server-to-server grant (JWT Bearer or Client Credentials), which holds no refresh token.',
  fix: null,
});

export const SALESFORCE_READINESS: ProviderReadiness = {
  title: "Salesforce's 2026 requirements (PKCE, refresh-token rotation, 30-day idle limit, refresh-token IP allowlist)",
  check: (facts) =>
    facts.integration.serverToServer
      ? // JWT Bearer and Client Credentials hold no refresh token: PKCE, rotation and the idle limit do not apply.
        [notApplicable('pkce', 'PKCE on the authorization code flow'), notApplicable('rotation', 'Refresh-token rotation observed'), notApplicable('idle_limit', 'Keepalive below the 30-day idle limit'), egress(facts), ipAnswers(facts), appInstalled(facts)]
      : [pkce(facts), rotation(facts), idleLimit(facts), egress(facts), ipAnswers(facts), appInstalled(facts)],
};

// The words of each diagnosis code for any OAuth 2.0 provider without a module of its own: the
// same codes and the same `who_fixes` (they belong to the code), but no provider's screens
// are named — the developer is pointed at the provider's own app settings and docs, the end
// user at the connection's reconnect link.
import type { DiagnosisTexts } from '../../domain/diagnosis.js';

const RECONNECT = "Send the end user the connection's reconnect link (reconnect_url) and ask them to connect again.";
const KEEPALIVE = "Keep Grantkeeper's scheduled keepalive refresh on (the integration's refresh.keepalive_s; by default a third of the provider's known idle lifetime, at most a day) so no grant sits unused.";
const APP_SETTINGS = "the OAuth app's settings in the provider's developer console";

export const GENERIC_DIAGNOSIS_TEXTS: DiagnosisTexts = {
  token_limit_evicted: ({ provider }) => ({
    summary: `${provider} revoked this grant because the same ${provider} user authorized the app again too many times: it keeps only a limited number of grants per user per app.`,
    causes: [
      `The same ${provider} user authorized this app again after this grant was issued (through Grantkeeper, or through another tool using the same client id) until ${provider}'s per-user grant limit was reached, and ${provider} dropped this grant.`,
    ],
    fix: [
      RECONNECT,
      'If that user already has a newer working connection in Grantkeeper, delete this one instead of reconnecting it: reconnecting drops yet another grant.',
    ],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Re-authorize less: reuse the existing connection for a user instead of starting a new connect flow.' },
      { who: 'developer', step: 'Subscribe to connection.grant_limit_warning: it names the connection the next authorization will evict.' },
      { who: 'developer', step: 'Give each tool (CLI, scripts, other services) its own OAuth app, so their logins do not count against this one.' },
    ],
  }),

  immediate_expiry_policy: ({ provider }) => ({
    summary: `The new grant failed the refresh Grantkeeper made right after connecting: ${provider} issued a refresh token that cannot be used at all.`,
    causes: [
      `A policy on the ${provider} account or app makes refresh tokens expire at once, or disables offline access for this app.`,
    ],
    fix: [
      `The account's admin (or the developer, in ${APP_SETTINGS}) checks the refresh-token and offline-access settings for this app.`,
      `Then the end user connects again: ${RECONNECT}`,
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: 'Keep verification on for connect sessions (verify: true), so a policy like this shows up while the user is still connecting.' },
    ],
  }),

  unknown_token: ({ provider }) => ({
    summary: `${provider} does not know this imported refresh token: it was refused on its first refresh here and has never worked.`,
    causes: [
      'The token was copied incompletely, mistyped, or is not a real token (a test value).',
      `It was issued to another OAuth app (another client id than this integration's) or by another ${provider} environment or tenant.`,
      `It was revoked or expired before its first refresh here (before or after the import): ${provider} gives the same answer for a token it never issued and for one it no longer accepts.`,
    ],
    fix: [
      "Check the imported token against where it came from: the whole string, the same client id as the integration's. Then delete this connection and import the right token with POST /v1/connections?verify=true, which proves it at once.",
      `If the token cannot be recovered, have the end user connect instead: ${RECONNECT}`,
    ],
    who_fixes: 'developer',
    prevention: [
      { who: 'developer', step: 'Import with verification (POST /v1/connections?verify=true, or grantkeeper import --verify), so an unknown token is reported while importing.' },
    ],
  }),

  immediate_expiry_or_revoked: ({ provider }) => ({
    summary: `The grant failed its first refresh after connecting: either ${provider} makes this app's refresh tokens expire at once, or the grant was revoked before its first use.`,
    causes: [
      `A policy on the ${provider} account or app makes refresh tokens expire at once, or disables offline access for this app.`,
      'The grant was revoked between connecting and the first refresh: the user disconnected the app, or an admin removed its access.',
      `The connection was not verified when it was made (its connect session had verify off), and ${provider} answers both causes with the same error.`,
    ],
    fix: [
      `${RECONNECT} Create the reconnect session with verify: true: if it ends with error=immediate_expiry_policy, the policy is the cause and the account's admin (or the developer, in ${APP_SETTINGS}) must change it first; if it succeeds, the old grant had simply been revoked.`,
    ],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Verify new connections (connect sessions with verify: true), so the policy is caught with certainty while the user is still connecting.' },
    ],
  }),

  idle_expired: ({ provider }) => ({
    summary: `The grant expired because it was not used for longer than ${provider}'s idle limit for refresh tokens.`,
    causes: [`${provider} expires refresh tokens that go unused for a period, and this grant went unused longer than that.`],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: KEEPALIVE },
      { who: 'developer', step: 'Keep refresh.keepalive_s well below the idle limit, and keep the Grantkeeper scheduler running (it refreshes nothing while stopped).' },
    ],
  }),

  lifetime_expired: ({ provider }) => ({
    summary: `The grant reached the end of its fixed lifetime at ${provider}.`,
    causes: [`${provider} gives refresh tokens an absolute lifetime counted from authorization; using the token does not extend it.`],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: "Watch the connection's refresh_token_expires_at and ask the user to reconnect shortly before it, instead of waiting for a failure." },
    ],
  }),

  rotation_lost: ({ provider }) => ({
    summary: `A rotated refresh token was probably lost: ${provider} issued a new refresh token that never got stored, so the stored one was already invalid.`,
    causes: [
      `${provider} rotates refresh tokens: a refresh returns a new one and retires the previous one. An earlier refresh timed out or was cut off after ${provider} had processed it, so its new token never reached the store.`,
      `Another system holding the same refresh token refreshed it and kept the rotated token to itself; ${provider} may revoke the whole grant when a retired token is used again.`,
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Let only Grantkeeper refresh this grant: do not hand the same refresh token to another tool or SDK that refreshes on its own.' },
      { who: 'developer', step: 'Give the token endpoint enough time (GRANTKEEPER_TOKEN_TIMEOUT_MS) and stop Grantkeeper with SIGTERM, not kill -9, so in-flight refreshes are stored.' },
    ],
  }),

  org_wide_revocation: ({ provider }) => ({
    summary: `Many grants of the same ${provider} account failed at once: its admin most likely removed or blocked the app, or changed a policy.`,
    causes: [`An admin of the ${provider} account (workspace, tenant or organization) uninstalled, blocked or revoked the app, or changed its access policy.`],
    fix: [
      "Ask the account's admin what changed; the app may need to be allowed or installed again.",
      `Then each end user reconnects: ${RECONNECT} Grantkeeper re-probes these connections, so a policy fix alone may bring them back.`,
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: "Subscribe to integration.failure_spike and talk to the customer's admin before asking every user to reconnect." },
    ],
  }),

  credentials_changed: ({ provider }) => ({
    summary: `${provider} reports an authentication failure for the user behind this grant, so the grant no longer works.`,
    causes: ["The user's password or sign-in method changed, or the account was disabled."],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [{ who: 'developer', step: 'Show the reconnect link in your product where the user will see it.' }],
  }),

  user_inactive: ({ provider }) => ({
    summary: `The ${provider} user behind this connection is inactive.`,
    causes: [`An admin deactivated or suspended the user in ${provider}.`],
    fix: [
      `An admin reactivates the user in ${provider}. Grantkeeper re-probes this connection and it recovers on its own.`,
      'If the user left for good, delete this connection, or have another user connect.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: 'Connect through a dedicated integration user rather than a person who may leave.' }],
  }),

  org_inactive: ({ provider }) => ({
    summary: `The ${provider} account behind this connection is locked, closed or suspended.`,
    causes: ['The account was suspended (often billing), closed, or was a trial that expired.'],
    fix: [
      `The account owner restores it with ${provider}. Grantkeeper re-probes this connection and it recovers once the account is active.`,
      'If the account is gone for good, delete this connection.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: 'Delete connections of accounts that customers close.' }],
  }),

  ip_restricted: ({ provider }) => ({
    summary: `${provider} refused the refresh because of a network or sign-in restriction.`,
    causes: [`A policy on the ${provider} account allows sign-ins only from certain networks or at certain times, and Grantkeeper's outbound address is outside it.`],
    fix: [
      "An admin allows Grantkeeper's outbound IP addresses for this app, or relaxes the restriction for refresh tokens.",
      'Grantkeeper re-probes this connection; it recovers on its own once the policy allows it.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: "Publish Grantkeeper's fixed outbound IP addresses and ask customers' admins to allow them during onboarding." }],
  }),

  not_approved: ({ provider }) => ({
    summary: `${provider} says this user is not approved to use the app.`,
    causes: [`The ${provider} account allows only admin-approved apps or users, and this user (or the app) is not, or no longer, approved.`],
    fix: [`An admin approves the app for this user in ${provider}. Grantkeeper re-probes this connection and it recovers on its own.`],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: "During onboarding, have the customer's admin approve the app for every user who will connect." }],
  }),

  app_not_installed: ({ provider }) => ({
    summary: `${provider} refused the refresh because the app is not installed or enabled for this account.`,
    causes: [`The account's admin has not installed (or has removed) the OAuth app, or only allows apps it has approved.`],
    fix: [
      `An admin of the ${provider} account installs or allows the app. Grantkeeper re-probes this connection; it recovers on its own once the app is allowed.`,
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: "Make installing the app part of each customer's onboarding, and verify it with one test connection." }],
  }),

  refresh_ip_blocked: ({ provider }) => ({
    summary: `${provider} refused refreshes from Grantkeeper's address for several accounts: the refusals follow where Grantkeeper's calls leave from.`,
    causes: [`The app only accepts refreshes from allowlisted IP addresses, and Grantkeeper's token calls leave from an address that is not on the list (no outbound proxy, or the egress address changed).`],
    fix: [
      "Send every token call through the fixed-egress proxy whose addresses are allowlisted (GRANTKEEPER_OUTBOUND_PROXY, or the integration's outbound_proxy; docs/outbound-proxy.md), or allowlist the address Grantkeeper's calls leave from.",
      'Grantkeeper re-probes these connections; they recover on their own once the refreshes are allowed.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'Change the allowlist and the egress addresses together, and subscribe to connection.diagnosis_changed.' }],
  }),

  revoked: ({ provider }) => ({
    summary: `${provider} no longer accepts this grant (invalid_grant): it was revoked or has expired.`,
    causes: [
      'The user disconnected or uninstalled the app in their account settings, or an admin removed its access.',
      `The refresh token expired under ${provider}'s lifetime rules, or was replaced by a newer authorization.`,
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: KEEPALIVE },
      { who: 'developer', step: "Tell users that disconnecting the app disconnects the integration, and show the reconnect link in your product." },
    ],
  }),

  client_credentials_disabled: ({ provider }) => ({
    summary: `${provider} refused the client_credentials grant for this app.`,
    causes: ['The app is not allowed the client_credentials grant, or has no user or account to act as.'],
    fix: [`Allow the client_credentials grant for the app in ${APP_SETTINGS}; Grantkeeper then re-probes a connection.`],
    who_fixes: 'developer',
    prevention: [],
  }),

  assertion_rejected: ({ provider }) => ({
    summary: `${provider} refused the signed JWT assertion (signature, issuer, audience or expiry).`,
    causes: [
      "The public key or certificate registered with the app is not the one of the integration's private_key (see public_key_pem).",
      "client_id or jwt_audience does not match what the provider expects.",
    ],
    fix: ["Register the integration's public key (or `grantkeeper integrations certificate <key>`) with the app, and check client_id and jwt_audience."],
    who_fixes: 'developer',
    prevention: [],
  }),

  client_credentials_invalid: ({ provider }) => ({
    summary: `${provider} rejected the integration's client credentials (client id or secret).`,
    causes: [
      'The client id or secret stored in the integration is wrong: a copy-paste error, or the wrong app.',
      `The client secret was rotated in ${APP_SETTINGS} and the integration still has the old one.`,
      'The app was deleted or suspended, or is not allowed the refresh_token grant.',
    ],
    fix: [
      `Copy the client id and secret from ${APP_SETTINGS}.`,
      'Update the integration with PATCH /v1/integrations/{key} (client_secret); Grantkeeper then re-probes a connection.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'When rotating the client secret, update Grantkeeper before the old secret is retired.' }],
  }),

  grant_type_unsupported: ({ provider }) => ({
    summary: `${provider} rejected the form of Grantkeeper's token request (unsupported grant type or malformed request).`,
    causes: [
      "The integration's token endpoint (or a connection_config value it is built from) is wrong.",
      'The client authentication method does not match what the provider expects (HTTP Basic versus the request body).',
      'A proxy between Grantkeeper and the provider changed the request body.',
    ],
    fix: [
      'Read last_error.error_description: it usually says what was wrong.',
      'Check the integration (and, for custom oauth2 providers, token_url and client_auth), then retry the connection with POST /v1/connections/{id}/refresh.',
      'If the configuration is right, report it as a Grantkeeper bug with the error description.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'Verify a new integration with one test connection before rolling it out.' }],
  }),

  scope_invalid: ({ provider }) => ({
    summary: `${provider} rejected the scopes the integration asks for.`,
    causes: ["The integration's scopes include one the app is not allowed, or one misspelled."],
    fix: [
      `Compare the integration's scopes with the scopes configured in ${APP_SETTINGS}.`,
      'Fix the scopes (PATCH /v1/integrations/{key}) or allow them for the app, then have users reconnect if their grants lack the scope.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: "Keep the integration's scopes equal to the app's configured scopes, including the one that grants offline access." }],
  }),

  // Grantkeeper's own refusal, not the provider's: one text for every provider.
  address_blocked: ({ provider }) => ({
    summary: `Grantkeeper did not call ${provider}: its outbound policy refuses the integration's token or revoke URL (a private, loopback or other special-purpose address, or plain http://).`,
    causes: [
      "The integration's URL is wrong: its auth_base_url (or, for a custom oauth2 provider, token_url or revoke_url) names a host on a private network, localhost, a cloud metadata address, or a name that resolves to one.",
      'The URL is meant to be private (a provider inside your network, a local emulator), but GRANTKEEPER_ALLOW_PRIVATE_NETWORK does not allow that host; without it, plain http:// URLs are refused as well.',
    ],
    fix: [
      "Check the integration's URLs (GET /v1/integrations/{key}) and correct a wrong one with PATCH /v1/integrations/{key}.",
      'If the address is intended, allow it: set GRANTKEEPER_ALLOW_PRIVATE_NETWORK to true, or to a comma-separated list of the hosts or CIDRs allowed, and restart Grantkeeper.',
      "Then retry one connection with POST /v1/connections/{id}/refresh: a success clears the integration's error.",
    ],
    who_fixes: 'developer',
    prevention: [
      { who: 'developer', step: 'Verify a new integration with one test connection before rolling it out, on a Grantkeeper configured like production (the same GRANTKEEPER_ALLOW_PRIVATE_NETWORK).' },
    ],
  }),

  // Already provider-neutral: one text for every provider.
  unclassified_error: ({ provider }) => ({
    summary: `${provider} answered with an error Grantkeeper does not know; it keeps retrying and does not ask the end user to reconnect.`,
    causes: [
      'A new or undocumented error code or answer from the provider.',
      'An unexpected answer from something in between (a proxy, a captive portal, a wrong host).',
    ],
    fix: [
      'Read last_error (status, error, description) and the connection\'s events.',
      'If the grant is really dead, ask the end user to reconnect; otherwise report the answer so it can be classified.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: "Add the provider's error to the provider's classification rules once its meaning is known." }],
  }),


  provider_unavailable: ({ provider }) => ({
    summary: `${provider} could not refresh the token right now; Grantkeeper retries with backoff and still serves a valid token if it has one.`,
    causes: [`${provider} is down, overloaded or rate limiting, or the network between them failed.`],
    fix: ["Nothing to do: the connection recovers by itself. If it keeps failing for hours, check the provider's status page and Grantkeeper's network path."],
    who_fixes: 'nobody_transient',
    prevention: [{ who: 'developer', step: "Keep refresh.max_per_s within the provider's rate limits." }],
  }),
};

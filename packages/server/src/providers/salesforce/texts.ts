// The words on a dashboard card, per diagnosis code: for a developer or support person who must
// decide what to do next. Salesforce places are named exactly; the end user is pointed at the
// connection's reconnect link (`reconnect_url` in the `reauth_required` answer and webhook).
import type { DiagnosisTexts } from '../../domain/diagnosis.js';
import { GENERIC_DIAGNOSIS_TEXTS } from '../generic/texts.js';

const MANAGE_APP_POLICIES =
  'Setup → Connected Apps → Manage Connected Apps → <app> → Edit Policies (for an External Client App: Setup → External Client App Manager → <app> → Policies → OAuth Policies)';
const RECONNECT = "Send the end user the connection's reconnect link (reconnect_url) and ask them to connect again.";
const KEEPALIVE = "Keep Grantkeeper's scheduled keepalive refresh on (the integration's refresh.keepalive_s, default one day) so no grant sits unused.";

export const SALESFORCE_DIAGNOSIS_TEXTS: DiagnosisTexts = {
  token_limit_evicted: ({ provider }) => ({
    summary: `${provider} revoked this grant because the same ${provider} user approved the app again too many times: it keeps only the newest 5 grants per user per app.`,
    causes: [
      `The same ${provider} user authorized this app 5 or more times after this grant was issued (through Grantkeeper, or through another tool using the same app), and ${provider} evicted the oldest grant.`,
    ],
    fix: [
      RECONNECT,
      'If that user already has a newer working connection in Grantkeeper, delete this one instead of reconnecting it: reconnecting evicts yet another grant.',
    ],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Re-authorize less: reuse the existing connection for a user instead of starting a new connect flow, and reconnect only connections that need it.' },
      { who: 'developer', step: 'Subscribe to connection.grant_limit_warning: it names the connection the next authorization will evict.' },
      { who: 'developer', step: 'Give each tool (CLI, scripts, other services) its own connected app, so their logins do not count against this app.' },
    ],
  }),

  immediate_expiry_policy: ({ provider }) => ({
    summary: `The new grant failed the refresh Grantkeeper made right after connecting: this ${provider} org makes the app's refresh tokens expire immediately.`,
    causes: [
      `The app's Refresh Token Policy in this org is "Immediately expire refresh token", so ${provider} issues refresh tokens that can never be used. An org admin can set this for the org, overriding the app's default.`,
    ],
    fix: [
      `An org admin opens ${MANAGE_APP_POLICIES} and sets Refresh Token Policy to "Refresh token is valid until revoked" (or a long "Expire refresh token after" period).`,
      `Then the end user connects again: ${RECONNECT}`,
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: "Set the app's default Refresh Token Policy to \"valid until revoked\" and tell customers' admins not to override it with immediate expiry." },
      { who: 'developer', step: 'Keep verification on for connect sessions (verify, the default for Salesforce): a policy like this then shows up while the user is still connecting, not a day later.' },
    ],
  }),

  unknown_token: ({ provider }) => ({
    summary: `${provider} does not know this imported refresh token: it was refused on its first refresh here and has never worked.`,
    causes: [
      'The token was copied incompletely, mistyped, or is not a real token (a test value).',
      `It belongs to another connected app (another consumer key than this integration's client_id) or to another ${provider} environment: a sandbox token imported into a production integration, or the other way round (auth_base_url).`,
      `It was revoked or expired before its first refresh here (before or after the import): ${provider} gives the same answer for a token it never issued and for one it no longer accepts (an "Immediately expire refresh token" policy included).`,
    ],
    fix: [
      "Check the imported token against where it came from: the whole string, the same consumer key as the integration's client_id, the same login host as its auth_base_url. Then delete this connection and import the right token with POST /v1/connections?verify=true, which proves it at once.",
      `If the token cannot be recovered, have the end user connect instead: ${RECONNECT}`,
    ],
    who_fixes: 'developer',
    prevention: [
      { who: 'developer', step: 'Import with verification (POST /v1/connections?verify=true, or grantkeeper import --verify), so a token Salesforce does not know is reported while importing.' },
    ],
  }),

  immediate_expiry_or_revoked: ({ provider }) => ({
    summary: `The grant failed its first refresh after connecting: either this ${provider} org makes the app's refresh tokens expire immediately, or the grant was revoked before its first use.`,
    causes: [
      `The app's Refresh Token Policy in this org is "Immediately expire refresh token" (an org admin can set this for the org, overriding the app's default).`,
      'The user revoked the app (Personal Settings → Advanced User Details → OAuth Connected Apps → Revoke), or an admin revoked it in Setup → Connected Apps OAuth Usage, between connecting and the first refresh.',
      `The connection was not verified when it was made (its connect session had verify off), and ${provider} answers both causes with the same error, so the answer alone cannot tell them apart.`,
    ],
    fix: [
      `${RECONNECT} The reconnect verifies the new grant: if it ends with error=immediate_expiry_policy, the policy is the cause and an org admin must first change it in ${MANAGE_APP_POLICIES}; if it succeeds, the old grant had simply been revoked.`,
    ],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Keep verification on for connect sessions (verify, the default for Salesforce), so the policy is caught with certainty while the user is still connecting.' },
    ],
  }),

  idle_expired: ({ provider }) => ({
    summary: `The grant expired because it was not used for longer than ${provider}'s idle limit for refresh tokens.`,
    causes: [
      `The org or app policy expires refresh tokens not used for a period ("Expire refresh token if not used for N", or the 30-day idle limit), and this grant went unused longer than that.`,
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: KEEPALIVE },
      { who: 'developer', step: 'Keep refresh.keepalive_s well below the idle limit, and keep the Grantkeeper scheduler running (it refreshes nothing while stopped).' },
    ],
  }),

  lifetime_expired: ({ provider }) => ({
    summary: `The grant reached the end of its fixed lifetime: ${provider} answered "token validity expired".`,
    causes: [
      `The app's Refresh Token Policy is "Expire refresh token after N …" (an absolute lifetime from authorization; using the token does not extend it).`,
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'org_admin', step: `If users should stay connected, set a longer period or "Refresh token is valid until revoked" in ${MANAGE_APP_POLICIES}.` },
      { who: 'developer', step: 'Ask users to reconnect shortly before the lifetime ends instead of waiting for a failure.' },
    ],
  }),

  rotation_lost: ({ provider }) => ({
    summary: `A rotated refresh token was probably lost: ${provider} issued a new refresh token that never got stored, so the stored one was already invalid.`,
    causes: [
      `Refresh token rotation is on: every refresh returns a new refresh token and invalidates the previous one. An earlier refresh timed out or was cut off after ${provider} had processed it, so its new token never reached the store.`,
      'Another system holding the same refresh token refreshed it and kept the rotated token to itself; reusing a rotated-out token makes Salesforce revoke the whole grant.',
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Let only Grantkeeper refresh this grant: do not hand the same refresh token to another tool or SDK that refreshes on its own.' },
      { who: 'developer', step: "Give the token endpoint enough time (GRANTKEEPER_TOKEN_TIMEOUT_MS) and stop Grantkeeper with SIGTERM, not kill -9, so in-flight refreshes are stored." },
    ],
  }),

  org_wide_revocation: ({ provider }) => ({
    summary: `Many grants in this ${provider} org failed at once: an org admin most likely revoked or blocked the app, or changed its policy.`,
    causes: [
      'An admin blocked the app, or revoked its tokens, in Setup → Connected Apps OAuth Usage.',
      `An admin changed the app's policies for the org (${MANAGE_APP_POLICIES}): Permitted Users, IP Relaxation or Refresh Token Policy.`,
    ],
    fix: [
      'Ask the org admin what changed. If the app was blocked, it must be unblocked in Setup → Connected Apps OAuth Usage.',
      `Then each end user reconnects: ${RECONNECT} Grantkeeper re-probes these connections, so a policy fix alone may bring them back.`,
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: "Subscribe to integration.failure_spike and talk to the customer's Salesforce admin before asking every user to reconnect." },
      { who: 'org_admin', step: 'Announce app blocks and policy changes to the team that runs the integration.' },
    ],
  }),

  credentials_changed: ({ provider }) => ({
    summary: `${provider} answered "authentication failure": the user's credentials changed, so the grant no longer works.`,
    causes: [
      "The user's password was changed or reset.",
      'The user was deactivated or frozen, which Salesforce may also report this way.',
    ],
    fix: [
      RECONNECT,
      'If the user can no longer log in to Salesforce at all, their admin must reactivate or unfreeze them first (Setup → Users).',
    ],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: 'Tell users that changing their Salesforce password may disconnect the integration, and show the reconnect link where they will see it.' },
      { who: 'developer', step: 'Prefer a dedicated integration user whose password does not change, where the use case allows.' },
    ],
  }),

  user_inactive: ({ provider }) => ({
    summary: `The ${provider} user behind this connection is inactive or frozen.`,
    causes: [
      'An admin deactivated the user (Setup → Users → <user> → Edit → Active is unchecked).',
      `An admin froze the user (Setup → Users → <user> → Freeze). ${provider} does not document what a frozen user's refresh answers; "inactive user" is the likeliest answer.`,
    ],
    fix: [
      'An org admin reactivates the user in Setup → Users → <user> → Edit → Active, or unfreezes them (Setup → Users → <user> → Unfreeze). Grantkeeper re-probes this connection and it recovers on its own.',
      'If the user left for good, delete this connection, or have another user connect.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: 'Connect through a dedicated integration user rather than a person who may leave.' }],
  }),

  org_inactive: ({ provider }) => ({
    summary: `The ${provider} org behind this connection is locked, closed or suspended.`,
    causes: ['The org was locked or suspended (often billing), closed, or is a sandbox or trial that was deleted or expired.'],
    fix: [
      'The org owner restores the org with Salesforce (support or billing). Grantkeeper re-probes this connection and it recovers once the org is active.',
      'If the org is gone for good, delete this connection.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: 'Delete connections of orgs that customers close, and watch sandbox connections: sandbox refreshes and expiries end them.' }],
  }),

  ip_restricted: ({ provider }) => ({
    summary: `${provider} refused the refresh because of an IP restriction or login hours.`,
    causes: [
      "Grantkeeper's outbound IP is outside the user's profile Login IP Ranges or the org's Network Access ranges.",
      "The refresh happened outside the profile's Login Hours.",
    ],
    fix: [
      `An org admin opens ${MANAGE_APP_POLICIES} and sets IP Relaxation to "Relax IP restrictions" (or "Enforce IP restrictions, but relax for refresh tokens").`,
      "Or the admin adds Grantkeeper's outbound IP addresses to the profile's Login IP Ranges (Setup → Profiles → <profile> → Login IP Ranges) and widens its Login Hours.",
      'Grantkeeper re-probes this connection; it recovers on its own once the policy allows it.',
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: "Publish Grantkeeper's fixed outbound IP addresses and ask customers' admins to relax IP restrictions for this app during onboarding." },
      { who: 'developer', step: "If another org refuses refreshes the same way, the cause is Grantkeeper's egress: the diagnosis then becomes refresh_ip_blocked." },
    ],
  }),

  not_approved: ({ provider }) => ({
    summary: `${provider} says this user is not approved to use the app.`,
    causes: [
      'The app\'s Permitted Users policy is "Admin approved users are pre-authorized", and the user\'s profile or permission set is not (or no longer) assigned to the app.',
    ],
    fix: [
      'An org admin assigns the user\'s profile or a permission set to the app: Setup → Connected Apps → Manage Connected Apps → <app> → Manage Profiles / Manage Permission Sets.',
      'Or the admin sets Permitted Users to "All users may self-authorize" in Edit Policies. Grantkeeper re-probes this connection and it recovers on its own.',
    ],
    who_fixes: 'org_admin',
    prevention: [{ who: 'developer', step: "During onboarding, have the customer's admin assign a permission set for the app to every user who will connect." }],
  }),

  app_not_installed: ({ provider }) => ({
    summary: `${provider} refused the refresh because the app is not installed in this org ("External client app is not installed in this org").`,
    causes: [
      'The app is an External Client App with no installation in this org: a packaged app must be installed in every customer org (through its package), and a local one works only in the org that created it.',
      'The org has API Access Control on, and the app is not installed or allowed there.',
      'An org admin uninstalled the app or its package.',
      "The connection's login host is not the org where the app lives (a local External Client App reached through login.salesforce.com or test.salesforce.com instead of the org's My Domain).",
    ],
    fix: [
      'An org admin installs the app in this org: for a packaged External Client App, install (or reinstall) its package; then check Setup → External Client App Manager → <app> → Policies (Permitted Users, profiles and permission sets).',
      'With API Access Control on: Setup → Connected Apps OAuth Usage → <app> → Install, then give the users access through their profile or a permission set.',
      'Grantkeeper re-probes this connection: once the app is installed, the existing grant works again without a reconnect.',
      "If the login host is wrong, reconnect with connection_config.login_host set to the org's My Domain (for example acme.my.salesforce.com).",
    ],
    who_fixes: 'org_admin',
    prevention: [
      { who: 'developer', step: "Ship the External Client App in a package and make installing it the first onboarding step; verify each new org with one test connection." },
      { who: 'developer', step: "For a local External Client App, connect through the org's My Domain (connection_config.login_host)." },
    ],
  }),

  refresh_ip_blocked: ({ provider }) => ({
    summary: `${provider} refused refreshes from Grantkeeper's address in two or more orgs ("IP restricted or invalid login hours"): the refusals follow where Grantkeeper's calls leave from, not one org's policy.`,
    causes: [
      "The app has a refresh-token IP allowlist (required since May 2026 for apps used by more than two customer orgs), and Grantkeeper's token calls leave from an address that is not on it: no outbound proxy is configured, GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE lists the login host, or the proxy's egress address changed.",
      "Grantkeeper moved (a new host, region or NAT gateway), so its outbound address changed while orgs or the app still allow only the old one.",
    ],
    fix: [
      "Route every token call through the fixed-egress proxy whose addresses are on the allowlist: GRANTKEEPER_OUTBOUND_PROXY, or the integration's outbound_proxy (docs/outbound-proxy.md, docs/salesforce-2026.md). `grantkeeper doctor --salesforce <integration>` shows the egress in use.",
      "Or add the address Grantkeeper's calls leave from to the app's Refresh Token IP Allowlist (External Client App Manager → <app> → Policies).",
      'Grantkeeper re-probes these connections: once refreshes leave from an allowed address they recover without a reconnect.',
    ],
    who_fixes: 'developer',
    prevention: [
      { who: 'developer', step: 'Keep the Refresh Token IP Allowlist and the proxy\'s egress addresses in one place of your infrastructure code, and change them together.' },
      { who: 'developer', step: 'Subscribe to connection.diagnosis_changed: the first IP refusal looks like one org\'s policy until a second org refuses too.' },
    ],
  }),

  revoked: ({ provider }) => ({
    summary: `${provider} no longer accepts this grant: it was revoked or has expired.`,
    causes: [
      'The user revoked the app (Personal Settings → Advanced User Details → OAuth Connected Apps → Revoke).',
      'An admin revoked the user\'s access in Setup → Connected Apps OAuth Usage.',
      `The token expired under a refresh-token policy, or ${provider} evicted it after newer approvals made outside Grantkeeper.`,
    ],
    fix: [RECONNECT],
    who_fixes: 'end_user',
    prevention: [
      { who: 'developer', step: KEEPALIVE },
      { who: 'developer', step: 'Tell users that revoking the app in Salesforce disconnects the integration, and show the reconnect link in your product.' },
    ],
  }),

  client_credentials_disabled: ({ provider }) => ({
    summary: `${provider} refused the Client Credentials flow: the app has no run-as user ("no client credentials user enabled").`,
    causes: [
      'The app does not have the Client Credentials flow enabled, or no Run As (execution) user is set in its policies.',
      'The run-as user was deactivated or lost the API Enabled permission.',
    ],
    fix: [
      'In the org: External Client App Manager (or App Manager → Manage) → <app> → Policies → enable Client Credentials Flow and choose a Run As user (an API-only integration user).',
      'Grantkeeper re-probes a connection of this integration; it recovers on its own once the flow works.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'Use a dedicated integration user as run-as user, and never deactivate it while the integration is in use.' }],
  }),

  assertion_rejected: ({ provider }) => ({
    summary: `${provider} refused the signed JWT Bearer assertion (signature, issuer, audience or expiry).`,
    causes: [
      "The certificate uploaded to the app is not the one made from the integration's private_key (see public_key_pem and its fingerprint), or it expired.",
      "client_id is not the app's consumer key (the assertion's iss).",
      "jwt_audience is not the login host the org expects (https://login.salesforce.com, https://test.salesforce.com, or the Experience Cloud site URL).",
      "Grantkeeper's clock is far off, so the assertion's exp looks past or too far ahead.",
    ],
    fix: [
      "Run `grantkeeper integrations certificate <key>` and upload the certificate to the app (Use digital signatures), or PATCH the integration's private_key to the key of the uploaded certificate.",
      'Check client_id and jwt_audience with PATCH /v1/integrations/{key}; Grantkeeper then re-probes a connection.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: "Note the certificate's expiry and replace it (and the private_key) before it ends." }],
  }),

  client_credentials_invalid: ({ provider }) => ({
    summary: `${provider} rejected the integration's client credentials (consumer key or secret).`,
    causes: [
      'The consumer key or secret stored in the integration is wrong: a copy-paste error, or the wrong app.',
      'The consumer secret was rotated in Salesforce and the integration still has the old one.',
      'The app is not allowed this flow, or does not exist in the org behind the login host (auth_base_url).',
    ],
    fix: [
      'Copy the Consumer Key and Secret from Setup → App Manager → <app> → View → Manage Consumer Details (External Client App: External Client App Manager → <app> → Settings → OAuth Settings).',
      'Update the integration with PATCH /v1/integrations/{key} (client_secret); Grantkeeper then re-probes a connection.',
      'Check that auth_base_url is the login host where the app lives (login.salesforce.com, test.salesforce.com or the My Domain).',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'When rotating the consumer secret, update Grantkeeper before the old secret is retired in Salesforce.' }],
  }),

  grant_type_unsupported: ({ provider }) => ({
    summary: `${provider} rejected the form of Grantkeeper's token request (unsupported grant type or malformed request).`,
    causes: [
      'The integration\'s auth_base_url points at the wrong host, or uses http:// instead of https://.',
      'A proxy between Grantkeeper and the provider changed the request body.',
      'The app requires something the request lacks (for example PKCE on the code exchange).',
    ],
    fix: [
      'Read last_error.error_description: it says what was wrong.',
      'Check auth_base_url (https, the right login host), then retry the connection with POST /v1/connections/{id}/refresh.',
      'If the configuration is right, report it as a Grantkeeper bug with the error description.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'Verify a new integration with one test connection before rolling it out.' }],
  }),

  scope_invalid: ({ provider }) => ({
    summary: `${provider} rejected the scopes the integration asks for.`,
    causes: ["The integration's scopes include one the app does not have, or one misspelled."],
    fix: [
      'Compare the integration\'s scopes with the app\'s Selected OAuth Scopes (Setup → App Manager → <app> → Edit → API (Enable OAuth Settings)).',
      'Fix the scopes (PATCH /v1/integrations/{key}) or add them to the app, then have users reconnect if their grants lack the scope.',
    ],
    who_fixes: 'developer',
    prevention: [{ who: 'developer', step: 'Keep the integration\'s scopes equal to the app\'s selected scopes; include refresh_token.' }],
  }),

  address_blocked: GENERIC_DIAGNOSIS_TEXTS.address_blocked,

  unclassified_error: GENERIC_DIAGNOSIS_TEXTS.unclassified_error,

  provider_unavailable: ({ provider }) => ({
    summary: `${provider} could not refresh the token right now; Grantkeeper retries with backoff and still serves a valid token if it has one.`,
    causes: [
      `${provider} is down, overloaded or rate limiting, or the network between them failed.`,
      'Another refresh of the same token was in progress (Salesforce rejects concurrent refreshes of one refresh token).',
    ],
    fix: ['Nothing to do: the connection recovers by itself. If it keeps failing for hours, check the provider\'s status page and Grantkeeper\'s network path.'],
    who_fixes: 'nobody_transient',
    prevention: [
      { who: 'developer', step: 'Refresh only through Grantkeeper, so no other client refreshes the same token at the same time.' },
      { who: 'developer', step: 'Keep refresh.max_per_s within the provider\'s limits.' },
    ],
  }),
};

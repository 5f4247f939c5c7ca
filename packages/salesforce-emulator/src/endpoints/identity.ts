import type { EmulatorContext } from '../context.js';
import { IDENTITY_BAD_ID, IDENTITY_BAD_TOKEN } from '../errors.js';
import { checkAccessToken, identityUrl, instanceUrlFor } from '../grants.js';
import { bearerToken, sendJson, sendText, type RequestInfo } from '../http.js';
import type { OrgRecord, UserRecord } from '../state.js';

/**
 * Identity URL, UserInfo, discovery and JWKS (docs/salesforce.md). A token these
 * endpoints do not accept is 403 with the plain-text body `Bad_OAuth_Token`,
 * not the REST API's 401 JSON (docs/salesforce.md).
 */

function tokenFrom(r: RequestInfo): string | null {
  return bearerToken(r.req) ?? r.url.searchParams.get('oauth_token');
}

function authenticate(ctx: EmulatorContext, r: RequestInfo): { user: UserRecord; org: OrgRecord } | null {
  const token = tokenFrom(r);
  const check = token ? checkAccessToken(ctx, token, true) : null;
  if (!check || !check.ok) {
    sendText(r.res, 403, IDENTITY_BAD_TOKEN);
    return null;
  }
  return { user: check.user, org: check.org };
}

function restUrls(ctx: EmulatorContext, org: OrgRecord, user: UserRecord, version: string): Record<string, string> {
  const base = instanceUrlFor(ctx, org);
  const org15 = org.orgId.slice(0, 15);
  return {
    enterprise: `${base}/services/Soap/c/${version}/${org15}`,
    metadata: `${base}/services/Soap/m/${version}/${org15}`,
    partner: `${base}/services/Soap/u/${version}/${org15}`,
    rest: `${base}/services/data/v${version}/`,
    sobjects: `${base}/services/data/v${version}/sobjects/`,
    search: `${base}/services/data/v${version}/search/`,
    query: `${base}/services/data/v${version}/query/`,
    recent: `${base}/services/data/v${version}/recent/`,
    tooling_soap: `${base}/services/Soap/T/${version}/${org15}`,
    tooling_rest: `${base}/services/data/v${version}/tooling/`,
    profile: `${base}/${user.userId}`,
    feeds: `${base}/services/data/v${version}/chatter/feeds`,
    groups: `${base}/services/data/v${version}/chatter/groups`,
    users: `${base}/services/data/v${version}/chatter/users`,
    feed_items: `${base}/services/data/v${version}/chatter/feed-items`,
    feed_elements: `${base}/services/data/v${version}/chatter/feed-elements`,
    custom_domain: base,
  };
}

export function handleIdentity(ctx: EmulatorContext, r: RequestInfo): void {
  ctx.stats.count('identity_requests');
  const auth = authenticate(ctx, r);
  if (!auth) return;
  const { user, org } = auth;
  const wantOrg = r.params.orgId ?? '';
  const wantUser = r.params.userId ?? '';
  // The token must belong to the user the URL names (15- or 18-character ids).
  if (org.orgId.slice(0, 15) !== wantOrg.slice(0, 15) || user.userId.slice(0, 15) !== wantUser.slice(0, 15)) {
    return sendText(r.res, 403, IDENTITY_BAD_ID);
  }
  const version = r.url.searchParams.get('version') ?? '{version}';
  sendJson(r.res, 200, {
    id: identityUrl(ctx, user),
    asserted_user: true,
    user_id: user.userId,
    organization_id: org.orgId,
    username: user.username,
    nick_name: user.username.split('@')[0],
    display_name: `${user.firstName} ${user.lastName}`,
    email: user.email,
    email_verified: true,
    first_name: user.firstName,
    last_name: user.lastName,
    timezone: 'America/Los_Angeles',
    photos: { picture: `${instanceUrlFor(ctx, org)}/profilephoto/005/F`, thumbnail: `${instanceUrlFor(ctx, org)}/profilephoto/005/T` },
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: null,
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: restUrls(ctx, org, user, version),
    active: user.active,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: -28800000,
    last_modified_date: new Date(ctx.clock.now()).toISOString().replace('Z', '+0000'),
    is_app_installed: true,
  });
}

export function handleUserInfo(ctx: EmulatorContext, r: RequestInfo): void {
  ctx.stats.count('userinfo_requests');
  const auth = authenticate(ctx, r);
  if (!auth) return;
  const { user, org } = auth;
  sendJson(r.res, 200, {
    sub: identityUrl(ctx, user),
    user_id: user.userId,
    organization_id: org.orgId,
    preferred_username: user.username,
    nickname: user.username.split('@')[0],
    name: `${user.firstName} ${user.lastName}`,
    email: user.email,
    email_verified: true,
    given_name: user.firstName,
    family_name: user.lastName,
    zoneinfo: 'America/Los_Angeles',
    photos: { picture: `${instanceUrlFor(ctx, org)}/profilephoto/005/F`, thumbnail: `${instanceUrlFor(ctx, org)}/profilephoto/005/T` },
    profile: `${instanceUrlFor(ctx, org)}/${user.userId}`,
    picture: `${instanceUrlFor(ctx, org)}/profilephoto/005/F`,
    address: {},
    is_salesforce_integration_user: false,
    urls: restUrls(ctx, org, user, '{version}'),
    active: user.active,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: -28800000,
    updated_at: new Date(ctx.clock.now()).toISOString().replace('Z', '+0000'),
    is_app_installed: true,
  });
}

export function handleDiscovery(ctx: EmulatorContext, r: RequestInfo): void {
  const base = ctx.settings.loginUrl;
  sendJson(r.res, 200, {
    issuer: base,
    authorization_endpoint: `${base}/services/oauth2/authorize`,
    token_endpoint: `${base}/services/oauth2/token`,
    revocation_endpoint: `${base}/services/oauth2/revoke`,
    introspection_endpoint: `${base}/services/oauth2/introspect`,
    userinfo_endpoint: `${base}/services/oauth2/userinfo`,
    jwks_uri: `${base}/id/keys`,
    response_types_supported: ['code', 'token', 'token id_token'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    introspection_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    code_challenge_methods_supported: ['S256', 'plain'],
    display_values_supported: ['page', 'popup', 'touch'],
    scopes_supported: ['id', 'api', 'web', 'full', 'chatter_api', 'visualforce', 'refresh_token', 'openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'custom_permissions', 'wave_api', 'lightning', 'content'],
    claims_supported: ['active', 'address', 'email', 'email_verified', 'family_name', 'given_name', 'is_app_installed', 'language', 'locale', 'name', 'nickname', 'organization_id', 'phone_number', 'phone_number_verified', 'photos', 'picture', 'preferred_username', 'profile', 'sub', 'updated_at', 'urls', 'user_id', 'user_type', 'zoneinfo'],
  });
}

export function handleJwks(ctx: EmulatorContext, r: RequestInfo): void {
  sendJson(r.res, 200, ctx.idTokens.jwks());
}

/** RFC 8414 metadata for generic-mode apps: the /oauth2/* paths with RFC 6749 error shapes. */
export function handleGenericMetadata(ctx: EmulatorContext, r: RequestInfo): void {
  const base = ctx.settings.loginUrl;
  sendJson(r.res, 200, {
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    revocation_endpoint: `${base}/oauth2/revoke`,
    introspection_endpoint: `${base}/oauth2/introspect`,
    userinfo_endpoint: `${base}/oauth2/userinfo`,
    jwks_uri: `${base}/id/keys`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    code_challenge_methods_supported: ['S256', 'plain'],
  });
}

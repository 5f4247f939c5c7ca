import type { EmulatorContext } from '../context.js';
import { REST_INVALID_AUTH_HEADER, REST_INVALID_SESSION, REST_MALFORMED_QUERY, REST_NOT_FOUND, REST_REQUEST_LIMIT } from '../errors.js';
import { checkAccessToken, identityUrl } from '../grants.js';
import { bearerToken, sendJson, type RequestInfo } from '../http.js';
import type { OrgRecord, UserRecord } from '../state.js';

/**
 * A small REST API under /services/data/vXX.X/ (docs/salesforce.md): enough for clients to
 * make authenticated calls and meet the 401 that sends them to refresh.
 */

const VERSIONS = ['58.0', '59.0', '60.0', '61.0', '62.0', '63.0', '64.0'];

/** A scope set without api/full is refused with the 401 that must not trigger a refresh loop (docs/salesforce.md). */
const NOT_VALID_FOR_REST = [{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }];

export function handleVersions(_ctx: EmulatorContext, r: RequestInfo): void {
  sendJson(r.res, 200, VERSIONS.map((version) => ({ label: `v${version}`, url: `/services/data/v${version}`, version })));
}

export function handleRest(ctx: EmulatorContext, r: RequestInfo): void {
  ctx.stats.count('rest_requests');
  const header = r.req.headers.authorization;
  const token = bearerToken(r.req);
  if (!header || !token) return sendJson(r.res, 401, REST_INVALID_AUTH_HEADER);
  const check = checkAccessToken(ctx, token, true);
  if (!check.ok) {
    ctx.stats.count('rest_unauthorized');
    // No WWW-Authenticate header, as on the real API (docs/salesforce.md).
    return sendJson(r.res, 401, REST_INVALID_SESSION);
  }
  const scopes = check.token.scope.split(' ');
  if (!scopes.includes('api') && !scopes.includes('full')) return sendJson(r.res, 401, NOT_VALID_FOR_REST);

  const settings = ctx.settings;
  if (settings.apiRequestsUsed >= settings.apiDailyLimit) return sendJson(r.res, 403, REST_REQUEST_LIMIT);
  settings.apiRequestsUsed++;
  const limitInfo = { 'Sforce-Limit-Info': `api-usage=${settings.apiRequestsUsed}/${settings.apiDailyLimit}` };

  const version = r.params.version ?? '62.0';
  const resource = (r.params.rest ?? '').replace(/\/+$/, '');
  const base = `/services/data/v${version}`;
  switch (resource) {
    case '':
      return sendJson(r.res, 200, {
        limits: `${base}/limits`,
        query: `${base}/query`,
        sobjects: `${base}/sobjects`,
        search: `${base}/search`,
        // jsforce's Connection.identity() reads this when it has no id URL yet.
        identity: identityUrl(ctx, check.user),
      }, limitInfo);
    case 'limits':
      return sendJson(r.res, 200, {
        DailyApiRequests: { Max: settings.apiDailyLimit, Remaining: settings.apiDailyLimit - settings.apiRequestsUsed },
        ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
        DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
        DataStorageMB: { Max: 5, Remaining: 5 },
        FileStorageMB: { Max: 20, Remaining: 20 },
      }, limitInfo);
    case 'query':
      return query(r, check.user, check.org, base, limitInfo);
    case 'sobjects':
      return sendJson(r.res, 200, {
        encoding: 'UTF-8',
        maxBatchSize: 200,
        sobjects: ['Account', 'Contact', 'Organization', 'User'].map((name) => ({ name, label: name, queryable: true, urls: { sobject: `${base}/sobjects/${name}` } })),
      }, limitInfo);
    default:
      return sendJson(r.res, 404, REST_NOT_FOUND, limitInfo);
  }
}

const ACCOUNTS = [
  { Id: '001000000000001AAA', Name: 'Edge Communications', Industry: 'Electronics' },
  { Id: '001000000000002AAA', Name: 'Burlington Textiles Corp of America', Industry: 'Apparel' },
  { Id: '001000000000003AAA', Name: 'Pyramid Construction Inc.', Industry: 'Construction' },
];

/** Just enough SOQL: `SELECT f1, f2 FROM Account|User|Organization [LIMIT n]`. */
function query(r: RequestInfo, user: UserRecord, org: OrgRecord, base: string, headers: Record<string, string>): void {
  const soql = r.url.searchParams.get('q') ?? '';
  const m = /^\s*select\s+(.+?)\s+from\s+(\w+)(?:\s+where\s+.+?)?(?:\s+limit\s+(\d+))?\s*$/i.exec(soql);
  if (!m) return sendJson(r.res, 400, REST_MALFORMED_QUERY, headers);
  const fields = m[1]!.split(',').map((f) => f.trim());
  const type = m[2]!.toLowerCase();
  const limit = m[3] ? Number(m[3]) : Number.POSITIVE_INFINITY;
  const tables: Record<string, { type: string; rows: Array<Record<string, unknown>> }> = {
    account: { type: 'Account', rows: ACCOUNTS },
    user: { type: 'User', rows: [{ Id: user.userId, Username: user.username, Name: `${user.firstName} ${user.lastName}`, Email: user.email, IsActive: user.active }] },
    organization: { type: 'Organization', rows: [{ Id: org.orgId, Name: org.name }] },
  };
  const table = tables[type];
  if (!table) return sendJson(r.res, 400, [{ message: `sObject type '${m[2]}' is not supported.`, errorCode: 'INVALID_TYPE' }], headers);
  const records = table.rows.slice(0, limit).map((row) => {
    const record: Record<string, unknown> = { attributes: { type: table.type, url: `${base}/sobjects/${table.type}/${String(row.Id)}` } };
    for (const field of fields) {
      const key = Object.keys(row).find((k) => k.toLowerCase() === field.toLowerCase());
      record[key ?? field] = key ? row[key] : null;
    }
    return record;
  });
  sendJson(r.res, 200, { totalSize: records.length, done: true, records }, headers);
}

// A reconnect link is long-lived and may be opened many times: each visit shows the
// connection's unused sign-in session instead of making a new row (anyone holding the link
// could otherwise fill the table), the page says truthfully that the link can be opened again
// until it expires, and retention removes the sessions links made. On both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256Hex } from '../src/crypto/hashing.js';
import { fromPublicId } from '../src/model/ids.js';
import { connectionReconnectUrl } from '../src/model/reconnect-link.js';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';

describe.each(BACKENDS)('reconnect links on %s', (backend) => {
  let rig: ConnectRig;
  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'reconnect-links' });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const db = () => rig.server.ctx.db.kysely;
  const sessionsOf = async (rowId: string) =>
    db().selectFrom('connect_sessions').select(['id', 'used_at', 'expires_at']).where('connection_id', '=', rowId).orderBy('created_at').execute();
  const open = async (url: string) => {
    const res = await fetch(url);
    const html = await res.text();
    return { status: res.status, html, action: /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? null };
  };

  test('visiting a link many times makes one session; after it is used, the next visit makes one more', async () => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username, 'link-holder');
    const rowId = fromPublicId('connection', id)!;
    const link = connectionReconnectUrl(rig.server.ctx, rowId);
    const expires = new Date(Number(new URL(link).searchParams.get('sig')!.split('.')[0]) * 1000);

    const visits = [];
    for (let i = 0; i < 40; i++) visits.push(await open(link));
    expect(visits.every((v) => v.status === 200)).toBe(true);
    expect(new Set(visits.map((v) => v.action)).size).toBe(1);
    expect(await sessionsOf(rowId)).toHaveLength(1);

    // The page tells the truth about the link: it can be opened again until it expires.
    const page = visits[0]!.html;
    expect(page).not.toContain('works once');
    expect(page).toContain('Your reconnect link stays valid until');
    expect(page).toContain(`<time datetime="${expires.toISOString()}">`);

    // Signing in through it uses that session up …
    const walk = await walkFlow(visits[0]!.action!, user.username);
    // An imported connection has no return URL: the result page says it is reconnected.
    expect(walk.callback.status).toBe(200);
    expect(await walk.callback.text()).toContain('account is reconnected');
    const resubmitted = await fetch(visits[0]!.action!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(resubmitted.status).toBe(409);
    expect(await resubmitted.text()).toContain('open your reconnect link again');

    // … and the link still opens, on one new session however often it is visited.
    const later = [];
    for (let i = 0; i < 10; i++) later.push(await open(link));
    expect(later.every((v) => v.status === 200 && v.html.includes('Your reconnect link stays valid until'))).toBe(true);
    expect(new Set(later.map((v) => v.action)).size).toBe(1);
    expect(later[0]!.action).not.toBe(visits[0]!.action);
    const sessions = await sessionsOf(rowId);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.used_at === null)).toHaveLength(1);
  });

  test('a session with less than half its lifetime left is not handed out again; a connect link the API made is never reused', async () => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username, 'link-holder-2');
    const rowId = fromPublicId('connection', id)!;
    // A connect session the API made for this connection: its token was given to the caller, not to the link.
    const made = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'link-holder-2' }, connection_id: id });
    expect(made.status).toBe(201);
    const link = connectionReconnectUrl(rig.server.ctx, rowId);
    const first = await open(link);
    expect(first.action).not.toBe(made.body.url);
    expect(await sessionsOf(rowId)).toHaveLength(2);
    expect((await open(link)).action).toBe(first.action);

    // Close to its end, the link's session would expire while the user reads the page.
    await sql`UPDATE connect_sessions SET expires_at = now() + interval '1 minute'
              WHERE connection_id = ${rowId} AND token_hash <> ${sha256Hex(made.body.token)}`.execute(db());
    const fresh = await open(link);
    expect(fresh.action).not.toBe(first.action);
    expect(await sessionsOf(rowId)).toHaveLength(3);
    expect((await open(link)).action).toBe(fresh.action);
  });

  test('retention removes the sessions links made once expired long enough', async () => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username, 'link-holder-3');
    const rowId = fromPublicId('connection', id)!;
    const link = connectionReconnectUrl(rig.server.ctx, rowId);
    const visit = await open(link);
    await walkFlow(visit.action!, user.username);
    await open(link);
    expect(await sessionsOf(rowId)).toHaveLength(2);
    // Both expired (and the used one's flow over) longer ago than the retention (7 days).
    await sql`UPDATE connect_sessions SET expires_at = now() - interval '8 days', flow_expires_at = CASE WHEN used_at IS NULL THEN NULL ELSE now() - interval '8 days' END,
              completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE now() - interval '8 days' END
              WHERE connection_id = ${rowId}`.execute(db());
    const pruned = await rig.server.services.retention.prune();
    expect(pruned.connectSessions).toBeGreaterThanOrEqual(2);
    expect(await sessionsOf(rowId)).toHaveLength(0);
  });
});

// The MCP server through the SDK's own Client, over both transports — Streamable HTTP at
// POST /mcp and `grantkeeper mcp` over stdio (the built binary) — against the Salesforce
// emulator, on both backends: tools by scope, the proxy behind call_api, no token anywhere.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, cliEnv } from './cli-run.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

type Transport = 'http' | 'stdio';

describe.each(BACKENDS)('MCP server on %s', (backend) => {
  let rig: SalesforceRig;
  let connectionId: string;
  let agentKey: string;
  let readerKey: string;
  const clients: Client[] = [];

  async function connect(transport: Transport, key: string): Promise<Client> {
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    if (transport === 'http') {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${rig.server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    } else {
      const env = cliEnv({ GRANTKEEPER_SECRET_KEY: key }) as Record<string, string>;
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--url', rig.server.url], env, stderr: 'pipe' }));
    }
    clients.push(client);
    return client;
  }
  const text = (result: Awaited<ReturnType<Client['callTool']>>) => JSON.parse((result.content as { type: string; text: string }[])[0]!.text);

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'mcp' });
    const user = rig.user();
    connectionId = (await rig.importGrant(user.username, 'end-user-42')).id;
    agentKey = (await rig.server.api('POST', '/v1/api-keys', { name: 'agent', scopes: ['connections:write', 'proxy'] })).body.secret;
    readerKey = (await rig.server.api('POST', '/v1/api-keys', { name: 'reader', scopes: ['connections:read'] })).body.secret;
  });
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await rig?.stop();
  });

  test.each<Transport>(['http', 'stdio'])('over %s: the tools a key gets follow its scopes', async (transport) => {
    const agent = await connect(transport, agentKey);
    expect((await agent.listTools()).tools.map((t) => t.name).sort()).toEqual(['call_api', 'create_connect_link', 'get_connection', 'list_connections']);
    const reader = await connect(transport, readerKey);
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_connection', 'list_connections']);
    const refused = await reader.callTool({ name: 'call_api', arguments: { connection_id: connectionId, method: 'GET', path: '/services/data' } });
    expect(refused.isError).toBe(true);
  });

  test.each<Transport>(['http', 'stdio'])('over %s: list, get, connect link and call_api work end to end, and nothing returns a token', async (transport) => {
    const agent = await connect(transport, agentKey);
    const listed = text(await agent.callTool({ name: 'list_connections', arguments: { end_user_id: 'end-user-42' } }));
    expect(listed.data.map((c: { id: string }) => c.id)).toEqual([connectionId]);
    const one = text(await agent.callTool({ name: 'get_connection', arguments: { connection_id: connectionId } }));
    expect(one).toMatchObject({ id: connectionId, status: 'active', diagnosis: null, reconnect_url: null });
    const link = text(await agent.callTool({ name: 'create_connect_link', arguments: { integration: rig.integrationKey, end_user_id: 'end-user-43' } }));
    expect(link.url).toMatch(/^http/);

    const called = await agent.callTool({ name: 'call_api', arguments: { connection_id: connectionId, method: 'GET', path: '/services/data/v62.0/query', query: { q: 'SELECT Id, Name FROM Account' } } });
    expect(called.isError).toBeFalsy();
    const answer = text(called);
    expect(answer.status).toBe(200);
    expect(answer.truncated).toBe(false);
    expect(JSON.parse(answer.body).totalSize).toBe(3);
    expect(answer.headers['sforce-limit-info']).toMatch(/^api-usage=/);

    const hostile = await agent.callTool({ name: 'call_api', arguments: { connection_id: connectionId, method: 'GET', path: '//evil.example/x' } });
    expect(hostile.isError).toBe(true);
    expect(text(hostile).grantkeeper_error.code).toBe('proxy_path_refused');

    const token = (await rig.server.api('GET', `/v1/connections/${connectionId}/token`)).body.access_token as string;
    const everything = JSON.stringify([listed, one, answer, text(hostile)]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(rig.clientSecret);
    expect(everything).not.toMatch(/refresh_token"\s*:\s*"[^"]/);
  });

  test('a dead grant: get_connection gives the diagnosis and the reconnect link; call_api says reauth_required', async () => {
    const { id, refreshToken } = await rig.importGrant(rig.user().username, 'end-user-dead');
    rig.emu.revokeApproval(refreshToken);
    const agent = await connect('http', agentKey);
    const called = await agent.callTool({ name: 'call_api', arguments: { connection_id: id, method: 'GET', path: '/services/data/v62.0/limits' } });
    expect(called.isError).toBe(true);
    expect(text(called).grantkeeper_error.code).toBe('reauth_required');
    const one = text(await agent.callTool({ name: 'get_connection', arguments: { connection_id: id } }));
    expect(one.status).toBe('needs_reauth');
    expect(one.diagnosis).toMatchObject({ code: expect.any(String) });
    expect(one.reconnect_url).toMatch(new RegExp(`/reconnect/${id}\\?sig=`));
  });

  test('POST /mcp wants an API key', async () => {
    const res = await fetch(`${rig.server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

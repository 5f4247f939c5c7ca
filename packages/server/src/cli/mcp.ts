// `grantkeeper mcp` — Grantkeeper's MCP server for an agent that speaks MCP over stdio: a
// relay between the agent (stdin/stdout) and a running server's `POST /mcp`, with the API key
// given here. The tools, and which of them the key gets, are the server's; nothing but
// protocol messages is ever written to stdout.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { API_OPTIONS, API_OPTIONS_HELP, EXIT, exactPositionals, parse } from './args.js';
import { resolveTarget } from './api-client.js';

const USAGE = `Usage: grantkeeper mcp [--url URL] [--key KEY]

Serves Grantkeeper's MCP tools (list_connections, get_connection, create_connect_link,
call_api) over stdio, for agents that start their MCP servers as commands. Every message is
relayed to the server's POST /mcp with the key; the key's scopes decide which tools the agent
gets. Give it a key with only the scopes the agent needs (e.g. connections:read,proxy).

${API_OPTIONS_HELP}

Examples:
  GRANTKEEPER_SECRET_KEY=gk_sk_… grantkeeper mcp --url https://gk.example.com
  # in an agent's MCP configuration:
  { "command": "grantkeeper", "args": ["mcp", "--url", "https://gk.example.com"],
    "env": { "GRANTKEEPER_SECRET_KEY": "gk_sk_…" } }`;

/** A request the server could not be asked gets a JSON-RPC error, so the agent never waits forever. */
function failure(message: JSONRPCMessage, error: unknown): JSONRPCMessage | null {
  if (!('id' in message) || !('method' in message)) return null;
  const detail = error instanceof Error ? error.message : String(error);
  return { jsonrpc: '2.0', id: message.id, error: { code: -32000, message: `Grantkeeper did not answer: ${detail}` } };
}

export async function runMcp(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, API_OPTIONS, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  exactPositionals(positionals, [], USAGE);
  const target = resolveTarget(values);
  const remote = new StreamableHTTPClientTransport(new URL(`${target.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${target.key}` } } });
  const local = new StdioServerTransport();
  local.onmessage = (message) => {
    remote.send(message).catch((error: unknown) => {
      const answer = failure(message, error);
      if (answer) void local.send(answer);
      else process.stderr.write(`grantkeeper mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  };
  remote.onmessage = (message) => void local.send(message);
  remote.onerror = (error) => process.stderr.write(`grantkeeper mcp: ${error.message}\n`);
  await remote.start();
  const closed = new Promise<void>((resolve) => {
    local.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await local.start();
  await closed;
  await remote.close();
  return EXIT.ok;
}

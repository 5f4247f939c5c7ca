// `grantkeeper` — the server and its operator commands. Commands load their modules lazily,
// so the API commands start without loading the server.
import { ConfigError } from '../config.js';
import { CliError, EXIT, UsageError } from './args.js';

const USAGE = `Usage: grantkeeper <command> [options]

Server:
  start                        start the server (embedded database unless GRANTKEEPER_DATABASE_URL is set)
  migrate                      apply database migrations and exit
  keys rotate|add|reset-api-key   encryption keys and the embedded API key

Against a running server (--url/GRANTKEEPER_URL, --key/GRANTKEEPER_SECRET_KEY, --json):
  integrations list|create|show|update   the OAuth apps
  connections list|show|refresh|delete   end users' grants
  api-keys create|list|revoke            API keys with scopes (an admin key)
  doctor <connection-id>       why a grant is in trouble, who must act, and its history
  doctor                       the server's readiness and the egress provider calls use
  doctor --<provider> <integration>   readiness against a provider's requirements (doctor --help)
  import <file.csv|file.json>  bulk import of existing refresh tokens (resumable)
  mcp                          the MCP tools over stdio, for AI agents (docs/mcp.md)

Run \`grantkeeper <command> --help\` for details and examples.

Examples:
  grantkeeper start
  export GRANTKEEPER_SECRET_KEY=gk_sk_…
  grantkeeper connections list --status needs_reauth
  grantkeeper api-keys create --name billing --scopes tokens:read --integrations crm-prod
  grantkeeper doctor conn_2x5Kq…`;

type Runner = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Runner>> = {
  start: async () => runStart,
  migrate: async () => (await import('./migrate.js')).runMigrate,
  keys: async () => (await import('./keys.js')).runKeys,
  integrations: async () => (await import('./integrations.js')).runIntegrations,
  connections: async () => (await import('./connections.js')).runConnections,
  'api-keys': async () => (await import('./api-keys.js')).runApiKeys,
  doctor: async () => (await import('./doctor.js')).runDoctor,
  import: async () => (await import('./import.js')).runImport,
  mcp: async () => (await import('./mcp.js')).runMcp,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    const load = COMMANDS[command];
    if (!load) throw new UsageError(`Unknown command "${command}".`, USAGE);
    return await (await load())(rest);
  } catch (error) {
    return reportError(error, command, json);
  }
}

function reportError(error: unknown, command: string | undefined, json: boolean): number {
  const write = (text: string) => process.stderr.write(`${text}\n`);
  if (error instanceof UsageError) {
    write(`Error: ${error.message}`);
    write(command && command in COMMANDS ? `Run \`grantkeeper ${command} --help\` for usage.` : `\n${error.usage ?? USAGE}`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'usage', detail: error.message } })}\n`);
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    write(error.message);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'invalid_configuration', problems: error.problems } })}\n`);
    return EXIT.config;
  }
  if (error instanceof CliError) {
    write(`Error: ${error.message}`);
    for (const d of error.details) write(`  ${d}`);
    if (json) process.stdout.write(`${JSON.stringify(error.json ?? { error: { code: 'failed', detail: error.message, details: error.details } })}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`Error: ${message}`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'failed', detail: message } })}\n`);
  return EXIT.failed;
}

async function runStart(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'Usage: grantkeeper start\n\nStarts the server. Configuration comes from GRANTKEEPER_* variables, every one of them\n' +
        'described in docs/configuration.md. Without GRANTKEEPER_DATABASE_URL it uses the embedded\n' +
        'database in GRANTKEEPER_DATA_DIR (./.grantkeeper) and, on first start, prints a generated API\n' +
        'key once.\n\nExamples:\n  grantkeeper start\n' +
        '  GRANTKEEPER_DATABASE_URL=postgres://… GRANTKEEPER_SECRET_KEY=… GRANTKEEPER_ENCRYPTION_KEYS=k1:… grantkeeper start\n',
    );
    return 0;
  }
  const { loadConfig } = await import('../config.js');
  const { startServer } = await import('../server.js');
  const config = loadConfig();
  const server = await startServer({ config, announce: true });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.ctx.log.info({ signal }, 'shutting down: finishing in-flight refreshes');
    const timer = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        server.ctx.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await new Promise(() => {}); // run until a signal
  return 0;
}

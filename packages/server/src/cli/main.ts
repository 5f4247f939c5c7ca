// `grantkeeper` — the server and its operator commands.
import { loadConfig, ConfigError } from '../config.js';
import { startServer } from '../server.js';

const USAGE = `Usage: grantkeeper <command> [options]

Commands:
  start            Start the server (embedded database unless GRANTKEEPER_DATABASE_URL is set)
  migrate          Apply database migrations and exit
  keys rotate      Re-encrypt every secret under the first encryption key

Run \`grantkeeper <command> --help\` for details.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await runStart();
      case 'migrate':
        return await (await import('./migrate.js')).runMigrate(rest);
      case 'keys':
        return await (await import('./keys.js')).runKeys(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
        return 1;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78; // EX_CONFIG
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function runStart(): Promise<number> {
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

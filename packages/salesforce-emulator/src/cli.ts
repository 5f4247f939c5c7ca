import { parseArgs } from 'node:util';
import { startSalesforceEmulator } from './server.js';

const USAGE = `Usage: salesforce-emulator [--port <p>] [--host <h>] [--auto-approve] [--seed <file.json>]
                          [--instance-url <url>] [--login-url <url>] [--log]

A local Salesforce OAuth 2.0 server. Control API: http://<host>:<port>/__emulator/…`;

/** `npx salesforce-emulator --port 4290 --auto-approve --seed seed.json` */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'auto-approve': { type: 'boolean' },
      seed: { type: 'string' },
      'instance-url': { type: 'string' },
      'login-url': { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535\n${USAGE}`);
  const emulator = await startSalesforceEmulator({
    port,
    ...(values.host ? { host: values.host } : {}),
    autoApprove: values['auto-approve'] === true,
    ...(values.seed ? { seed: values.seed } : {}),
    ...(values['instance-url'] ? { instanceUrl: values['instance-url'] } : {}),
    ...(values['login-url'] ? { loginUrl: values['login-url'] } : {}),
    ...(values.log ? { log: (line: string) => console.log(line) } : {}),
  });
  console.log(`salesforce-emulator listening on ${emulator.url}`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// The Salesforce emulator as a child process for the benchmarks (the built package), with
// no daily API limit in the way of a load test. Prints its URL as the other servers do.
import { startSalesforceEmulator } from '../../packages/salesforce-emulator/dist/index.js';

const emu = await startSalesforceEmulator({ port: 0, apiDailyLimit: 1_000_000_000 });
process.stdout.write(`${JSON.stringify({ msg: 'salesforce-emulator listening', url: emu.url })}\n`);

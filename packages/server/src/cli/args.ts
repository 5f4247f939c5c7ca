// Argument parsing for every command: node:util parseArgs (no dependency), the options every
// API command shares, and one error type for "the user typed it wrong" (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage, 78 bad configuration (EX_CONFIG). */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly usage?: string) {
    super(message);
  }
}

/** An operation failed for a reason the user can act on; `details` are extra lines. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly details: string[] = [], readonly exitCode: number = EXIT.failed, readonly json?: unknown) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options of every command that talks to a running server. */
export const API_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export const API_OPTIONS_HELP = `Connection options (every command that talks to a running server):
  --url URL      the server (default: $GRANTKEEPER_URL, else $GRANTKEEPER_PUBLIC_URL, else http://127.0.0.1:4280)
  --key KEY      an API key (default: $GRANTKEEPER_SECRET_KEY; prefer the variable: arguments show in ps)
  --json         machine-readable JSON on stdout (errors too, as {"error": …}); exit code still says how it went
  -h, --help     this help`;

export interface Parsed<O extends Options> {
  values: { [K in keyof O]: O[K] extends { type: 'boolean' } ? boolean | undefined : O[K] extends { multiple: true } ? string[] | undefined : string | undefined };
  positionals: string[];
}

export function parse<O extends Options>(args: string[], options: O, usage: string): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as unknown as Parsed<O>["values"], positionals };
  } catch (error) {
    // parseArgs' messages name the option ("Unknown option '--x'"); keep them, add the usage.
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '.') : String(error), usage);
  }
}

/** A positive whole number option, or a usage error naming it. */
export function intOption(value: string | undefined, name: string, usage: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number between ${min} and ${max}, got "${value}".`, usage);
  }
  return Number(value);
}

export function exactPositionals(positionals: string[], names: string[], usage: string): string[] {
  if (positionals.length < names.length) throw new UsageError(`Missing ${names.slice(positionals.length).map((n) => `<${n}>`).join(' ')}.`, usage);
  if (positionals.length > names.length) throw new UsageError(`Unexpected argument "${positionals[names.length]}".`, usage);
  return positionals;
}

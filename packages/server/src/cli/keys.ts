// `grantkeeper keys rotate|add|reset-api-key` — encryption keys and the embedded API key.
// These commands work on the database and key files directly, not through a server's API
// (except `rotate`, which goes through the running server that holds an embedded database).
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { randomToken } from '../crypto/hashing.js';
import { Keyring } from '../crypto/keyring.js';
import { liveLockHolder } from '../db/data-dir-lock.js';
import { devKeysPath, loadOrCreateDevKeyring, writeDevKeyring } from '../keys/dev-keys.js';
import { resetEmbeddedApiKey } from '../keys/reset-api-key.js';
import { rotateOffline, type RotationProgress, type RotationResult } from '../keys/rotate.js';
import { newRowId } from '../model/ids.js';
import { CliError, UsageError } from './args.js';
import { line, makeOut, paint, printJson } from './output.js';
import { ProgressBar } from './progress.js';

const USAGE = `Usage: grantkeeper keys <rotate|add|reset-api-key> [options]

  rotate [--url URL] [--key KEY]
      Re-encrypts every stored secret (client secrets, tokens, webhook secrets) under the FIRST
      key of GRANTKEEPER_ENCRYPTION_KEYS (embedded mode without it: of DATA_DIR/keys.json), in
      batches, each row compare-and-set so a concurrent refresh is never overwritten. When a
      running server holds the embedded database, the rotation runs inside that server (through
      its admin API, authenticated with --key or GRANTKEEPER_SECRET_KEY).

  add [--json]
      Makes a new encryption key.
      With GRANTKEEPER_ENCRYPTION_KEYS (always so with PostgreSQL): prints a new kid:base64key
      entry and the rollout steps; changes nothing itself.
      Embedded mode with generated dev keys: puts the new key FIRST in DATA_DIR/keys.json. A
      running server read that file at start: restart it, then run \`keys rotate\`.

  reset-api-key [--json]
      Embedded mode: revokes every generated API key and prints a new one, once. The server
      must be stopped (it holds the database and its keys in memory); start it again after.
      With PostgreSQL, API keys are GRANTKEEPER_SECRET_KEY: change that variable instead.

Key rollout (PostgreSQL, or GRANTKEEPER_ENCRYPTION_KEYS set): add the new key (not first) on
every instance; make it first everywhere; run \`grantkeeper keys rotate\`; then remove the old key.

Examples:
  grantkeeper keys add
  GRANTKEEPER_ENCRYPTION_KEYS=k2:…,k1:… grantkeeper keys rotate
  grantkeeper keys rotate --key gk_sk_…        # embedded database held by a running server
  grantkeeper keys reset-api-key               # lost the generated key; server stopped`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runKeys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  switch (sub) {
    case 'rotate':
      return rotate(rest);
    case 'add':
      return add(rest);
    case 'reset-api-key':
      return resetApiKey(rest);
    default:
      throw new UsageError(`Unknown keys command "${sub}".`, USAGE);
  }
}

function onlyFlags(args: string[], allowed: string[]): void {
  for (const a of args) if (!allowed.includes(a)) throw new UsageError(`Unexpected argument "${a}".`, USAGE);
}

async function rotate(rest: string[]): Promise<number> {
  const config = loadConfig();
  const bar = new ProgressBar();
  const onProgress = (p: RotationProgress) => bar.update(p.table, p.done, p.total);

  let result: RotationResult;
  const holder = config.databaseUrl ? null : liveLockHolder(resolve(config.dataDir));
  if (holder) {
    const url = option(rest, '--url') ?? holder.url;
    const key = option(rest, '--key') ?? config.secretKeys[0];
    if (!url) throw new Error(`A server (pid ${holder.pid}) holds the embedded database but has not published its URL yet; retry in a moment or pass --url.`);
    if (!key) throw new Error('A running server holds the embedded database: pass its API key with --key (or GRANTKEEPER_SECRET_KEY).');
    result = await rotateThroughServer(url, key, onProgress);
  } else {
    const keyring = config.encryptionKeys ? Keyring.parse(config.encryptionKeys) : loadOrCreateDevKeyring(config.dataDir).keyring;
    result = await rotateOffline(config, keyring, onProgress);
  }
  process.stdout.write(`Re-encrypted ${result.reencrypted} of ${result.rows} rows (${result.raced} re-read after concurrent writes).\n`);
  return 0;
}

/** The server streams NDJSON: progress lines, then `{ "result": … }`. */
async function rotateThroughServer(url: string, key: string, onProgress: (p: RotationProgress) => void): Promise<RotationResult> {
  const response = await fetch(`${url}/v1/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  if (!response.ok || !response.body) throw new Error(`The server refused the rotation: HTTP ${response.status} ${await response.text()}`);
  let buffer = '';
  let result: RotationResult | null = null;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!text) continue;
      const message = JSON.parse(text) as { progress?: RotationProgress; result?: RotationResult; error?: string };
      if (message.progress) onProgress(message.progress);
      if (message.result) result = message.result;
      if (message.error) throw new Error(`Rotation failed in the server: ${message.error}`);
    }
  }
  if (!result) throw new Error('The server ended the rotation without a result.');
  return result;
}

/** A key id that sorts by creation and never collides in practice: k20261125a3f9. */
function newKid(): string {
  return `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${newRowId().replace(/-/g, '').slice(-6)}`;
}

async function add(rest: string[]): Promise<number> {
  onlyFlags(rest, ['--json']);
  const out = makeOut(rest.includes('--json'));
  const config = loadConfig();
  const key = Keyring.generateKey(newKid());
  const entry = Keyring.format([key]);

  if (config.databaseUrl || config.encryptionKeys) {
    const current = config.encryptionKeys ? Keyring.parse(config.encryptionKeys).keys.map((k) => k.kid) : [];
    const steps = [
      `Add the entry to GRANTKEEPER_ENCRYPTION_KEYS on every instance, NOT first yet (e.g. ${[...current, key.kid].map((k) => `${k}:…`).join(',')}), and restart them: every instance can now decrypt with it.`,
      `Then make it FIRST on every instance (${[key.kid, ...current].map((k) => `${k}:…`).join(',')}) and restart them: new secrets are encrypted with it.`,
      'Run `grantkeeper keys rotate` once (with the new list): every stored secret is re-encrypted under it.',
      `Remove the old key${current.length > 1 ? 's' : ''} from the variable and restart.`,
    ];
    if (out.json) {
      printJson(out, { kid: key.kid, entry, stored: false, steps });
      return 0;
    }
    line(out, 'New encryption key (store it in your secret manager; it is not kept anywhere else):');
    line(out);
    line(out, `    ${entry}`);
    line(out);
    line(out, paint(out, 'bold', 'Rollout:'));
    steps.forEach((s, i) => line(out, `  ${i + 1}. ${s}`));
    return 0;
  }

  // Embedded mode with generated dev keys: keys.json is the keyring.
  const dataDir = resolve(config.dataDir);
  const { keyring } = loadOrCreateDevKeyring(dataDir);
  writeDevKeyring(dataDir, new Keyring([key, ...keyring.keys]));
  const holder = liveLockHolder(dataDir);
  const next = holder
    ? [
        `A server (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}) holds this data directory and read keys.json when it started: restart it so it encrypts with the new key.`,
        'Then run `grantkeeper keys rotate` (it goes through that server; pass --key or set GRANTKEEPER_SECRET_KEY) to re-encrypt the stored secrets.',
      ]
    : ['Run `grantkeeper keys rotate` now (or after the next start, through the server) to re-encrypt the stored secrets under it.'];
  if (out.json) {
    printJson(out, { kid: key.kid, stored: devKeysPath(dataDir), keys: [key.kid, ...keyring.keys.map((k) => k.kid)], server: holder ? { pid: holder.pid, url: holder.url } : null, steps: next });
    return 0;
  }
  line(out, `Added key ${paint(out, 'bold', key.kid)} first in ${devKeysPath(dataDir)} (older keys kept for decryption: ${keyring.keys.map((k) => k.kid).join(', ')}).`);
  next.forEach((s, i) => line(out, `  ${i + 1}. ${s}`));
  return 0;
}

async function resetApiKey(rest: string[]): Promise<number> {
  onlyFlags(rest, ['--json']);
  const out = makeOut(rest.includes('--json'));
  const config = loadConfig();
  if (config.databaseUrl) {
    throw new CliError('With PostgreSQL, the API keys are GRANTKEEPER_SECRET_KEY (nothing is stored to reset).', [
      `Put a new key first in the variable on every instance (e.g. ${randomToken('gk_sk_')}), restart, move clients over, then remove the old one.`,
    ]);
  }
  const dataDir = resolve(config.dataDir);
  const holder = liveLockHolder(dataDir);
  if (holder) {
    throw new CliError(`A server (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}) holds the embedded database in ${dataDir}.`, [
      'Stop it first (it keeps the API keys in memory), run this again, then start it.',
    ]);
  }
  const { key, revoked } = await resetEmbeddedApiKey(config.dataDir);
  const warning = config.secretKeys.length
    ? 'GRANTKEEPER_SECRET_KEY is set: while it is, the server accepts the keys in that variable and keys made through the API, but no generated key such as this one.'
    : null;
  if (out.json) {
    printJson(out, { api_key: key, revoked, ...(warning ? { warning } : {}) });
    return 0;
  }
  process.stderr.write(`Revoked ${revoked} API key${revoked === 1 ? '' : 's'}. The new API key, shown only now:\n\n`);
  line(out, key);
  process.stderr.write(`\nUse it as  Authorization: Bearer <key>  (or set GRANTKEEPER_SECRET_KEY). Start the server again to use it.\n`);
  if (warning) process.stderr.write(`Warning: ${warning}\n`);
  return 0;
}

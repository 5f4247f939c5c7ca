// `grantkeeper keys …` — encryption-key management.
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { Keyring } from '../crypto/keyring.js';
import { liveLockHolder } from '../db/data-dir-lock.js';
import { migrateToLatest } from '../db/migrator.js';
import { openDatabase } from '../db/open.js';
import { loadOrCreateDevKeyring } from '../keys/dev-keys.js';
import { rotateKeys, type RotationProgress, type RotationResult } from '../keys/rotate.js';
import { ProgressBar } from './progress.js';

const USAGE = `Usage: grantkeeper keys rotate [--url URL] [--key KEY]

Re-encrypts every stored secret (client secrets, tokens, webhook secrets) under the FIRST
key of GRANTKEEPER_ENCRYPTION_KEYS, in batches, each row compare-and-set so a concurrent
refresh is never overwritten. When a running server holds the embedded database, the
rotation runs inside that server (through its admin API, authenticated with --key or
GRANTKEEPER_SECRET_KEY).

Key rollout: add the new key (not first) on every instance; make it first; run
\`grantkeeper keys rotate\`; then remove the old key.

Examples:
  GRANTKEEPER_ENCRYPTION_KEYS=k2:…,k1:… grantkeeper keys rotate
  grantkeeper keys rotate --key gk_sk_…        # embedded database held by a running server`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runKeys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'rotate' || rest.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined || sub === '--help' || rest.includes('--help') ? 0 : 1;
  }
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
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrateToLatest(db.kysely);
      const keyring = config.encryptionKeys ? Keyring.parse(config.encryptionKeys) : loadOrCreateDevKeyring(config.dataDir).keyring;
      result = await rotateKeys(db, keyring, { onProgress });
    } finally {
      await db.close();
      db.lock?.release();
    }
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
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line) as { progress?: RotationProgress; result?: RotationResult; error?: string };
      if (message.progress) onProgress(message.progress);
      if (message.result) result = message.result;
      if (message.error) throw new Error(`Rotation failed in the server: ${message.error}`);
    }
  }
  if (!result) throw new Error('The server ended the rotation without a result.');
  return result;
}

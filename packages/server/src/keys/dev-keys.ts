// Embedded mode's zero-setup secrets: an encryption key generated on first start and kept in
// DATA_DIR/keys.json (mode 0600) — the one documented exception to "no key beside the data",
// warned about at every start and in /readyz. PostgreSQL mode never uses this file.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '../crypto/keyring.js';

interface DevKeysFile {
  encryption_keys: string;
  created_at: string;
}

export function devKeysPath(dataDir: string): string {
  return join(dataDir, 'keys.json');
}

export function loadOrCreateDevKeyring(dataDir: string): { keyring: Keyring; created: boolean } {
  const path = devKeysPath(dataDir);
  if (existsSync(path)) {
    const file = JSON.parse(readFileSync(path, 'utf8')) as DevKeysFile;
    return { keyring: Keyring.parse(file.encryption_keys), created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyring = new Keyring([Keyring.generateKey(`dev${Date.now().toString(36)}`)]);
  writeDevKeyring(dataDir, keyring);
  return { keyring, created: true };
}

export function writeDevKeyring(dataDir: string, keyring: Keyring): void {
  const path = devKeysPath(dataDir);
  const file: DevKeysFile = { encryption_keys: Keyring.format(keyring.keys), created_at: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

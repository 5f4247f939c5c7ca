// Keys from GRANTKEEPER_SECRET_KEY are not rows, yet sessions and the audit log must name
// them: each gets a stable public id derived from the key by a slow one-way function (scrypt,
// once per start), so the id never helps anyone guess the key, even a short one.
import { scryptSync } from 'node:crypto';
import { toPublicId } from '../model/ids.js';

const SALT = 'grantkeeper/environment-api-key-id/v1';

export function environmentKeyId(secret: string): string {
  const hex = scryptSync(secret, SALT, 16).toString('hex');
  return toPublicId('apiKey', `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
}

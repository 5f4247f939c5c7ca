// Public ids are prefixed and dash-free (`conn_3f2a…`); rows use the uuid, which also
// binds each encrypted secret to its row (crypto/envelope.ts).
import { randomUUID } from 'node:crypto';

const PREFIXES = { connection: 'conn_', webhookEndpoint: 'we_', delivery: 'whd_', event: 'evt_', spike: 'spk_', apiKey: 'key_', auditEvent: 'aud_' } as const;
export type IdKind = keyof typeof PREFIXES;

export function newRowId(): string {
  return randomUUID();
}

export function toPublicId(kind: IdKind, uuid: string): string {
  return `${PREFIXES[kind]}${uuid.replace(/-/g, '')}`;
}

/** The row uuid of a public id; null when it is not one of ours (→ 404, never a 500). */
export function fromPublicId(kind: IdKind, publicId: string): string | null {
  const prefix = PREFIXES[kind];
  if (!publicId.startsWith(prefix)) return null;
  const hex = publicId.slice(prefix.length).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

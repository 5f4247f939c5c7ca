// An integration's own egress (docs/outbound-proxy.md): `outbound_proxy` is what the API
// shows (NULL: the instance's settings apply; 'direct'; or the proxy URL with its password
// masked), `outbound_proxy_enc` the full URL, encrypted like every secret (set only for a proxy).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE integrations ADD COLUMN outbound_proxy text`.execute(db);
  await sql`ALTER TABLE integrations ADD COLUMN outbound_proxy_enc text`.execute(db);
  await sql`
    ALTER TABLE integrations ADD CONSTRAINT integrations_outbound_proxy_sealed
      CHECK ((outbound_proxy IS NULL OR outbound_proxy = 'direct') = (outbound_proxy_enc IS NULL))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE integrations DROP CONSTRAINT integrations_outbound_proxy_sealed`.execute(db);
  await sql`ALTER TABLE integrations DROP COLUMN outbound_proxy_enc`.execute(db);
  await sql`ALTER TABLE integrations DROP COLUMN outbound_proxy`.execute(db);
}

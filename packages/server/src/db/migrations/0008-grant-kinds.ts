// Server-to-server grants (issue 16): how an integration mints access tokens (its grant
// type), the key it signs with (JWT Bearer assertions and private_key_jwt client
// authentication), and the subject a JWT Bearer connection acts as.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE integrations ADD COLUMN grant_type text NOT NULL DEFAULT 'authorization_code'
      CHECK (grant_type IN ('authorization_code', 'client_credentials', 'jwt_bearer'))`.execute(db);
  // NULL: the provider's own client authentication (or the custom provider's body/basic).
  await sql`ALTER TABLE integrations ADD COLUMN client_auth text CHECK (client_auth IN ('private_key_jwt'))`.execute(db);
  // The PKCS#8 private key, encrypted for its row; its public half is not a secret and is
  // kept in plain text so the integration can show it (and its fingerprint) without decrypting.
  await sql`ALTER TABLE integrations ADD COLUMN private_key_enc text`.execute(db);
  await sql`ALTER TABLE integrations ADD COLUMN public_key_pem text`.execute(db);
  await sql`ALTER TABLE integrations ADD COLUMN jwt_audience text`.execute(db);
  // The user a JWT Bearer connection mints tokens for (a username at the provider).
  await sql`ALTER TABLE connections ADD COLUMN grant_subject text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE connections DROP COLUMN IF EXISTS grant_subject`.execute(db);
  for (const column of ['jwt_audience', 'public_key_pem', 'private_key_enc', 'client_auth', 'grant_type']) {
    await sql`ALTER TABLE integrations DROP COLUMN IF EXISTS ${sql.ref(column)}`.execute(db);
  }
}

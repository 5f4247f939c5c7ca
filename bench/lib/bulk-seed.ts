// Bulk-seeds connections straight into PostgreSQL (generate_series), for benchmarks that
// need 100k–1M rows. The rows carry a ciphertext-shaped token that is never decrypted.
import pg from 'pg';

export async function bulkSeedConnections(url: string, count: number, options: { duePercent?: number } = {}): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const integration = await client.query<{ id: string }>(
      `INSERT INTO integrations (id, key, provider, client_id, scopes, auth_base_url, refresh)
       VALUES (gen_random_uuid(), 'bulk-' || substr(md5(random()::text), 1, 6), 'salesforce', 'bulk', '["api","refresh_token"]',
               'https://login.salesforce.com', '{"margin_s":300,"keepalive_s":86400,"access_token_ttl_s":7200,"max_per_s":20,"keep_warm":false}')
       RETURNING id`,
    );
    const integrationId = integration.rows[0]!.id;
    const due = (options.duePercent ?? 0) / 100;
    const batch = 100_000;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      await client.query(
        `INSERT INTO connections (id, integration_id, end_user_id, status, refresh_token_enc, refresh_token_fp, created_at, next_refresh_at, org_id)
         SELECT gen_random_uuid(), $1, 'bulk-user-' || g, 'active', 'gk1:none:AAAA:AAAA', NULL,
                now() - (g || ' seconds')::interval,
                CASE WHEN random() < $2 THEN now() - interval '1 minute' ELSE now() + interval '1 day' * random() END,
                '00D' || lpad((g % 1000)::text, 15, '0')
         FROM generate_series($3::int, $4::int) AS g`,
        [integrationId, due, start + 1, start + n],
      );
    }
    await client.query('ANALYZE connections');
    return integrationId;
  } finally {
    await client.end();
  }
}

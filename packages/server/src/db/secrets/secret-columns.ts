// Every encrypted column, and how a re-encryption write guards against racing writers:
// rows with a `generation` use it (compare-and-set, so an older grant is never restored);
// the others compare the ciphertexts themselves.
export interface SecretTable {
  table: 'integrations' | 'connections' | 'webhook_endpoints' | 'connect_sessions' | 'revocations' | 'idempotency_keys';
  columns: string[];
  guard: 'generation' | 'ciphertext';
}

export const SECRET_TABLES: readonly SecretTable[] = [
  { table: 'integrations', columns: ['client_secret_enc', 'previous_client_secret_enc', 'outbound_proxy_enc', 'private_key_enc'], guard: 'generation' },
  { table: 'connections', columns: ['access_token_enc', 'refresh_token_enc'], guard: 'generation' },
  { table: 'webhook_endpoints', columns: ['secret_enc', 'previous_secret_enc'], guard: 'ciphertext' },
  { table: 'connect_sessions', columns: ['code_verifier_enc'], guard: 'ciphertext' },
  { table: 'revocations', columns: ['token_enc', 'client_secret_enc'], guard: 'ciphertext' },
  { table: 'idempotency_keys', columns: ['response_enc'], guard: 'ciphertext' },
];

/**
 * The last requests the emulator answered (control requests excluded), so a test
 * can check what a client actually sent: which grant, which client, how it
 * authenticated, and what it got back. Never tokens or secrets.
 */
export interface RequestLogEntry {
  /** Emulator time (epoch ms) when the answer finished. */
  at: number;
  endpoint: string;
  method: string;
  path: string;
  status: number;
  grant_type?: string;
  client_id?: string;
  /** How the client authenticated at the token endpoint. */
  client_auth?: 'basic' | 'body' | 'private_key_jwt' | 'none';
  /** `error/error_description` of a token-endpoint failure. */
  error?: string;
  /** The TCP source address the request came from (what an IP allowlist judges). */
  source_ip?: string;
  /** Token endpoint: the names of the form parameters sent (never their values). */
  fields?: string[];
  /** A provider-style revocation request: where the token was and how the client authenticated. */
  revocation?: ProviderRevocationShape;
}

/** What a provider-style revocation endpoint saw (names of places and fields, never values). */
export interface ProviderRevocationShape {
  token_in: 'path' | 'query' | 'body' | 'bearer' | 'none';
  token_field?: string;
  token_kind: 'refresh_token' | 'access_token' | 'unknown';
  /** basic, header:<scheme> (e.g. header:Client), body (client id and secret fields), client_id (a client id field alone), none. */
  client_auth: 'basic' | 'body' | 'client_id' | 'none' | `header:${string}`;
  client_id_field?: string;
  content: 'form' | 'json' | 'none' | 'other';
  /** Body field names, and query parameter names prefixed with `?`. */
  fields: string[];
}

export type RequestNote = Pick<RequestLogEntry, 'grant_type' | 'client_id' | 'client_auth' | 'error' | 'revocation' | 'fields'> & {
  /** The path as logged, when it holds a secret (a token in a path segment becomes `:token`). */
  path?: string;
};

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(private readonly capacity = 1000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Oldest first; optionally only one endpoint, and only the last `limit`. */
  list(filter: { endpoint?: string; limit?: number } = {}): RequestLogEntry[] {
    const matching = filter.endpoint ? this.entries.filter((e) => e.endpoint === filter.endpoint) : this.entries;
    return (filter.limit ? matching.slice(-filter.limit) : matching).map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}

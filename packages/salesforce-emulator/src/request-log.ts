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
}

export type RequestNote = Pick<RequestLogEntry, 'grant_type' | 'client_id' | 'client_auth' | 'error'>;

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

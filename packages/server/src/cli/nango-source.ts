// Reading a Nango environment through Nango's public API, as `@nangohq/node` 0.71 does:
// `GET /connections` (pages of `limit`, `page`), `GET /connections/{id}?refresh_token=true`
// (the connection with its current refresh token), `GET /integrations[/{key}]`. The secret
// key is sent as a Bearer token, as Nango expects.
import { CliError } from './args.js';
import { ApiClient, enc } from './api-client.js';

export interface NangoConnectionSummary {
  connection_id: string;
  provider_config_key: string;
  provider?: string;
}

export interface NangoConnection extends NangoConnectionSummary {
  metadata?: Record<string, unknown> | null;
  connection_config?: Record<string, unknown> | null;
  end_user?: { id?: string; email?: string | null } | null;
  credentials?: { type?: string; access_token?: string; refresh_token?: string; raw?: Record<string, unknown> } | null;
}

export interface NangoIntegration {
  unique_key: string;
  provider: string;
  credentials?: { client_id?: string | null; scopes?: string | null } | null;
}

const PAGE = 100;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class NangoSource {
  private readonly api: ApiClient;

  constructor(readonly url: string, secretKey: string) {
    this.api = new ApiClient({ url: url.replace(/\/+$/, ''), key: secretKey });
  }

  private async get(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<unknown> {
    const res = await this.api.attempt<unknown>('GET', path, { query });
    if (res.ok) return res.body;
    // Nango's errors are `{ error: { code, message } }`.
    const error = isRecord(res.problem.error) ? res.problem.error : {};
    const code = typeof error.code === 'string' ? error.code : res.problem.code ?? 'error';
    const message = typeof error.message === 'string' ? error.message : res.problem.detail ?? '';
    throw new CliError(`Nango answered ${res.status} ${code} to GET ${path}${message ? `: ${message}` : ''}`, res.status === 401 ? ['Check --nango-secret-key (the environment\'s secret key).'] : []);
  }

  /**
   * Every connection, page by page. Pages are counted from 0; a page that brings nothing new
   * twice in a row (a server that counts from 1, or ignores `page`) ends the walk, as does a
   * short page.
   */
  async *connections(): AsyncGenerator<NangoConnectionSummary> {
    const seen = new Set<string>();
    let idle = 0;
    for (let page = 0; idle < 2; page++) {
      const body = await this.get('/connections', { limit: PAGE, page });
      const list = isRecord(body) && Array.isArray(body.connections) ? body.connections : [];
      let fresh = 0;
      for (const item of list) {
        if (!isRecord(item) || typeof item.connection_id !== 'string' || typeof item.provider_config_key !== 'string') continue;
        const id = `${item.provider_config_key}\u0000${item.connection_id}`;
        if (seen.has(id)) continue;
        seen.add(id);
        fresh++;
        yield { connection_id: item.connection_id, provider_config_key: item.provider_config_key, ...(typeof item.provider === 'string' ? { provider: item.provider } : {}) };
      }
      if (list.length < PAGE) break;
      idle = fresh === 0 ? idle + 1 : 0;
    }
  }

  /** One connection with its credentials, the refresh token included. */
  async connection(summary: NangoConnectionSummary): Promise<NangoConnection> {
    const body = await this.get(`/connections/${enc(summary.connection_id)}`, { provider_config_key: summary.provider_config_key, refresh_token: true, force_refresh: false });
    if (!isRecord(body)) throw new CliError(`Nango answered GET /connections/${summary.connection_id} with something that is not a connection.`);
    return { ...summary, ...(body as Partial<NangoConnection>) };
  }

  async integration(uniqueKey: string): Promise<NangoIntegration | null> {
    const body = await this.get(`/integrations/${enc(uniqueKey)}`, { include: 'credentials' });
    const data = isRecord(body) && isRecord(body.data) ? body.data : null;
    return data && typeof data.provider === 'string' ? (data as unknown as NangoIntegration) : null;
  }
}

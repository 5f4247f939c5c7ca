// Who may do what: the scopes an API key carries and the actors the audit log names.
// Types only; auth/ decides, api/ declares the scope each route needs, the audit log records.

/** API key scopes (API "API keys and scopes"). `admin` implies every other one. */
export const SCOPES = ['tokens:read', 'proxy', 'connections:read', 'connections:write', 'integrations:write', 'webhooks:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who acted: an API key, a dashboard session (made with a key), the CLI, or Grantkeeper itself. */
export type ActorType = 'api_key' | 'dashboard' | 'cli' | 'system';

export interface Actor {
  type: ActorType;
  /** The key's public id (`key_…`), or null for `system`. */
  id: string | null;
  /** The key's name as its creator gave it, for people reading the log. */
  name: string | null;
}

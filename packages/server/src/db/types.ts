import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ConnectionsTable, Database, IntegrationsTable } from './schema.js';

/** Anything a query can run on: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type IntegrationRow = Selectable<IntegrationsTable>;
export type ConnectionRow = Selectable<ConnectionsTable>;

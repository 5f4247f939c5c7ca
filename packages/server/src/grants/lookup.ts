// A connection named by its public id, or the API's 404.
import type { AppContext } from '../context.js';
import { findConnection } from '../db/connections/find-connection.js';
import type { ConnectionRow } from '../db/types.js';
import { notFound } from '../errors.js';
import { fromPublicId } from '../model/ids.js';

export async function requireConnection(ctx: AppContext, publicId: string): Promise<ConnectionRow> {
  const id = fromPublicId('connection', publicId);
  const row = id ? await findConnection(ctx.db.kysely, id) : undefined;
  if (!row) throw notFound(`Connection "${publicId}"`);
  return row;
}

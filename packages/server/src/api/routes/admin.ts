// Operator endpoints. `keys rotate` runs here when this server holds the embedded
// database (only one process may open it). Progress is streamed as NDJSON.
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { rotateKeys } from '../../keys/rotate.js';
import { auditOf } from '../audit-context.js';

export function adminRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/v1/admin/keys/rotate', {
      config: requireScope('admin'),
      schema: { tags: ['admin'], summary: 'Re-encrypt every secret under the primary key (NDJSON progress stream)' },
    }, async (request, reply) => {
      const stream = new PassThrough();
      const write = (message: unknown) => stream.write(`${JSON.stringify(message)}\n`);
      rotateKeys(ctx.db, ctx.keyring, { audit: auditOf(request), onProgress: (progress) => write({ progress }) })
        .then((result) => {
          ctx.log.info({ ...result }, 'encryption keys rotated');
          write({ result });
        })
        .catch((error: unknown) => {
          ctx.log.error({ err: error }, 'key rotation failed');
          write({ error: error instanceof Error ? error.message : String(error) });
        })
        .finally(() => stream.end());
      return reply.type('application/x-ndjson').send(stream);
    });
  };
}

// `Idempotency-Key` on every POST, scoped per API key: a repeat by the same API key with the
// same body within 24 h gets the first successful response back (header
// `Idempotent-Replayed: true`) and changes nothing; rejected requests are not remembered.
// The stored response is encrypted: some responses show a secret once (webhook secrets,
// connect tokens). A different body under a used key is a 422; a key whose first request
// is still running is a 409.
import { idempotentResponsePlace } from '../model/secret-places.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { sha256Hex } from '../crypto/hashing.js';
import type { AppContext } from '../context.js';
import {
  completeIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
} from '../db/idempotency/idempotency-keys.js';
import { badRequest, conflict, unprocessable } from '../errors.js';
import { newRowId } from '../model/ids.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyRowId?: string;
  }
}

/** A reservation older than this without a response belongs to a request that died. */
const IN_FLIGHT_ABANDONED_S = 120;

const keyInUse = () => conflict('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.');


interface StoredResponse {
  headers: Record<string, string>;
  body: string;
}

export function registerIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1–255 characters.');
    }
    // One scope per API key (and apart from the dashboard sessions it made): a replay by
    // anyone else is a new request, and never receives the first response.
    const principal = request.principal;
    const caller = principal ? `${principal.keyId}${principal.viaSession ? ':session' : ''}` : 'public';
    const scope = `${caller} ${request.method} ${request.url}`;
    const requestHash = sha256Hex(JSON.stringify(request.body ?? null));
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await findIdempotencyKey(ctx.db.kysely, scope, key);
      if (existing) {
        const ageS = (Date.now() - existing.created_at.getTime()) / 1000;
        if (ageS > ctx.config.idempotencyTtlS) {
          await releaseIdempotencyKey(ctx.db.kysely, existing.id);
          continue;
        }
        if (existing.request_hash !== requestHash) {
          throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
        }
        if ((existing.status_code === null || existing.response_enc === null) && ageS > IN_FLIGHT_ABANDONED_S) {
          // Reserved by a request that never finished (its server died): free it.
          await releaseIdempotencyKey(ctx.db.kysely, existing.id);
          continue;
        }
        if (existing.status_code === null || existing.response_enc === null) {
          throw keyInUse();
        }
        const stored = JSON.parse(decryptSecret(ctx.keyring, existing.response_enc, idempotentResponsePlace(existing.id))) as StoredResponse;
        for (const [name, value] of Object.entries(stored.headers)) reply.header(name, value);
        return reply.code(existing.status_code).header('idempotent-replayed', 'true').send(stored.body);
      }
      const id = newRowId();
      if (await reserveIdempotencyKey(ctx.db.kysely, { id, scope, key, request_hash: requestHash })) {
        request.idempotencyRowId = id;
        return;
      }
    }
    throw keyInUse();
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const id = request.idempotencyRowId;
    if (!id) return payload;
    request.idempotencyRowId = undefined;
    if (reply.statusCode >= 300) {
      // A rejected request changed nothing, so nothing is kept either: a retry with the same
      // key is simply evaluated again (and a 5xx or a transient 409 may then succeed).
      await releaseIdempotencyKey(ctx.db.kysely, id).catch(() => {});
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const headers: Record<string, string> = {};
    const contentType = reply.getHeader('content-type');
    if (typeof contentType === 'string') headers['content-type'] = contentType;
    const location = reply.getHeader('location');
    if (typeof location === 'string') headers.location = location;
    const stored: StoredResponse = { headers, body };
    await completeIdempotencyKey(ctx.db.kysely, id, reply.statusCode, encryptSecret(ctx.keyring, JSON.stringify(stored), idempotentResponsePlace(id)));
    return payload;
  });
}

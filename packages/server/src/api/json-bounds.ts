// Every JSON request body is bounded before any handler (or schema) sees it: its size by
// Fastify's body limit (413), its nesting by GRANTKEEPER_JSON_MAX_DEPTH (400 json_too_deep).
// Unbounded nesting reaches code that recurses — schema validation, JSON.stringify when a
// value is stored — and a few thousand levels overflow the stack.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';

const OPEN = new Set(['{', '[']);
const CLOSE = new Set(['}', ']']);

/**
 * Whether `text` nests objects and arrays deeper than `max`, read in one pass without
 * parsing (brackets inside strings do not count). Malformed JSON is left to the parser.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (OPEN.has(c)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(c)) depth--;
  }
  return false;
}

/** Replaces the JSON body parser with one that checks the nesting first, then parses as Fastify does (prototype-poisoning checks included). */
export function boundJsonBodies(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, maxDepth)) {
      done(badRequest('json_too_deep', `JSON bodies may nest objects and arrays at most ${maxDepth} levels deep (GRANTKEEPER_JSON_MAX_DEPTH).`), undefined);
      return;
    }
    parse(request, text, done);
  });
}

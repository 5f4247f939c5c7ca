// A list endpoint's `?cursor=`: absent → the first page; malformed → a 400 problem.
import { decodeCursor, type Cursor } from '../db/pagination.js';
import { badRequest } from '../errors.js';

export function cursorParam(value: string | undefined): Cursor | null {
  if (value === undefined) return null;
  const cursor = decodeCursor(value);
  if (!cursor) throw badRequest('invalid_cursor', 'The cursor is malformed.');
  return cursor;
}

// Cursor pagination (`{ data, next_cursor }`) as an async iterator, fetching a page only
// when the previous one has been consumed.
import type { Page } from './types.js';

export type PageLoader<T> = (cursor: string | undefined) => Promise<Page<T>>;

export class PageIterator<T> implements AsyncIterable<T> {
  readonly #load: PageLoader<T>;
  readonly #startCursor: string | undefined;

  constructor(load: PageLoader<T>, startCursor?: string) {
    this.#load = load;
    this.#startCursor = startCursor;
  }

  /** Iterates whole pages, for callers that checkpoint `next_cursor`. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.#startCursor;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.#load(cursor);
      yield page;
      const next = page.next_cursor;
      if (next === null || next === undefined || next === '') return;
      // A server handing back a cursor twice would make this loop forever; stop loudly instead.
      if (seen.has(next)) throw new Error(`pagination: cursor ${JSON.stringify(next)} repeated`);
      seen.add(next);
      cursor = next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Collects every item (or the first `max`). Convenient for small result sets and tests. */
  async toArray(max: number = Infinity): Promise<T[]> {
    const out: T[] = [];
    if (max <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }
}

// call_api's body limit: a provider answer over the limit is cut there, says so, and the
// rest of the stream is never read.
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { readLimited } from '../src/mcp/read-body.js';

describe('readLimited', () => {
  test('returns a body under the limit whole', async () => {
    expect(await readLimited(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 100)).toEqual({ text: '{"a":1}', truncated: false, bytes: 7 });
  });

  test('cuts a body over the limit at the limit, marks it truncated and stops reading', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1000, 'x'));
      },
    });
    const read = await readLimited(endless, 2500);
    expect(read).toEqual({ text: 'x'.repeat(2500), truncated: true, bytes: 2500 });
    expect(endless.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

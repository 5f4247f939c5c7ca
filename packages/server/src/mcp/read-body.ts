// A proxied response body as an agent gets it: text, at most `limit` bytes of it (the rest is
// never read: the stream is destroyed, so a huge answer costs no memory here).
import type { Readable } from 'node:stream';

export async function readLimited(body: Readable, limit: number): Promise<{ text: string; truncated: boolean; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (bytes + buffer.length > limit) {
      chunks.push(buffer.subarray(0, limit - bytes));
      bytes = limit;
      truncated = true;
      break;
    }
    chunks.push(buffer);
    bytes += buffer.length;
  }
  if (truncated) body.destroy();
  // A cut may split a UTF-8 sequence: the decoder replaces the torn end, never throws.
  return { text: Buffer.concat(chunks).toString('utf8'), truncated, bytes };
}

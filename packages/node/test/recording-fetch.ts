// A real fetch that also notes every request, so tests can count HTTP calls the SDK makes.
import type { FetchLike } from '../src/index.js';

export interface RecordedRequest {
  method: string;
  url: URL;
  authorization: string | null;
}

export function recordingFetch(): { fetch: FetchLike; requests: RecordedRequest[]; to(pathPart: string): RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const recording: FetchLike = (input, init) => {
    requests.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      authorization: new Headers(init?.headers).get('authorization'),
    });
    return fetch(input, init);
  };
  return { fetch: recording, requests, to: (part) => requests.filter((r) => r.url.pathname.includes(part)) };
}

// Shared test set-up: one backend per test file, and SDK clients whose HTTP calls are
// recorded by a real fetch wrapper, so tests count requests without peeking into the
// backend — which keeps them valid against any backend (./backend.ts).
import { afterAll, beforeAll } from 'vitest';
import { Grantkeeper, type FetchLike, type GrantkeeperOptions } from '../src/index.js';
import { startBackend, type Backend } from './backend.js';

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

export interface TestEnv {
  /** The running backend (set in beforeAll). */
  readonly backend: Backend;
  /** A fresh SDK client (empty token cache) with its own request log. */
  client(options?: Partial<GrantkeeperOptions>): {
    gk: Grantkeeper;
    recorder: ReturnType<typeof recordingFetch>;
    tokenRequests(): RecordedRequest[];
    restCalls(): RecordedRequest[];
  };
}

/** Starts the backend before this file's tests and stops it after. */
export function useBackend(): TestEnv {
  let backend: Backend | undefined;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });
  const env: TestEnv = {
    get backend() {
      if (!backend) throw new Error('backend not started yet');
      return backend;
    },
    client(options = {}) {
      const recorder = recordingFetch();
      const gk = new Grantkeeper({ baseUrl: env.backend.baseUrl, secretKey: env.backend.secretKey, fetch: recorder.fetch, ...options });
      return {
        gk,
        recorder,
        tokenRequests: () => recorder.to('/token'),
        restCalls: () => recorder.requests.filter((r) => r.url.pathname.startsWith('/services/data/')),
      };
    },
  };
  return env;
}

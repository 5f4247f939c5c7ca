// Load generation with autocannon (keep-alive connections, pipelining 1), cycling through
// a list of paths.
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

export async function load(url: string, paths: string[], options: { connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationS,
    headers: options.headers ?? {},
    requests: [
      {
        setupRequest: (req: any) => {
          req.path = paths[i++ % paths.length];
          return req;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

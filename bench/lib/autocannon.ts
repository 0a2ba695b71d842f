import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

/** One autocannon run: where, as whom, how hard, and its bounds. */
export interface CannonOptions {
  url: string;
  headers?: Record<string, string>;
  /** Concurrent connections (-c). */
  connections: number;
  /** Requests in flight per connection (-p); 1 = no pipelining. */
  pipelining: number;
  /** Length of the run in seconds (-d). */
  seconds: number;
  /** At most this many requests (-O): the run ends at whichever bound comes first. */
  maxRequests: number;
  /** Worker threads (-w); 0 = autocannon's single thread. */
  workers: number;
  /** A fixed offered load over all connections (-R), requests per second; omitted: as fast as answers come. */
  overallRate?: number;
}

export interface CannonResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in ms (autocannon records whole milliseconds). */
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/**
 * Runs autocannon (its CLI, `--json`) in a child process of its own under this Node, so the load
 * generator shares no event loop with the bench or with any server. Bounded by `seconds` and
 * `maxRequests`; the child is killed if it has not finished 30 s after its own time bound.
 */
export async function runCannon(opts: CannonOptions): Promise<CannonResult> {
  const args = [
    autocannonBin,
    '--json',
    '--no-progress',
    '-c', String(opts.connections),
    '-p', String(opts.pipelining),
    '-d', String(opts.seconds),
    '-O', String(opts.maxRequests),
    ...(opts.workers > 0 ? ['-w', String(opts.workers)] : []),
    ...(opts.overallRate ? ['-R', String(opts.overallRate)] : []),
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    opts.url,
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    timeout: (opts.seconds + 30) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    latency: { p50: number; p99: number };
    requests: { total: number };
  };
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: Math.round(r.requests.total / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

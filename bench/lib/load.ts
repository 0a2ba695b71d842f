import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** A bounded HTTP load loop: at most `requests` requests and `maxSeconds` seconds, `concurrency` at a time. */
export interface LoadOptions {
  requests: number;
  concurrency: number;
  maxSeconds: number;
  /** Builds the i-th request; returns the URL and init for fetch. */
  request: (i: number) => { url: string; init?: RequestInit };
  /** Which statuses count as success; others are tallied as errors. */
  ok?: (status: number) => boolean;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Calls `task(0)`, `task(1)`, ... `concurrency` at a time, until `count` calls or `maxSeconds`
 * have passed; returns each call's latency in ms (unsorted) and the elapsed seconds.
 */
export async function runBounded(opts: {
  count: number;
  concurrency: number;
  maxSeconds: number;
  task: (i: number) => Promise<void>;
}): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;
  async function worker() {
    while (next < opts.count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      await opts.task(i);
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Sorts `latencies` and returns the p-th percentile (0..1), rounded. */
export function percentile(latencies: number[], p: number): number {
  latencies.sort((a, b) => a - b);
  return round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const ok = opts.ok ?? ((s) => s < 400);
  let errors = 0;
  const { latencies, seconds } = await runBounded({
    count: opts.requests,
    concurrency: opts.concurrency,
    maxSeconds: opts.maxSeconds,
    task: async (i) => {
      const { url, init } = opts.request(i);
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (!ok(res.status)) errors++;
      } catch {
        errors++;
      }
    },
  });
  return {
    requests: latencies.length,
    errors,
    seconds: round(seconds),
    rps: round(latencies.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Runs a load script (`bench/lib/*-process.ts`) in a child process with `options` as its JSON
 * argument, and parses the JSON it prints: the server under test keeps its event loop and CPU to
 * itself, as it would behind real clients. Killed 30 s after the options' own time bound.
 */
export async function runInChild<T>(script: string, options: { maxSeconds: number }): Promise<T> {
  const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', [script, JSON.stringify(options)], {
    timeout: (options.maxSeconds + 30) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

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

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const ok = opts.ok ?? ((s) => s < 400);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;
  async function worker() {
    while (next < opts.requests && performance.now() < deadline) {
      const i = next++;
      const { url, init } = opts.request(i);
      const t0 = performance.now();
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (!ok(res.status)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return { requests: latencies.length, errors, seconds: round(seconds), rps: round(latencies.length / seconds), p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

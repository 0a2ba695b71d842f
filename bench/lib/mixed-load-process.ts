import { percentile, round, runBounded } from './load.ts';
import { mixedRequest, type MixedKind, type MixedPlan } from './mixed-plan.ts';

/**
 * The mixed load loop in a process of its own (spawned by the mixed scenario), so that the load
 * generator's CPU is not taken from the server it measures. Reads a MixedPlan (JSON) from argv[2],
 * prints a MixedLoadResult (JSON) on stdout. Bounded by the plan's request count and seconds.
 */
const plan = JSON.parse(process.argv[2] ?? '{}') as MixedPlan;
const byKind = new Map<MixedKind, { latencies: number[]; errors: number; statuses: Record<string, number> }>();

const { latencies, seconds } = await runBounded({
  count: plan.requests,
  concurrency: plan.concurrency,
  maxSeconds: plan.maxSeconds,
  task: async (i) => {
    const { kind, url, init } = mixedRequest(plan, i);
    let stats = byKind.get(kind);
    if (!stats) byKind.set(kind, (stats = { latencies: [], errors: 0, statuses: {} }));
    const t0 = performance.now();
    let status = 'network error';
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      status = String(res.status);
    } catch {
      // counted below
    }
    stats.latencies.push(performance.now() - t0);
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (!/^[23]/.test(status)) stats.errors++;
  },
});

const kinds = Object.fromEntries(
  [...byKind].map(([kind, s]) => [kind, { requests: s.latencies.length, errors: s.errors, statuses: s.statuses, p50Ms: percentile(s.latencies, 0.5), p99Ms: percentile(s.latencies, 0.99) }]),
);
process.stdout.write(
  JSON.stringify({
    requests: latencies.length,
    errors: Object.values(kinds).reduce((n, k) => n + k.errors, 0),
    seconds: round(seconds),
    rps: round(latencies.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    kinds,
  }),
);

import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createLimiter } from '../../server/features/ratelimit/ratelimit.limiter.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { percentile, round, runBounded } from '../lib/load.ts';
import type { BenchScenario } from '../run.ts';

/** Allows or refuses one request for an identity. */
type Decide = (identity: string) => Promise<boolean>;

interface Side {
  name: string;
  /** A fresh limiter (its own keys) of `limit` per `windowMs`. */
  build(limit: number, windowMs: number): Decide;
}

let run = 0;
const ROUNDS = 7;
const freshPrefix = () => `bench:rl:${Date.now()}:${++run}:`;

/**
 * Ours: the sliding-window log (server/redis/scripts/sliding-window.lua) through the typed limiter,
 * as the app builds it: held refusals on (a refused identity's next requests are refused in process
 * until a unit can have freed), the default 200 ms decision timeout.
 */
function slidingWindow(redis: Redis): Side {
  return {
    name: 'sliding-window',
    build(limit, windowMs) {
      const limiter = createLimiter({ redis, keys: createKeys(freshPrefix()), policy: { name: 'bench', windows: [{ limit, windowMs }] } });
      return async (identity) => (await limiter.limit(identity)).allowed;
    },
  };
}

/**
 * rate-limiter-flexible's RateLimiterRedis: a fixed window (SET NX EX + INCRBY + PTTL in one Lua
 * call), as a user gets it with `points` and `duration` and every other option at its default.
 * `inMemoryBlock` sets its `inMemoryBlockOnConsumed` to the limit: once a window is used up, the key
 * is refused in process until the window ends, its counterpart to our held refusals (off by default).
 */
function rateLimiterFlexible(redis: Redis, inMemoryBlock = false): Side {
  return {
    name: inMemoryBlock ? 'rate-limiter-flexible-in-memory-block' : 'rate-limiter-flexible',
    build(limit, windowMs) {
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: freshPrefix(),
        points: limit,
        duration: windowMs / 1000,
        ...(inMemoryBlock && { inMemoryBlockOnConsumed: limit }),
      });
      return (identity) =>
        limiter.consume(identity).then(
          () => true,
          (err: unknown) => {
            if (err instanceof RateLimiterRes) return false; // refused
            throw err;
          },
        );
    },
  };
}

const identities = (n: number) => Array.from({ length: n }, (_, i) => `ip:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);

/** Seconds of CPU redis-server has used so far (INFO cpu), to charge each run its server time. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Script calls (EVALSHA) Redis has run so far: what a decision answered in process saves. */
async function scriptCalls(redis: Redis): Promise<number> {
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

/**
 * `settings.requests` decisions over `who` (round robin), `settings.concurrency` at a time. Besides
 * the rate, the CPU each decision cost in this process and in redis-server: unlike the rate, that
 * does not depend on what else the machine is running.
 */
async function measure(decide: Decide, who: string[], settings: { requests: number; concurrency: number; maxSeconds: number }, probe: Redis) {
  let allowed = 0;
  const [serverBefore, callsBefore] = [await redisCpuSeconds(probe), await scriptCalls(probe)];
  const clientBefore = process.cpuUsage();
  const { latencies, seconds } = await runBounded({
    count: settings.requests,
    concurrency: settings.concurrency,
    maxSeconds: settings.maxSeconds,
    task: async (i) => {
      if (await decide(who[i % who.length]!)) allowed++;
    },
  });
  const client = process.cpuUsage(clientBefore);
  const server = (await redisCpuSeconds(probe)) - serverBefore;
  const calls = (await scriptCalls(probe)) - callsBefore;
  const decisions = latencies.length;
  return {
    decisions,
    allowed,
    perSecond: round(decisions / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    clientCpuUsPerDecision: round((client.user + client.system) / decisions),
    serverCpuUsPerDecision: round((server * 1e6) / decisions),
    redisCallsPerDecision: round(calls / decisions, 3),
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;
const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const median = (runs: Measured[], field: keyof Measured) => middle(runs.map((m) => m[field]));

/**
 * The fixed window's 2x burst, shown on both at 50 per second: one request opens the window, a
 * burst of 50 comes just before the second ends and another just after. Any one second may hold
 * 50; the two bursts are a fraction of a second apart.
 */
async function edgeBurst(side: Side) {
  const limit = 50;
  const decide = side.build(limit, 1000);
  const burst = async () => (await Promise.all(Array.from({ length: limit }, () => decide('ip:edge')))).filter(Boolean).length;
  const opened = performance.now();
  await decide('ip:edge');
  await new Promise((r) => setTimeout(r, 950 - (performance.now() - opened)));
  const started = performance.now();
  const before = await burst();
  // Just after a fixed window opened by the first request has expired.
  await new Promise((r) => setTimeout(r, Math.max(0, opened + 1010 - performance.now())));
  const after = await burst();
  return { allowedInBursts: before + after, burstsSpanMs: Math.round(performance.now() - started) };
}

/**
 * Decisions per second of our limiter and RateLimiterRedis (at its defaults, and with its in-memory
 * block) on the same Redis, at the same concurrency, each side on its own connection configured alike.
 */
export const rateLimitScenario: BenchScenario = {
  name: 'ratelimit',
  async run({ redisUrl, settings }) {
    const logger = createLogger('silent');
    // One connection per side, configured alike (auto-pipelining on, 5 s command timeout).
    const connections = Array.from({ length: 3 }, () => createRedis({ url: redisUrl, commandTimeoutMs: 5000, logger }));
    await Promise.all(connections.map((c) => c.connect()));
    const sides = [slidingWindow(connections[0]!), rateLimiterFlexible(connections[1]!), rateLimiterFlexible(connections[2]!, true)];
    const ours = sides[0]!;
    const probe = connections[0]!;
    try {
      const workloads = {
        // 100 identities x 200 decisions at 100 per minute: half allowed, half refused.
        mixed: { who: identities(Math.max(1, Math.round(settings.requests / 200))), limit: 100 },
        // Every decision allowed: 1,000 identities far under their limit.
        underLimit: { who: identities(1000), limit: settings.requests },
      };
      for (const side of sides) await measure(side.build(100, 60_000), identities(100), { ...settings, requests: 2000 }, probe); // warm-up
      const results: Record<string, Record<string, unknown>> = {};
      const ratios: Record<string, number> = {};
      for (const [name, { who, limit }] of Object.entries(workloads)) {
        // Rounds interleave the sides, each on fresh keys, starting with a different side each
        // round; medians of the rounds are reported.
        const runs = new Map<Side, Measured[]>(sides.map((side) => [side, []]));
        for (let r = 0; r < ROUNDS; r++) {
          for (let k = 0; k < sides.length; k++) {
            const side = sides[(r + k) % sides.length]!;
            runs.get(side)!.push(await measure(side.build(limit, 60_000), who, settings, probe));
          }
        }
        const summary = (of: Measured[]) => ({
          perSecond: median(of, 'perSecond'),
          allowed: median(of, 'allowed'),
          p50Ms: median(of, 'p50Ms'),
          p99Ms: median(of, 'p99Ms'),
          clientCpuUsPerDecision: median(of, 'clientCpuUsPerDecision'),
          serverCpuUsPerDecision: median(of, 'serverCpuUsPerDecision'),
          redisCallsPerDecision: median(of, 'redisCallsPerDecision'),
          perSecondByRound: of.map((m) => m.perSecond),
        });
        // Exact: every identity got exactly its limit (or every request, when under it).
        const expectedAllowed = Math.min(settings.requests, who.length * limit);
        results[name] = {
          identities: who.length,
          limitPerMinute: limit,
          expectedAllowed,
          slidingWindowExact: runs.get(ours)!.every((m) => m.decisions < settings.requests || m.allowed === expectedAllowed),
          ...Object.fromEntries(sides.map((side) => [side.name, summary(runs.get(side)!)])),
        };
        // Each ratio is the median of the rounds' own ratios: the two sides of one round ran
        // seconds apart, under much the same load from the rest of the machine.
        const cpu = (m: Measured) => m.clientCpuUsPerDecision + m.serverCpuUsPerDecision;
        const paired = (theirs: Side, ratio: (a: Measured, b: Measured) => number) =>
          middle(runs.get(ours)!.map((m, r) => ratio(m, runs.get(theirs)![r]!)));
        for (const theirs of sides.slice(1)) {
          ratios[`decisions per second, ${ours.name} / ${theirs.name} (${name})`] = paired(theirs, (a, b) => a.perSecond / b.perSecond);
          ratios[`CPU per decision, ${theirs.name} / ${ours.name} (${name})`] = paired(theirs, (a, b) => cpu(b) / cpu(a));
        }
      }
      results.edgeBurst = { limit: 50, windowMs: 1000 };
      for (const side of sides.slice(0, 2)) results.edgeBurst[side.name] = await edgeBurst(side);
      return { results, ratios };
    } finally {
      await Promise.all(connections.map(closeRedis));
    }
  },
};

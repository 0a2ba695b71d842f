import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createLimiter } from '../../server/features/ratelimit/limiter.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { percentile, round, runBounded } from '../lib/load.ts';
import type { BenchScenario } from '../lib/scenario.ts';

/** Allows or refuses one request for an identity. */
type Decide = ((identity: string) => Promise<boolean>) & {
  /** Decisions answered in process so far, without Redis (held refusals, in-memory block). */
  answeredInProcess?: () => number;
};

interface Side {
  name: string;
  /** A fresh limiter (its own keys) of `limit` per `windowMs`. */
  build(limit: number, windowMs: number): Decide;
}

let run = 0;
const ROUNDS = 7;
const freshPrefix = () => `bench:rl:${Date.now()}:${++run}:`;

/**
 * Ours: the sliding-window log (server/redis/scripts/preflight.lua) through the typed limiter,
 * as the app builds it: held refusals on (a refused identity's next requests are refused in process
 * until a unit can have freed), the default 200 ms decision timeout.
 */
function slidingWindow(redis: Redis): Side {
  return {
    name: 'sliding-window',
    build(limit, windowMs) {
      const limiter = createLimiter({ redis, keys: createKeys(freshPrefix()), policy: { name: 'bench', windows: [{ limit, windowMs }] } });
      const decide: Decide = async (identity) => (await limiter.limit(identity)).allowed;
      decide.answeredInProcess = () => limiter.refusedWithoutRedis;
      return decide;
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

/**
 * What redis-server has done so far, from one probe connection of its own: its CPU seconds (INFO
 * cpu: user + sys of the bench's private redis-server), the commands it ran (INFO commandstats,
 * those run inside scripts included, the probe's own INFO left out) and the script calls among them.
 */
async function redisCounters(probe: Redis): Promise<{ cpuSeconds: number; commands: number; scripts: number }> {
  const cpu = await probe.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  let commands = 0;
  let scripts = 0;
  for (const m of (await probe.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] === 'info') continue;
    commands += Number(m[2]);
    if (/^(eval|evalsha|eval_ro|evalsha_ro)$/.test(m[1]!)) scripts += Number(m[2]);
  }
  return { cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'), commands, scripts };
}

/**
 * `settings.requests` decisions over `who` (round robin), `settings.concurrency` at a time, so that
 * up to that many decisions wait on Redis together. Besides the rate, what each decision cost: CPU
 * in this process and in redis-server, Redis commands (those inside scripts counted), script calls,
 * and decisions per script call among those that reached Redis (the batch size).
 */
async function measure(decide: Decide, who: string[], settings: { requests: number; concurrency: number; maxSeconds: number }, probe: Redis) {
  let allowed = 0;
  const before = await redisCounters(probe);
  const inProcessBefore = decide.answeredInProcess?.() ?? 0;
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
  const after = await redisCounters(probe);
  const decisions = latencies.length;
  const scripts = after.scripts - before.scripts;
  // Ours knows which decisions it answered without Redis; for RateLimiterRedis, one script call is one decision.
  const reachedRedis = decide.answeredInProcess ? decisions - (decide.answeredInProcess() - inProcessBefore) : scripts;
  return {
    decisions,
    allowed,
    perSecond: round(decisions / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    clientCpuUsPerDecision: round((client.user + client.system) / decisions),
    serverCpuUsPerDecision: round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / decisions),
    commandsPerDecision: round((after.commands - before.commands) / decisions, 3),
    redisCallsPerDecision: round(scripts / decisions, 3),
    decisionsPerCall: round(scripts > 0 ? reachedRedis / scripts : 0, 1),
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

/** One line per workload and side: the medians the report's JSON holds, for the terminal. */
function table(results: Record<string, Record<string, unknown>>, names: string[]): string {
  const lines = ['workload          side                                   decisions/s  Redis us/dec  cmds/dec  calls/dec  dec/call  allowed'];
  for (const [workload, r] of Object.entries(results)) {
    if (workload === 'edgeBurst') continue;
    for (const name of names) {
      const m = r[name] as Record<string, number>;
      lines.push(
        `${workload.padEnd(17)} ${name.padEnd(38)} ${String(m.perSecond).padStart(11)}  ${String(m.serverCpuUsPerDecision).padStart(12)}  ${String(m.commandsPerDecision).padStart(8)}  ${String(m.redisCallsPerDecision).padStart(9)}  ${String(m.decisionsPerCall).padStart(8)}  ${String(m.allowed).padStart(7)}`,
      );
    }
  }
  lines.push(`edgeBurst: ${JSON.stringify(results.edgeBurst)}`);
  return lines.join('\n');
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
    // INFO goes through a connection of its own, outside every side's pipeline.
    const probe = createRedis({ url: redisUrl, commandTimeoutMs: 5000, logger });
    await Promise.all([...connections, probe].map((c) => c.connect()));
    const sides = [slidingWindow(connections[0]!), rateLimiterFlexible(connections[1]!), rateLimiterFlexible(connections[2]!, true)];
    const ours = sides[0]!;
    try {
      const half = Math.max(1, Math.round(settings.requests / 2));
      const workloads = {
        // Every decision allowed: 1,000 identities far under their limit.
        allowedMany: { who: identities(1000), limit: settings.requests },
        // Every decision allowed, all for one identity.
        allowedHot: { who: identities(1), limit: settings.requests },
        // 100 identities x 200 decisions at 100 per minute: half allowed, half refused.
        halfRefusedMany: { who: identities(Math.max(1, Math.round(settings.requests / 200))), limit: 100 },
        // One identity, its limit half the decisions: the first half allowed, the rest refused.
        halfRefusedHot: { who: identities(1), limit: half },
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
          commandsPerDecision: median(of, 'commandsPerDecision'),
          redisCallsPerDecision: median(of, 'redisCallsPerDecision'),
          decisionsPerCall: median(of, 'decisionsPerCall'),
          perSecondByRound: of.map((m) => m.perSecond),
          serverCpuUsPerDecisionByRound: of.map((m) => m.serverCpuUsPerDecision),
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
          round(middle(runs.get(ours)!.map((m, r) => ratio(m, runs.get(theirs)![r]!))), 3);
        for (const theirs of sides.slice(1)) {
          ratios[`decisions per second, ${ours.name} / ${theirs.name} (${name})`] = paired(theirs, (a, b) => a.perSecond / b.perSecond);
          ratios[`Redis CPU per decision, ${theirs.name} / ${ours.name} (${name})`] = paired(theirs, (a, b) => b.serverCpuUsPerDecision / a.serverCpuUsPerDecision);
          ratios[`CPU per decision (bench process + Redis), ${theirs.name} / ${ours.name} (${name})`] = paired(theirs, (a, b) => cpu(b) / cpu(a));
        }
      }
      results.edgeBurst = { limit: 50, windowMs: 1000 };
      for (const side of sides.slice(0, 2)) results.edgeBurst[side.name] = await edgeBurst(side);
      return { results, ratios, table: table(results, sides.map((side) => side.name)) };
    } finally {
      await Promise.all([...connections, probe].map(closeRedis));
    }
  },
};

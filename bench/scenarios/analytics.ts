import { Redis } from 'ioredis';
import type { AppEvent } from '../../shared/events.ts';
import { createEventProcessor } from '../../server/features/analytics/event-processor.ts';
import { createStreamConsumer } from '../../server/features/analytics/stream-consumer.ts';
import { hourOf } from '../../server/features/analytics/calendar.ts';
import { createLogger } from '../../server/logger.ts';
import { createKeys, type Keys } from '../../server/redis/keys.ts';
import { closeRedis, createRedis, createSubscriber } from '../../server/redis/client.ts';
import { round, runLoad } from '../lib/load.ts';
import type { BenchScenario } from '../lib/scenario.ts';

const EVENTS = 10_000; // the stream's MAXLEN: a backlog the producer's cap keeps whole
const BATCH = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const logger = createLogger('silent');

function sampleEvents(count: number): AppEvent[] {
  return Array.from({ length: count }, (_, i): AppEvent => {
    const userId = (i % 500) + 1;
    switch (i % 4) {
      case 0:
        return { type: 'user.login', userId };
      case 1:
        return { type: 'post.created', postId: i + 1, authorId: userId, title: `Post ${i}` };
      case 2:
        return { type: 'post.updated', postId: i + 1, authorId: userId, title: `Post ${i}` };
      default:
        return { type: 'post.viewed', postId: i + 1, authorId: userId, views: 1 };
    }
  });
}

async function preload(redis: Redis, keys: Keys): Promise<void> {
  const pipeline = redis.pipeline();
  for (const e of sampleEvents(EVENTS)) pipeline.xadd(keys.events(), 'MAXLEN', '~', 10_000, '*', 'type', e.type, 'data', JSON.stringify(e));
  await pipeline.exec();
  await redis.xgroup('CREATE', keys.events(), 'analytics', '0');
}

interface RunFigures {
  eventsPerSecond: number;
  /** CPU time per event, in microseconds: this process (the consumer) and redis-server. */
  clientCpuUs: number;
  redisCpuUs: number;
}

/** redis-server's CPU time so far (user + system), in microseconds, from INFO cpu. */
async function redisCpuUs(probe: Redis): Promise<number> {
  const info = await probe.info('cpu');
  const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

/** Runs a consumer over the preloaded backlog; `run` resolves with the events it handled. */
async function measured(probe: Redis, run: () => Promise<number>): Promise<RunFigures> {
  const cpu = process.cpuUsage();
  const redisBefore = await redisCpuUs(probe);
  const started = performance.now();
  const events = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    eventsPerSecond: events / seconds,
    clientCpuUs: (used.user + used.system) / events,
    redisCpuUs: ((await redisCpuUs(probe)) - redisBefore) / events,
  };
}

async function untilCounted(count: () => number, target: number): Promise<void> {
  const started = performance.now();
  while (count() < target) {
    if (performance.now() - started > 60_000) throw new Error(`bench analytics: ${count()} of ${target} after 60 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The app's worker: activity (an idempotent script per entry), then count + XACK (one script per batch). */
async function exactlyOnceRun(redis: Redis, probe: Redis, keys: Keys): Promise<RunFigures> {
  await preload(redis, keys);
  const processor = createEventProcessor({ redis, keys, group: 'analytics', logger });
  const worker = createStreamConsumer({
    name: 'bench',
    redis,
    openBlockingConnection: () => createSubscriber(redis, logger, 'bench:analytics'),
    stream: keys.events(),
    group: 'analytics',
    consumer: 'bench',
    batchSize: BATCH,
    claimMinIdleMs: 60_000,
    logger,
    handle: processor.handle,
  });
  const figures = await measured(probe, async () => {
    worker.start();
    await untilCounted(() => processor.stats().counted, EVENTS);
    return EVENTS;
  });
  await worker.stop();
  return figures;
}

/**
 * The usual at-least-once consumer doing the same writes, for comparison: XREADGROUP a batch, then
 * in one pipeline HINCRBY per entry, LPUSH + LTRIM + PEXPIRE of the actor's activity list, and one
 * XACK for the batch. A crash between the read and the pipeline counts the batch twice (and writes
 * its activity twice).
 */
async function atLeastOnceRun(redis: Redis, probe: Redis, keys: Keys): Promise<RunFigures> {
  await preload(redis, keys);
  const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  await reader.ping();
  async function consume(): Promise<number> {
    let counted = 0;
    for (;;) {
      const reply = (await reader.xreadgroup('GROUP', 'analytics', 'naive', 'COUNT', BATCH, 'STREAMS', keys.events(), '>')) as
        | [string, [string, string[]][]][]
        | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return counted;
      const pipeline = redis.pipeline();
      for (const [id, fields] of entries) {
        const event = JSON.parse(fields[3]!) as AppEvent;
        pipeline.hincrby(keys.eventCounts(hourOf(Number(id.split('-')[0]))), event.type, 1);
        const actor = event.type === 'user.login' ? event.userId : event.type === 'post.viewed' || event.type === 'trending.changed' ? null : event.authorId;
        if (actor !== null) {
          const list = keys.activity(actor);
          pipeline.lpush(list, JSON.stringify({ id, type: event.type })).ltrim(list, 0, 99).pexpire(list, 30 * 86_400_000);
        }
      }
      pipeline.xack(keys.events(), 'analytics', ...entries.map(([id]) => id));
      await pipeline.exec();
      counted += entries.length;
    }
  }
  const figures = await measured(probe, consume);
  reader.disconnect();
  return figures;
}

/** Commands Redis executed, by name, from INFO commandstats. */
async function commandStats(probe: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await probe.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}

/**
 * Analytics: how fast the stream worker counts a backlog (and writes activity) exactly once,
 * against an at-least-once consumer doing the same writes on the same Redis (alternating rounds,
 * medians); what a view and an authenticated request add to Redis.
 */
export const analyticsScenario: BenchScenario = {
  name: 'analytics',
  async run({ redisUrl, buildApp, serve, settings }) {
    const redis = createRedis({ url: redisUrl, commandTimeoutMs: 5000, logger });
    await redis.connect();
    const probe = new Redis(redisUrl);
    try {
      // A warm-up of each (JIT, script loading), then alternating rounds: a shared machine drifts.
      const exactly: RunFigures[] = [];
      const atLeast: RunFigures[] = [];
      for (let round = 0; round <= 5; round++) {
        const a = await exactlyOnceRun(redis, probe, createKeys(`bench:a${round}:${Date.now()}:`));
        const b = await atLeastOnceRun(redis, probe, createKeys(`bench:b${round}:${Date.now()}:`));
        if (round === 0) continue;
        exactly.push(a);
        atLeast.push(b);
      }

      // Per view: the unique-visitor writes appended to the caller's pipeline.
      const built = await buildApp();
      const views = 2000;
      const before = await commandStats(probe);
      for (let i = 0; i < views; i += 100) {
        const pipeline = built.deps.redis.pipeline();
        for (let j = i; j < i + 100; j++) built.services.analytics.appendView(pipeline, { postId: 1, session: { userId: j + 1 }, clientIp: '', userAgent: '' });
        await pipeline.exec();
      }
      const after = await commandStats(probe);
      const perView = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / views;

      // Per authenticated request: SETBIT once per user and day, whatever the number of requests.
      const server = await serve(built.app.fetch);
      let setbitsPerRequest = 0;
      let requests = 0;
      try {
        await fetch(`${server.url}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'bench@example.com', password: 'bench password' }),
        });
        const login = await fetch(`${server.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'bench@example.com', password: 'bench password' }),
        });
        const { sessionId } = (await login.json()) as { sessionId: string };
        const setbits = async () => (await commandStats(probe)).get('setbit') ?? 0;
        const first = await setbits();
        const load = await runLoad({
          ...settings,
          requests: Math.min(settings.requests, 5000),
          request: () => ({ url: `${server.url}/auth/me`, init: { headers: { authorization: `Bearer ${sessionId}` } } }),
        });
        requests = load.requests;
        setbitsPerRequest = ((await setbits()) - first) / load.requests;
      } finally {
        await server.close();
        await built.close();
      }

      const summary = (runs: RunFigures[]) => ({
        eventsPerSecond: runs.map((r) => Math.round(r.eventsPerSecond)),
        medianEventsPerSecond: Math.round(median(runs.map((r) => r.eventsPerSecond))),
        medianClientCpuUsPerEvent: round(median(runs.map((r) => r.clientCpuUs))),
        medianRedisCpuUsPerEvent: round(median(runs.map((r) => r.redisCpuUs))),
      });
      const exactlyOnce = summary(exactly);
      const atLeastOnce = summary(atLeast);
      return {
        results: {
          eventsPerRound: EVENTS,
          batch: BATCH,
          exactlyOnce,
          atLeastOnce,
          perView: { pfadd: round(perView('pfadd'), 3), pexpire: round(perView('pexpire'), 3), extraRoundTrips: 0 },
          perAuthenticatedRequest: { requests, setbit: round(setbitsPerRequest, 5) },
        },
        ratios: {
          'exactly-once worker / at-least-once consumer, same writes (events/s)': exactlyOnce.medianEventsPerSecond / atLeastOnce.medianEventsPerSecond,
          'CPU per event, exactly-once / at-least-once (client + redis-server)':
            (exactlyOnce.medianClientCpuUsPerEvent + exactlyOnce.medianRedisCpuUsPerEvent) /
            (atLeastOnce.medianClientCpuUsPerEvent + atLeastOnce.medianRedisCpuUsPerEvent),
        },
      };
    } finally {
      probe.disconnect();
      await closeRedis(redis);
    }
  },
};

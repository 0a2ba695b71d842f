import { Redis } from 'ioredis';
import type { AppEvent } from '../../shared/events.ts';
import { createEventProcessor } from '../../server/features/analytics/event-processor.ts';
import { createStreamConsumer } from '../../server/features/analytics/stream-consumer.ts';
import { hourOf } from '../../server/features/analytics/calendar.ts';
import { createLogger } from '../../server/logger.ts';
import { createKeys, type Keys } from '../../server/redis/keys.ts';
import { closeRedis, createRedis, createSubscriber } from '../../server/redis/client.ts';
import { round, runLoad } from '../lib/load.ts';
import type { BenchScenario } from '../run.ts';

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
        return { type: 'post.viewed', postId: i + 1, authorId: userId };
    }
  });
}

async function preload(redis: Redis, keys: Keys): Promise<void> {
  const pipeline = redis.pipeline();
  for (const e of sampleEvents(EVENTS)) pipeline.xadd(keys.events(), 'MAXLEN', '~', 10_000, '*', 'type', e.type, 'data', JSON.stringify(e));
  await pipeline.exec();
  await redis.xgroup('CREATE', keys.events(), 'analytics', '0');
}

async function untilCounted(count: () => number, target: number, started: number): Promise<number> {
  while (count() < target) {
    if (performance.now() - started > 60_000) throw new Error(`bench analytics: ${count()} of ${target} after 60 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return (performance.now() - started) / 1000;
}

/** The app's worker: activity (an idempotent script per entry), then count + XACK (one script per batch). */
async function exactlyOnceRun(redis: Redis, keys: Keys): Promise<number> {
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
  const started = performance.now();
  worker.start();
  const seconds = await untilCounted(() => processor.stats().counted, EVENTS, started);
  await worker.stop();
  return EVENTS / seconds;
}

/**
 * The usual at-least-once consumer doing the same writes, for comparison: XREADGROUP a batch, then
 * in one pipeline HINCRBY per entry, LPUSH + LTRIM + PEXPIRE of the actor's activity list, and one
 * XACK for the batch. A crash between the read and the pipeline counts the batch twice (and writes
 * its activity twice).
 */
async function atLeastOnceRun(redis: Redis, keys: Keys): Promise<number> {
  await preload(redis, keys);
  const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  let counted = 0;
  const started = performance.now();
  for (;;) {
    const reply = (await reader.xreadgroup('GROUP', 'analytics', 'naive', 'COUNT', BATCH, 'STREAMS', keys.events(), '>')) as
      | [string, [string, string[]][]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
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
  const seconds = (performance.now() - started) / 1000;
  reader.disconnect();
  return counted / seconds;
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
      const exactly: number[] = [];
      const atLeast: number[] = [];
      for (let round = 0; round <= 5; round++) {
        const a = await exactlyOnceRun(redis, createKeys(`bench:a${round}:${Date.now()}:`));
        const b = await atLeastOnceRun(redis, createKeys(`bench:b${round}:${Date.now()}:`));
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

      const exactlyOnce = median(exactly);
      const atLeastOnce = median(atLeast);
      return {
        results: {
          eventsPerRound: EVENTS,
          batch: BATCH,
          exactlyOnceEventsPerSecond: exactly.map((x) => Math.round(x)),
          atLeastOnceEventsPerSecond: atLeast.map((x) => Math.round(x)),
          perView: { pfadd: round(perView('pfadd'), 3), pexpire: round(perView('pexpire'), 3), extraRoundTrips: 0 },
          perAuthenticatedRequest: { requests, setbit: round(setbitsPerRequest, 5) },
        },
        ratios: { 'exactly-once worker / at-least-once consumer, same writes (events/s)': exactlyOnce / atLeastOnce },
      };
    } finally {
      probe.disconnect();
      await closeRedis(redis);
    }
  },
};

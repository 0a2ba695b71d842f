import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANALYTICS_GROUP } from '../../server/features/analytics/analytics.service.ts';
import { lastHours } from '../../server/features/analytics/calendar.ts';
import { createEventProcessor } from '../../server/features/analytics/event-processor.ts';
import { createTestApp, createTestDb, testPrefix, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { waitFor } from '../helpers/wait.ts';
import { countsByType, pendingCount, produce, sampleEvents, tally } from './helpers.ts';

// The event stream's consumer group: XREADGROUP, XACK, XAUTOCLAIM, per-hour counts exactly once.
const apps: TestApp[] = [];
const raw: Redis[] = [];
// One SQL store for the file (the worker never touches it): a PGlite takes seconds to start on a busy machine.
let db: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const r of raw.splice(0)) r.disconnect();
});

async function app(prefix: string, env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestApp({ db, env: { REDIS_KEY_PREFIX: prefix, ANALYTICS_CLAIM_MIN_IDLE_MS: '200', ANALYTICS_STREAM_BATCH: '50', ...env } });
  apps.push(t);
  return t;
}

function connection(t: TestApp): Redis {
  const r = new Redis(t.config.REDIS_URL!);
  raw.push(r);
  return r;
}

const recentCounts = (t: TestApp) => countsByType(t.redis, t.deps.keys, lastHours(Date.now(), 3));

/** A consumer that takes entries (XREADGROUP) and never acknowledges them, like a worker killed mid-batch. */
async function takeWithoutAck(r: Redis, t: TestApp, consumer: string, count: number): Promise<string[]> {
  await r.xgroup('CREATE', t.deps.keys.events(), ANALYTICS_GROUP, '0', 'MKSTREAM').catch(() => {});
  const reply = (await r.xreadgroup('GROUP', ANALYTICS_GROUP, consumer, 'COUNT', count, 'STREAMS', t.deps.keys.events(), '>')) as [string, [string, string[]][]][];
  return reply[0]![1].map(([id]) => id);
}

async function drained(t: TestApp): Promise<boolean> {
  const groups = (await t.redis.xinfo('GROUPS', t.deps.keys.events())) as unknown[][];
  const info = groups.map((g) => Object.fromEntries(g.flatMap((v, i) => (i % 2 ? [] : [[String(v), g[i + 1]]])))).find((g) => g.name === ANALYTICS_GROUP);
  return info !== undefined && Number(info.pending) === 0 && Number(info.lag) === 0;
}

describe('analytics stream worker', () => {
  it('counts every event once in the hour of its stream id, invalid entries as `invalid`, and acknowledges them all', async () => {
    const t = await app(testPrefix());
    const events = sampleEvents(1000);
    await produce(t.redis, t.deps.keys, events);
    const stream = t.deps.keys.events();
    await t.redis.xadd(stream, '*', 'type', 'post.created', 'data', 'not json');
    await t.redis.xadd(stream, '*', 'type', 'post.created', 'data', JSON.stringify({ type: 'user.login', userId: 1 }));
    await t.redis.xadd(stream, '*', 'type', 'mystery', 'data', JSON.stringify({ type: 'mystery' }));

    t.services.analytics.worker.start();
    await waitFor(() => drained(t), { timeoutMs: 20_000, what: 'the stream is drained' });
    expect(await recentCounts(t)).toEqual({ ...tally(events), invalid: 3 });
    expect(await pendingCount(t.redis, t.deps.keys)).toBe(0);
    expect(t.services.analytics.stats().events).toEqual({ counted: 1003, alreadyCounted: 0, invalid: 3 });
    const hourKey = t.deps.keys.eventCounts(lastHours(Date.now(), 1)[0]!);
    expect(hourKey).toMatch(/\{events\}:per-hour:\d{4}-\d\d-\d\dT\d\d$/);
    expect(await t.redis.pttl(hourKey)).toBeGreaterThan(8 * 86_400_000 - 60_000);

    // Events per hour, as the admin figures show them.
    const site = await t.services.analytics.site();
    expect(site.eventsPerHour).toHaveLength(24);
    expect(site.eventsPerHour.reduce((n, h) => n + h.total, 0)).toBe(1003);
    expect(site.eventsPerHour.at(-1)!.hour).toBe(`${lastHours(Date.now(), 1)[0]}:00:00.000Z`);
  });

  it('counts each entry in the hour of its stream id, whatever the hour it is processed in', async () => {
    const t = await app(testPrefix());
    const stream = t.deps.keys.events();
    const at = (iso: string) => `${Date.parse(iso)}-0`;
    const login = JSON.stringify({ type: 'user.login', userId: 1 });
    for (const id of [at('2026-01-07T12:59:59.999Z'), at('2026-01-07T13:00:00.000Z'), at('2026-01-07T13:30:00.000Z')]) {
      await t.redis.xadd(stream, id, 'type', 'user.login', 'data', login);
    }
    t.services.analytics.worker.start();
    await waitFor(() => drained(t), { timeoutMs: 20_000, what: 'the stream is drained' });
    expect(await countsByType(t.redis, t.deps.keys, ['2026-01-07T12'])).toEqual({ 'user.login': 1 });
    expect(await countsByType(t.redis, t.deps.keys, ['2026-01-07T13'])).toEqual({ 'user.login': 2 });
    const items = (await t.services.analytics.myActivity(1, 10)).items;
    expect(items.map((i) => i.at)).toEqual(['2026-01-07T13:30:00.000Z', '2026-01-07T13:00:00.000Z', '2026-01-07T12:59:59.999Z']);
  });

  it('claims entries left unacknowledged by a consumer that died (XAUTOCLAIM) and counts each exactly once', async () => {
    const prefix = testPrefix();
    const t = await app(prefix);
    const events = sampleEvents(300);
    await produce(t.redis, t.deps.keys, events);
    const doomed = connection(t);
    const taken = await takeWithoutAck(doomed, t, 'doomed', 120);
    expect(taken).toHaveLength(120);
    doomed.disconnect(); // dies with 120 entries delivered and not acknowledged
    expect(await pendingCount(t.redis, t.deps.keys)).toBe(120);

    t.services.analytics.worker.start();
    await waitFor(() => drained(t), { timeoutMs: 20_000, what: 'the stream is drained' });
    expect(await recentCounts(t)).toEqual(tally(events));
    expect(t.services.analytics.stats().events).toMatchObject({ counted: 300, alreadyCounted: 0 });
    // The dead consumer has nothing left pending.
    const consumers = (await t.redis.xinfo('CONSUMERS', t.deps.keys.events(), ANALYTICS_GROUP)) as unknown[][];
    const doomedInfo = consumers.find((c) => c[1] === 'doomed')!;
    expect(doomedInfo[3]).toBe(0);
  });

  it('does not count twice an entry handled again after another consumer counted it (a slow consumer, not a dead one)', async () => {
    const t = await app(testPrefix());
    const events = sampleEvents(60);
    const ids = await produce(t.redis, t.deps.keys, events);
    const slow = connection(t);
    expect(await takeWithoutAck(slow, t, 'slow', 60)).toEqual(ids);

    // The slow consumer stalls past the idle time: the worker claims its entries and counts them.
    t.services.analytics.worker.start();
    await waitFor(() => drained(t), { timeoutMs: 20_000, what: 'the stream is drained' });
    const counted = await recentCounts(t);
    expect(counted).toEqual(tally(events));
    const activityBefore = await t.redis.lrange(t.deps.keys.activity(1), 0, -1);

    // Then it wakes up and processes the batch it had read, with the same code.
    const late = createEventProcessor({ redis: t.redis, keys: t.deps.keys, group: ANALYTICS_GROUP, logger: t.deps.logger });
    const batch = await t.redis.xrange(t.deps.keys.events(), '-', '+');
    await late.handle(batch.map(([id, flat]) => ({ id, fields: { [flat[0]!]: flat[1]!, [flat[2]!]: flat[3]! } })));
    expect(late.stats()).toEqual({ counted: 0, alreadyCounted: 60, invalid: 0 });
    expect(await recentCounts(t)).toEqual(counted);
    expect(await t.redis.lrange(t.deps.keys.activity(1), 0, -1)).toEqual(activityBefore);
  });

  it('stops promptly while blocked in XREADGROUP, and leaves the group without its consumer', async () => {
    // A private Redis, so that CLIENT LIST shows this app's blocked reader and nobody else's.
    const redis = await startProcessRedis();
    const t = await createTestApp({ db, redisUrl: redis.url, env: { ANALYTICS_CLAIM_MIN_IDLE_MS: '60000' } });
    try {
      const worker = t.services.analytics.worker;
      worker.start();
      const consumers = async () =>
        ((await t.redis.xinfo('CONSUMERS', t.deps.keys.events(), ANALYTICS_GROUP).catch(() => [])) as unknown[][]).map((c) => c[1]);
      /** The worker's reader connection (named blog-api:analytics) blocked in XREADGROUP. */
      const blocked = async () =>
        ((await t.redis.client('LIST')) as string)
          .split('\n')
          .some((line) => / name=blog-api:analytics /.test(line) && / flags=\S*b/.test(line) && / cmd=xreadgroup /.test(line));
      await produce(t.redis, t.deps.keys, sampleEvents(1));
      await waitFor(() => t.services.analytics.stats().events.counted === 1, { timeoutMs: 20_000, what: 'the worker has counted the event' });
      expect(await consumers()).toContain(worker.consumer);
      await waitFor(blocked, { what: 'the worker is blocked in XREADGROUP (for up to 2 s)' });
      const started = performance.now();
      await worker.stop();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(await consumers()).not.toContain(worker.consumer);

      // Nothing reads after stop(): a new event stays uncounted.
      await produce(t.redis, t.deps.keys, sampleEvents(1, 200, 1));
      await new Promise((r) => setTimeout(r, 200)); // nothing to wait for: time passes, and nothing may be counted
      expect(await recentCounts(t)).toEqual({ 'user.login': 1 });
    } finally {
      await t.close();
      await redis.stop();
    }
  });

  it('reports its backlog (pending + not yet delivered) as blog_api_worker_backlog_items{worker="analytics-stream"}', async () => {
    const t = await app(testPrefix());
    const backlog = async () => sample(await scrape(t.app), 'blog_api_worker_backlog_items', { worker: 'analytics-stream' });
    expect(await backlog()).toBeUndefined(); // no stream yet: no value rather than a made-up one
    await produce(t.redis, t.deps.keys, sampleEvents(5));
    await takeWithoutAck(connection(t), t, 'reader', 2);
    expect(await backlog()).toBe(5);
    t.services.analytics.worker.start();
    await waitFor(() => drained(t), { timeoutMs: 20_000, what: 'the stream is drained' });
    expect(await backlog()).toBe(0);
  });

  it('survives a Redis restart that lost the stream and the group: it backs off, creates the group again and counts', async () => {
    let redis = await startProcessRedis();
    const t = await createTestApp({ db, redisUrl: redis.url, env: { ANALYTICS_CLAIM_MIN_IDLE_MS: '200' } });
    try {
      t.services.analytics.worker.start();
      await produce(t.redis, t.deps.keys, sampleEvents(10));
      await waitFor(() => t.services.analytics.stats().events.counted === 10, { timeoutMs: 20_000, what: 'the first events are counted' });

      await redis.stop();
      await waitFor(() => t.logs.some((l) => l.includes('stream consumer failed; retrying')), { what: 'the worker has failed to reach Redis' });
      redis = await startProcessRedis({ port: redis.port }); // empty: no persistence
      await waitFor(() => t.redis.ping().then(() => true, () => false), { timeoutMs: 20_000, what: 'the app has reconnected' });
      const events = sampleEvents(10, 200, 10);
      await produce(t.redis, t.deps.keys, events);
      await waitFor(() => t.services.analytics.stats().events.counted === 20, { timeoutMs: 20_000, what: 'the new events are counted' });
      expect(await recentCounts(t)).toEqual(tally(events));
      expect(t.logs.filter((l) => l.includes('stream consumer failed; retrying'))).toHaveLength(1);
      expect(t.logs.some((l) => l.includes('stream consumer recovered'))).toBe(true);
    } finally {
      await t.close();
      await redis.stop();
    }
  });

  it('removes a consumer from the group only while nothing is pending for it', async () => {
    const t = await app(testPrefix());
    await produce(t.redis, t.deps.keys, sampleEvents(3));
    await takeWithoutAck(connection(t), t, 'holder', 3);
    await t.redis.xgroup('CREATECONSUMER', t.deps.keys.events(), ANALYTICS_GROUP, 'idle-one');
    expect(await t.redis.consumerForget(t.deps.keys.events(), ANALYTICS_GROUP, 'holder')).toBe(0);
    expect(await t.redis.consumerForget(t.deps.keys.events(), ANALYTICS_GROUP, 'idle-one')).toBe(1);
    expect(await pendingCount(t.redis, t.deps.keys)).toBe(3);
  });
});

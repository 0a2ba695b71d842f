import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../server/clock.ts';
import { visitorId, type ViewInput } from '../../server/features/analytics/unique-visitors.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { watchRedis } from '../helpers/monitor.ts';

// Unique visitors per post and day: HyperLogLog (PFADD / PFCOUNT), a 7-day union, its cache.
const DAY = 86_400_000;
const SECRET = 'test-visitor-secret-0123456789abcdef';
const clock = manualClock(Date.UTC(2026, 0, 7, 12));
let t: TestApp;

beforeAll(async () => {
  // Pipelines of 16,000 PFADDs: on a busy machine they outlast the default 1 s command timeout.
  t = await createTestApp({ clock, env: { ANALYTICS_VISITOR_SECRET: SECRET, REDIS_COMMAND_TIMEOUT_MS: '20000' } });
});
afterAll(() => t.close());

const userView = (postId: number, userId: number): ViewInput => ({ postId, session: { userId }, clientIp: '10.0.0.1', userAgent: 'ua' });
const anonView = (postId: number, n: number, userAgent = 'Mozilla/5.0'): ViewInput => ({
  postId,
  session: null,
  clientIp: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  userAgent,
});

/** Records views through the seam the posts feature uses: appendView on one pipeline, one exec. */
async function view(views: ViewInput[]): Promise<void> {
  const pipeline = t.redis.pipeline();
  for (const v of views) t.services.analytics.appendView(pipeline, v);
  const replies = (await pipeline.exec()) ?? [];
  expect(replies.filter(([err]) => err)).toEqual([]);
}

const uniques = async (postId: number) => (await t.services.analytics.post(postId)).uniqueVisitors;
const relativeError = (estimate: number, truth: number) => Math.abs(estimate - truth) / truth;

describe('unique visitors (HyperLogLog)', () => {
  it('estimates 10,000 distinct logged-in visitors within 2%, however often each comes back', async () => {
    const visitors = Array.from({ length: 10_000 }, (_, i) => userView(1, i + 1));
    await view([...visitors, ...visitors.slice(0, 5000), ...visitors.slice(0, 1000)]);
    const { today } = await uniques(1);
    console.log(`HLL, 10,000 logged-in visitors: estimate ${today}, error ${(relativeError(today, 10_000) * 100).toFixed(2)}%`);
    expect(relativeError(today, 10_000)).toBeLessThan(0.02);
  });

  it('estimates 10,000 distinct anonymous visitors (address + user agent) within 2%', async () => {
    await view(Array.from({ length: 10_000 }, (_, i) => anonView(2, i)));
    const { today } = await uniques(2);
    console.log(`HLL, 10,000 anonymous visitors: estimate ${today}, error ${(relativeError(today, 10_000) * 100).toFixed(2)}%`);
    expect(relativeError(today, 10_000)).toBeLessThan(0.02);
  });

  it('tells anonymous visitors apart by address and user agent, and a session by its user alone', async () => {
    await view([anonView(3, 1), anonView(3, 1), anonView(3, 1, 'curl/8'), anonView(3, 2), userView(3, 7), { ...userView(3, 7), clientIp: '10.9.9.9' }]);
    expect((await uniques(3)).today).toBe(4);
  });

  it('never sends the address to Redis: PFADD carries u:<id> or a keyed hash', async () => {
    const seen: string[] = [];
    const watching = await watchRedis(t.config.REDIS_URL!, ({ args }) => {
      if (args[0]?.toLowerCase() === 'pfadd' && args[1]?.startsWith(t.config.REDIS_KEY_PREFIX)) seen.push(args.join(' '));
    });
    try {
      await view([anonView(4, 0x0a0b0c), userView(4, 42)]);
      await watching.caughtUp(t.redis);
    } finally {
      watching.stop();
    }
    expect(seen).toHaveLength(2);
    expect(seen.join('\n')).not.toContain('10.10.11.12');
    expect(seen[0]).toMatch(/ a:[A-Za-z0-9_-]{22}$/);
    expect(seen[1]).toMatch(/ u:42$/);
    // Keyed: the same visitor hashes differently under another secret.
    expect(visitorId(SECRET, anonView(4, 1))).not.toBe(visitorId('another-secret-0123456789abcdef0123', anonView(4, 1)));
  });

  it('keeps one HyperLogLog per post and UTC day, under the post hash tag, for 8 days', async () => {
    const key = t.deps.keys.postVisitors(1, '2026-01-07');
    expect(key).toBe(`${t.config.REDIS_KEY_PREFIX}uv:{pv:1}:2026-01-07`);
    expect(await t.redis.type(key)).toBe('string'); // HyperLogLogs are strings with an HLL header
    expect(await t.redis.pttl(key)).toBeGreaterThan(8 * DAY - 60_000);
    expect(await t.redis.pttl(key)).toBeLessThanOrEqual(8 * DAY);
  });

  it('counts a week as the union of its 7 days, drops the 8th day back, and caches the union', async () => {
    const postId = 5;
    const start = clock.now();
    try {
      // Day d (0..6) sees users d*1000 .. d*1000+1999: 8,000 distinct over the week, 2,000 a day.
      for (let d = 0; d < 7; d++) {
        clock.set(start + d * DAY);
        await view(Array.from({ length: 2000 }, (_, i) => userView(postId, d * 1000 + i + 1)));
      }
      const before = (await t.deps.metrics.cacheLookups())['post-uniques-week'] ?? { hit: 0, miss: 0 };
      const week = await uniques(postId);
      expect(relativeError(week.today, 2000)).toBeLessThan(0.02);
      expect(relativeError(week.last7Days, 8000)).toBeLessThan(0.02);
      const cacheKey = t.deps.keys.postVisitorsWeek(postId, '2026-01-13');
      expect(Number(await t.redis.get(cacheKey))).toBe(week.last7Days);
      expect(await t.redis.pttl(cacheKey)).toBeGreaterThan(55_000);
      expect(await t.redis.pttl(cacheKey)).toBeLessThanOrEqual(60_000);

      // New visitors today: today's count moves at once, the cached week does not until it expires.
      await view(Array.from({ length: 500 }, (_, i) => userView(postId, 100_000 + i)));
      const cached = await uniques(postId);
      expect(cached.today).toBeGreaterThan(week.today + 450);
      expect(cached.last7Days).toBe(week.last7Days);
      const after = (await t.deps.metrics.cacheLookups())['post-uniques-week']!;
      expect(after.miss - before.miss).toBe(1);
      expect(after.hit - before.hit).toBe(1);

      await t.redis.del(cacheKey); // as if its TTL ran out
      expect(relativeError((await uniques(postId)).last7Days, 8500)).toBeLessThan(0.02);

      // A day later the first day (users 1..2000, of whom 1..1000 appear on no other day) leaves the window.
      clock.set(start + 7 * DAY);
      const next = await uniques(postId);
      expect(next.today).toBe(0);
      expect(relativeError(next.last7Days, 7500)).toBeLessThan(0.02);
    } finally {
      clock.set(start);
    }
  });

  it('folds into the caller pipeline (two commands, no round trip of its own), and recordView works alone', async () => {
    const pipeline = t.redis.pipeline().incr(`${t.config.REDIS_KEY_PREFIX}views-of-post-6`);
    expect(t.services.analytics.appendView(pipeline, userView(6, 1))).toBe(pipeline);
    expect(pipeline.length).toBe(3);
    await pipeline.exec();
    await t.services.analytics.recordView(userView(6, 2));
    expect((await uniques(6)).today).toBe(2);
  });
});

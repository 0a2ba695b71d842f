import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../server/clock.ts';
import { createActiveUsers } from '../../server/features/analytics/active-users.ts';
import { createLogger } from '../../server/logger.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { createTestApp, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { watchRedis } from '../helpers/monitor.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer, login, register } from '../auth/helpers.ts';

// Daily active users: one bitmap per UTC day (SETBIT on the user id), BITCOUNT, BITOP AND for retention.
const DAY = 86_400_000;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const clock = manualClock(Date.UTC(2026, 0, 1, 9));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t.close());

/** Marks users active on the clock's day and waits until Redis has them (same connection, so a PING after is ordered after them). */
async function active(users: number[]): Promise<void> {
  for (const id of users) t.services.analytics.markActive(id);
  await t.redis.ping();
}

describe('daily active users (bitmaps)', () => {
  it('gives exact DAU, day-over-day retention and the 7-day series on known sets of users', async () => {
    const start = clock.now();
    const days: number[][] = [
      range(1, 100), // 2026-01-01: only the day before the series
      [...range(1, 50), ...range(1001, 1030)], // 80 active, 50 of them active the day before
      [], // nobody
      [7, 1_000_000], // after an empty day: retention has no base
      [7],
      range(1, 200),
      range(100, 299),
      [...range(100, 149), 5000], // today, 2026-01-08
    ];
    for (const [d, users] of days.entries()) {
      clock.set(start + d * DAY);
      await active(users);
      await active(users.slice(0, 10)); // coming back the same day changes nothing
    }
    const site = await t.services.analytics.site();
    expect(site.day).toBe('2026-01-08');
    expect(site.activeUsers.last7Days).toEqual([
      { day: '2026-01-02', activeUsers: 80, retainedUsers: 50, retention: 0.5 },
      { day: '2026-01-03', activeUsers: 0, retainedUsers: 0, retention: 0 },
      { day: '2026-01-04', activeUsers: 2, retainedUsers: 0, retention: null },
      { day: '2026-01-05', activeUsers: 1, retainedUsers: 1, retention: 0.5 },
      { day: '2026-01-06', activeUsers: 200, retainedUsers: 1, retention: 1 },
      { day: '2026-01-07', activeUsers: 200, retainedUsers: 101, retention: 101 / 200 },
      { day: '2026-01-08', activeUsers: 51, retainedUsers: 50, retention: 50 / 200 },
    ]);
    expect(site.activeUsers).toMatchObject({ today: 51, retention: 0.25 });

    const today = t.deps.keys.activeUsers('2026-01-08');
    expect(today).toBe(`${t.config.REDIS_KEY_PREFIX}{dau}:2026-01-08`);
    expect(await t.redis.getbit(today, 5000)).toBe(1);
    expect(await t.redis.getbit(today, 4999)).toBe(0);
    expect(await t.redis.pttl(today)).toBeGreaterThan(35 * DAY - 60_000);
    const scratch = t.deps.keys.retainedUsers('2026-01-08');
    expect(await t.redis.bitcount(scratch)).toBe(50);
    expect(await t.redis.pttl(scratch)).toBeGreaterThan(0);
    expect(await t.redis.pttl(scratch)).toBeLessThanOrEqual(60_000);
  });

  it('marks each authenticated request, but writes once per user and day: no write for a repeat visit, none for anonymous callers', async () => {
    const users = await Promise.all(['a@example.com', 'b@example.com'].map((email) => register(t, email)));
    const sessions = await Promise.all(['a@example.com', 'b@example.com'].map((email) => login(t, email, 'correct horse battery')));
    const day = '2026-01-20';
    clock.set(Date.parse(`${day}T10:00:00Z`));
    const key = t.deps.keys.activeUsers(day);

    const setbits: string[] = [];
    const watching = await watchRedis(t.config.REDIS_URL!, ({ args }) => {
      if (args[0]?.toLowerCase() === 'setbit' && args[1]?.startsWith(t.config.REDIS_KEY_PREFIX)) setbits.push(`${args[1]} ${args[2]}`);
    });
    try {
      for (let i = 0; i < 5; i++) {
        for (const s of sessions) expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(s.sessionId))).status).toBe(200);
        expect((await jsonRequest(t.app, 'GET', '/health')).status).toBe(200);
        expect((await jsonRequest(t.app, 'GET', '/auth/me')).status).toBe(401);
      }
      await watching.caughtUp(t.redis); // after every write the requests sent on the app's connection
      expect(setbits.sort()).toEqual(users.map((u) => `${key} ${u.id}`).sort());
      expect(await t.redis.bitcount(key)).toBe(2);

      // The next day starts a new bitmap, and a new memory of who was seen.
      clock.advance(DAY);
      await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(sessions[0]!.sessionId));
      await watching.caughtUp(t.redis);
      expect(setbits).toHaveLength(3);
      expect(await t.redis.bitcount(t.deps.keys.activeUsers('2026-01-21'))).toBe(1);
    } finally {
      watching.stop();
    }
  });

  it('never throws nor leaves a rejection when Redis is down; a failed write is retried by the next request', async () => {
    const lines: string[] = [];
    const dead = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => {}); // connection refused: expected here
    const tracker = createActiveUsers({ redis: dead, keys: createKeys(testPrefix()), clock, logger: createLogger('warn', (l) => lines.push(l)) });
    expect(() => tracker.mark(1)).not.toThrow();
    await waitFor(() => tracker.stats().failures === 1, { what: 'the write has failed' });
    expect(tracker.stats()).toEqual({ writes: 1, failures: 1 });
    tracker.mark(1);
    tracker.mark(2);
    await waitFor(() => tracker.stats().failures === 3, { what: 'both writes have failed' });
    expect(tracker.stats()).toEqual({ writes: 3, failures: 3 });
    // One warning for the whole streak, not one per request.
    expect(lines.filter((l) => l.includes('active-user write failed'))).toHaveLength(1);
    dead.disconnect();
  });
});

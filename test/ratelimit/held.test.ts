import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLimiter, type RateLimitPolicy } from '../../server/features/ratelimit/limiter.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { testPrefix } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { logSize } from './log.ts';

// Two connections: two app instances sharing one Redis, each with its own held refusals.
let redis: [Redis, Redis];
const keys = createKeys(testPrefix());
beforeAll(async () => {
  const connect = () => createRedis({ url: inject('redisUrl'), commandTimeoutMs: 5000, logger: createLogger('silent') });
  redis = [connect(), connect()];
  await Promise.all(redis.map((r) => r.connect()));
});
afterAll(() => Promise.all(redis.map(closeRedis)));

let n = 0;
const identity = () => `ip:198.18.0.${++n}`;
const policy = (limit: number, windowMs: number): RateLimitPolicy => ({ name: 'held', windows: [{ limit, windowMs }] });

describe('held refusals', () => {
  it('two instances, 1,000 concurrent requests per wave: exactly `limit` allowed per window, refusals held until Redis frees room', async () => {
    const windowMs = 1500;
    // The holds run on this clock: it stands still until the test moves it, so however slowly the
    // waves run, the second one falls inside the holds the first one set.
    let now = performance.now();
    const instances = redis.map((r) => createLimiter({ redis: r, keys, policy: policy(100, windowMs), timeoutMs: 5000, monotonicNow: () => now }));
    const id = identity();
    const wave = async () => {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => instances[i % 2]!.limit(id)));
      return results.filter((r) => r.allowed).length;
    };
    const heldSoFar = () => instances[0]!.refusedWithoutRedis + instances[1]!.refusedWithoutRedis;

    // All sent before any answer: Redis decides every one.
    expect(await wave()).toBe(100);
    expect(heldSoFar()).toBe(0);
    // Within the window, both instances refuse everything themselves: nothing reaches Redis.
    expect(await wave()).toBe(0);
    expect(heldSoFar()).toBe(1000);
    expect(await logSize(redis[0], keys.rateLimit('held', id))).toBe(100);

    // Once the window has passed, the holds are over and exactly `limit` are allowed again. Redis
    // slides the window on its own clock (peek asks it, and holds nothing); the holds end by theirs.
    await waitFor(async () => (await instances[0]!.peek(id)).remaining === 100, { what: 'the window has slid past the first wave' });
    now += windowMs;
    expect(await wave()).toBe(100);
    const stats = instances.map((l) => l.stats);
    expect(stats[0]!.allowed + stats[1]!.allowed).toBe(200);
    expect(stats[0]!.refused + stats[1]!.refused).toBe(2800);
  });

  it('a hold ends 1 ms before the wait Redis reported, counted from before the request was sent', async () => {
    let now = 1_000;
    const limiter = createLimiter({ redis: redis[0], keys, policy: policy(2, 60_000), monotonicNow: () => now });
    const id = identity();
    await limiter.limit(id);
    await limiter.limit(id);
    const refused = await limiter.limit(id); // from Redis, sent at 1,000
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    const wait = refused.retryAfterMs;
    expect(wait).toBeGreaterThan(59_000);
    expect(limiter.refusedWithoutRedis).toBe(0);

    now = 11_000;
    expect(await limiter.limit(id)).toMatchObject({ allowed: false, remaining: 0, limit: 2, window: 0, retryAfterMs: wait - 10_000, resetMs: wait - 10_000 });
    now = 1_000 + wait - 1.001;
    expect(await limiter.limit(id)).toMatchObject({ allowed: false, retryAfterMs: 2 });
    expect(limiter.refusedWithoutRedis).toBe(2);
    // From `wait` - 1 on, Redis decides again (here it still refuses: only the fake clock moved).
    now = 1_000 + wait - 1;
    expect(await limiter.limit(id)).toMatchObject({ allowed: false });
    expect(limiter.refusedWithoutRedis).toBe(2);
    expect(limiter.stats).toEqual({ allowed: 2, refused: 4, fail_open: 0, fail_closed: 0 });
  });

  it('holds only requests of at least the refused cost: a smaller one may still fit', async () => {
    const limiter = createLimiter({ redis: redis[0], keys, policy: policy(5, 60_000) });
    const id = identity();
    expect(await limiter.limit(id, 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiter.limit(id, 3)).toMatchObject({ allowed: false, remaining: 2 });
    expect(await limiter.limit(id, 2)).toMatchObject({ allowed: true, remaining: 0 }); // asked Redis
    expect(limiter.refusedWithoutRedis).toBe(0);
    expect(await limiter.limit(id, 4)).toMatchObject({ allowed: false, remaining: 2 }); // held
    expect(limiter.refusedWithoutRedis).toBe(1);
    expect(await limiter.limit(id, 1)).toMatchObject({ allowed: false, remaining: 0 }); // asked Redis
    expect(limiter.refusedWithoutRedis).toBe(1);
    expect(await limiter.limit(id, 1)).toMatchObject({ allowed: false, remaining: 0 }); // held
    expect(limiter.refusedWithoutRedis).toBe(2);
  });

  it('holds at most `heldRefusals` identities (the oldest hold gives way), and none with 0', async () => {
    const limiter = createLimiter({ redis: redis[0], keys, policy: policy(1, 60_000), heldRefusals: 2 });
    const ids = [identity(), identity(), identity()];
    for (const id of ids) {
      await limiter.limit(id);
      expect((await limiter.limit(id)).allowed).toBe(false); // from Redis: held
    }
    // The first identity's hold gave way to the third's: it asks Redis, the other two do not.
    for (const id of [ids[2]!, ids[1]!, ids[0]!]) expect((await limiter.limit(id)).allowed).toBe(false);
    expect(limiter.refusedWithoutRedis).toBe(2);

    const unheld = createLimiter({ redis: redis[0], keys, policy: policy(1, 60_000), heldRefusals: 0 });
    for (let i = 0; i < 3; i++) expect((await unheld.limit(ids[0]!)).allowed).toBe(false);
    expect(unheld.refusedWithoutRedis).toBe(0);
    expect(() => createLimiter({ redis: redis[0], keys, policy: policy(1, 1000), heldRefusals: -1 })).toThrow(/heldRefusals/);
  });

  it('peek always asks Redis, and never holds', async () => {
    const limiter = createLimiter({ redis: redis[0], keys, policy: policy(1, 60_000) });
    const id = identity();
    await limiter.limit(id);
    expect(await limiter.peek(id)).toMatchObject({ allowed: false });
    expect(await limiter.peek(id)).toMatchObject({ allowed: false });
    expect(await limiter.limit(id)).toMatchObject({ allowed: false });
    expect(limiter.refusedWithoutRedis).toBe(0);
  });
});

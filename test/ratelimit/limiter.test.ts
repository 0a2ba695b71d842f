import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLimiter, type RateLimitPolicy } from '../../server/features/ratelimit/ratelimit.limiter.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { testPrefix } from '../helpers/app.ts';
import { logSize, readLog } from './log.ts';

let redis: Redis;
const keys = createKeys(testPrefix());
beforeAll(async () => {
  redis = createRedis({ url: inject('redisUrl'), commandTimeoutMs: 2000, logger: createLogger('silent') });
  await redis.connect();
});
afterAll(() => closeRedis(redis));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
/** A fresh identity per test, so tests never share a budget. */
const identity = () => `ip:192.0.2.${++n}`;
const limiterFor = (windows: RateLimitPolicy['windows'], name = 'test') => createLimiter({ redis, keys, policy: { name, windows } });

/** Every rate-limit key under this file's prefix (SCAN skips keys that have expired). */
async function limiterKeys(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keys.prefix}ratelimit:*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

describe('sliding-window limiter', () => {
  it('allows exactly `limit`, then refuses with the time until the oldest unit leaves the window', async () => {
    const outcomes: string[] = [];
    const limiter = createLimiter({ redis, keys, policy: { name: 'test', windows: [{ limit: 3, windowMs: 10_000 }] }, onDecision: (o) => outcomes.push(o) });
    const id = identity();
    const sent = Date.now();
    const allowed = [await limiter.limit(id), await limiter.limit(id), await limiter.limit(id)];
    expect(allowed.map((r) => [r.allowed, r.remaining, r.retryAfterMs])).toEqual([[true, 2, 0], [true, 1, 0], [true, 0, 0]]);
    // Allowed: the reset is when the oldest unit leaves, about one window after the first request.
    expect(allowed[0]!.resetMs).toBeGreaterThan(9_900);
    expect(allowed[0]!.resetMs).toBeLessThanOrEqual(10_000);

    const refused = await limiter.limit(id);
    const waited = Date.now() - sent;
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0, policy: 'test', window: 0 });
    expect(refused.reason).toBeUndefined();
    expect(refused.retryAfterMs).toBe(refused.resetMs);
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(10_000 - waited - 1);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(limiter.stats).toEqual({ allowed: 3, refused: 1, fail_open: 0, fail_closed: 0 });
    expect(outcomes).toEqual(['allowed', 'allowed', 'allowed', 'refused']);
    // The refusal wrote nothing: still three units in the log. A peek is no decision.
    expect(await logSize(redis, keys.rateLimit('test', id))).toBe(3);
    await limiter.peek(id);
    expect(outcomes).toHaveLength(4);
  });

  it('records the time from Redis (TIME), not from the app', async () => {
    const limiter = limiterFor([{ limit: 5, windowMs: 10_000 }]);
    const id = identity();
    const [s1, us1] = await redis.time();
    await limiter.limit(id);
    const [s2, us2] = await redis.time();
    const [time] = await readLog(redis, keys.rateLimit('test', id));
    expect(time).toBeGreaterThanOrEqual(Number(s1) * 1e6 + Number(us1));
    expect(time).toBeLessThanOrEqual(Number(s2) * 1e6 + Number(us2));
  });

  it('500 concurrent callers for one identity: exactly `limit` allowed', async () => {
    const limiter = limiterFor([{ limit: 50, windowMs: 60_000 }]);
    const id = identity();
    const results = await Promise.all(Array.from({ length: 500 }, () => limiter.limit(id)));
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    expect(await logSize(redis, keys.rateLimit('test', id))).toBe(50);
  });

  it('a cost of N records N distinct units at once, or none when they do not all fit', async () => {
    const limiter = limiterFor([{ limit: 5, windowMs: 60_000 }]);
    const id = identity();
    expect(await limiter.limit(id, 3)).toMatchObject({ allowed: true, remaining: 2 });
    // Three units, all at the same microsecond.
    const log = await readLog(redis, keys.rateLimit('test', id));
    expect(log).toHaveLength(3);
    expect(new Set(log).size).toBe(1);
    expect(await limiter.limit(id, 3)).toMatchObject({ allowed: false, remaining: 2 });
    expect(await logSize(redis, keys.rateLimit('test', id))).toBe(3);
    expect(await limiter.limit(id, 2)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('refuses a cost it could never serve, and bad policies at construction', async () => {
    const limiter = limiterFor([{ limit: 5, windowMs: 1000 }, { limit: 3, windowMs: 60_000 }]);
    expect(limiter.capacity).toBe(3);
    await expect(limiter.limit(identity(), 4)).rejects.toThrow('cost must be an integer from 1 to 3, got 4');
    await expect(limiter.limit(identity(), 0)).rejects.toThrow(RangeError);
    expect(() => limiterFor([], 'x')).toThrow('needs 1 to 4 windows');
    expect(() => limiterFor([{ limit: 0, windowMs: 1000 }])).toThrow('limit must be an integer >= 1');
    expect(() => limiterFor([{ limit: 1, windowMs: 1000 }, { limit: 2, windowMs: 1000 }])).toThrow('window lengths must differ');
    expect(() => limiterFor([{ limit: 1, windowMs: 1000 }], 'Bad Name')).toThrow('name must match');
  });
});

describe('exact at the window edge', () => {
  it('`limit` requests just before a whole second and `limit` just after: the second burst waits for the first to age out', async () => {
    const windowMs = 1000;
    const limit = 5;
    const limiter = limiterFor([{ limit, windowMs }]);
    const id = identity();
    // A fixed one-second window would reset at the next whole second and let 2x through.
    while (Date.now() % 1000 < 850) await sleep(5);
    const firstSent = Date.now();
    const first = await Promise.all(Array.from({ length: limit }, () => limiter.limit(id)));
    const firstAnswered = Date.now() + 1;
    expect(first.every((r) => r.allowed)).toBe(true);

    await sleep(1050 - (Date.now() % 1000)); // 50 ms into the next second
    const secondSent = Date.now();
    const second = await Promise.all(Array.from({ length: limit }, () => limiter.limit(id)));
    const secondAnswered = Date.now() + 1;
    expect(second.filter((r) => r.allowed)).toHaveLength(0);
    // The wait is until the first burst's oldest unit leaves: bounded by when each burst ran.
    for (const r of second) {
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(firstSent + windowMs - secondAnswered);
      expect(r.retryAfterMs).toBeLessThanOrEqual(firstAnswered + windowMs - secondSent + 1);
    }
    const wait = Math.max(...second.map((r) => r.retryAfterMs));

    await sleep(wait + 5);
    const third = await Promise.all(Array.from({ length: limit }, () => limiter.limit(id)));
    expect(third.filter((r) => r.allowed)).toHaveLength(limit);
  });

  // 5 units of cost 1 in a string log; 300 units, 60 a request, in a sorted set (limits over 256).
  it.each([
    { limit: 5, cost: 1 },
    { limit: 300, cost: 60 },
  ])('no interval of one window ever holds more than `limit` allowed units (random arrivals, 4 callers; limit $limit, cost $cost)', async ({ limit: units, cost }) => {
    const windowMs = 250;
    const limit = units / cost; // requests a window may allow
    const limiter = limiterFor([{ limit: units, windowMs }]);
    const id = identity();
    // For each allowed request: a time before it was sent and after its answer; Redis decided in between.
    const allowed: { sent: number; answered: number }[] = [];
    const until = Date.now() + 2000;
    let decisions = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          const sent = Date.now();
          const r = await limiter.limit(id, cost);
          decisions++;
          if (r.allowed) allowed.push({ sent, answered: Date.now() + 1 }); // +1: Date.now() truncates
          await sleep(Math.random() * 15);
        }
      }),
    );
    allowed.sort((a, b) => a.sent - b.sent);
    expect(decisions).toBeGreaterThan(allowed.length);
    expect(allowed.length).toBeGreaterThanOrEqual(limit * 4); // ~8 windows passed: the limiter kept letting requests in
    // limit+1 allowed requests spread over less than a window would break the guarantee. Their true
    // times are inside [sent, answered], so a breach is certain only if answered[i+limit] - sent[i] < window.
    for (let i = 0; i + limit < allowed.length; i++) {
      expect(allowed[i + limit]!.answered - allowed[i]!.sent).toBeGreaterThanOrEqual(windowMs);
    }
  });
});

describe('several windows in one policy', () => {
  const policy = [{ limit: 3, windowMs: 400 }, { limit: 5, windowMs: 86_400_000 }];
  const short = (id: string) => keys.rateLimit('multi', id, '400ms');
  const daily = (id: string) => keys.rateLimit('multi', id, '1d');
  const inWindow = async (key: string, windowMs: number) => {
    const [s, us] = await redis.time();
    return (await readLog(redis, key)).filter((time) => time > Number(s) * 1e6 + Number(us) - windowMs * 1000).length;
  };

  it('a request refused by the short window spends nothing from the daily one', async () => {
    const limiter = limiterFor(policy, 'multi');
    const id = identity();
    for (let i = 0; i < 3; i++) expect((await limiter.limit(id)).allowed).toBe(true);
    const refused = await limiter.limit(id);
    expect(refused).toMatchObject({ allowed: false, window: 0, limit: 3 });
    expect(refused.retryAfterMs).toBeLessThanOrEqual(400);
    expect(await logSize(redis, daily(id))).toBe(3);
    expect(await logSize(redis, short(id))).toBe(3);
  });

  it('a request refused by the daily window spends nothing from the short one', async () => {
    const limiter = limiterFor(policy, 'multi');
    const id = identity();
    for (let i = 0; i < 3; i++) await limiter.limit(id);
    await sleep(450);
    // The figures describe the window with the fewest units left: now the daily one.
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 1, window: 1, limit: 5 });
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 0, window: 1, limit: 5 });
    await sleep(450);
    const refused = await limiter.limit(id);
    expect(refused).toMatchObject({ allowed: false, window: 1, limit: 5, remaining: 0 });
    expect(refused.retryAfterMs).toBeGreaterThan(86_400_000 - 5_000);
    expect(await inWindow(short(id), 400)).toBe(0);
    expect(await logSize(redis, daily(id))).toBe(5);
  });

  it('reports the tighter window, and on a tie the longer one (it frees later)', async () => {
    const id = identity();
    expect(await limiterFor(policy, 'multi').limit(id)).toMatchObject({ remaining: 2, window: 0, limit: 3 });
    const tied = limiterFor([{ limit: 2, windowMs: 400 }, { limit: 2, windowMs: 60_000 }], 'tied');
    const r = await tied.limit(id);
    expect(r).toMatchObject({ remaining: 1, window: 1, limit: 2 });
    expect(r.resetMs).toBeGreaterThan(59_000);
  });

  it('each window key expires with its own window', async () => {
    const limiter = limiterFor(policy, 'multi');
    const id = identity();
    await limiter.limit(id);
    const [shortTtl, dailyTtl] = [await redis.pttl(short(id)), await redis.pttl(daily(id))];
    expect(shortTtl).toBeGreaterThan(0);
    expect(shortTtl).toBeLessThanOrEqual(401);
    expect(dailyTtl).toBeGreaterThan(86_400_000 - 5_000);
    expect(dailyTtl).toBeLessThanOrEqual(86_400_001);
  });
});

describe('peek', () => {
  it('reports the budget and changes nothing: no unit, no trim, no TTL renewal, no key created', async () => {
    const limiter = limiterFor([{ limit: 4, windowMs: 60_000 }]);
    const id = identity();
    const key = keys.rateLimit('test', id);
    expect(await limiter.peek(id)).toMatchObject({ allowed: true, remaining: 4, resetMs: 0, retryAfterMs: 0 });
    expect(await redis.exists(key)).toBe(0);

    await limiter.limit(id);
    await limiter.limit(id);
    const before = { log: await readLog(redis, key), ttl: await redis.pttl(key) };
    await sleep(20);
    for (let i = 0; i < 5; i++) expect(await limiter.peek(id)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await readLog(redis, key)).toEqual(before.log);
    expect(await redis.pttl(key)).toBeLessThan(before.ttl);
    expect(limiter.stats).toEqual({ allowed: 2, refused: 0, fail_open: 0, fail_closed: 0 });

    await limiter.limit(id, 2);
    const full = await limiter.peek(id);
    expect(full).toMatchObject({ allowed: false, remaining: 0 });
    expect(full.retryAfterMs).toBeGreaterThan(59_000);
  });
});

describe('memory', () => {
  it('every key has a TTL of at most its window, and the key count stays flat over many identities', async () => {
    const windowMs = 300;
    const limiter = limiterFor([{ limit: 3, windowMs }], 'flat');
    const perRound = 250;
    const seen: number[] = [];
    for (let round = 0; round < 8; round++) {
      await Promise.all(Array.from({ length: perRound }, (_, i) => limiter.limit(`ip:10.${round}.${i >> 8}.${i & 255}`)));
      const found = (await limiterKeys()).filter((k) => k.includes('ratelimit:flat:'));
      const ttls = await Promise.all(found.map((k) => redis.pttl(k)));
      // -2: expired between SCAN and PTTL, 0: expiring as PTTL ran (a busy Redis); -1 (no TTL) would be a leak.
      expect(ttls.filter((t) => t === -1 || t > windowMs + 1)).toEqual([]);
      seen.push(found.length);
      await sleep(200);
    }
    // 2,000 identities went through; at any time only those of about the last window had a key.
    expect(Math.max(...seen)).toBeLessThanOrEqual(2 * perRound);
    await sleep(windowMs + 50);
    expect((await limiterKeys()).filter((k) => k.includes('ratelimit:flat:'))).toEqual([]);
  });
});

describe('the log', () => {
  it('never holds more than `limit` units: once full, a write drops the units that have left', async () => {
    const windowMs = 150;
    const limiter = limiterFor([{ limit: 3, windowMs }], 'log');
    const id = identity();
    const key = keys.rateLimit('log', id);
    let allowed = 0;
    const sizes: number[] = [];
    for (const started = Date.now(); Date.now() - started < 5 * windowMs; await sleep(10)) {
      if ((await limiter.limit(id)).allowed) allowed++;
      sizes.push(await logSize(redis, key));
    }
    expect(allowed).toBeGreaterThan(6); // units left the window and were replaced, several times
    expect(Math.max(...sizes)).toBe(3);
  });

  it('a sorted-set log of an older version counts as the same log, and becomes a string at its next write', async () => {
    const limiter = limiterFor([{ limit: 3, windowMs: 60_000 }], 'upgrade');
    const id = identity();
    const key = keys.rateLimit('upgrade', id);
    const [s, us] = await redis.time();
    const now = Number(s) * 1e6 + Number(us);
    // As the sorted-set version recorded two units: member per unit, score = its time in µs.
    await redis.zadd(key, now - 2000, `${now - 2000}`, now - 1000, `${now - 1000}`);
    await redis.pexpire(key, 60_000);

    expect(await limiter.peek(id)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await redis.type(key)).toBe('zset'); // a peek writes nothing
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await redis.type(key)).toBe('string');
    const log = await readLog(redis, key);
    expect(log.slice(0, 2)).toEqual([now - 2000, now - 1000]);
    expect(log).toHaveLength(3);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
    expect(await limiter.limit(id)).toMatchObject({ allowed: false, remaining: 0 });
  });
});

describe('busy logs', () => {
  it('past 256 units a string log becomes a sorted set, of at most `limit` members', async () => {
    const id = identity();
    const key = keys.rateLimit('kinds', id);
    const limiter = limiterFor([{ limit: 300, windowMs: 60_000 }], 'kinds');
    expect(await limiter.limit(id, 3)).toMatchObject({ allowed: true, remaining: 297 });
    expect(await redis.type(key)).toBe('string');
    const times = await readLog(redis, key);
    expect(await limiter.limit(id, 255)).toMatchObject({ allowed: true, remaining: 42 });
    expect(await redis.type(key)).toBe('zset');
    const scores = (await redis.zrange(key, 0, 2, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    expect(scores).toEqual(times); // the string's units moved over
    expect(await redis.zcard(key)).toBe(258); // distinct members for units of the same microsecond
    expect(await limiter.limit(id, 43)).toMatchObject({ allowed: false, remaining: 42 });
    expect(await limiter.peek(id)).toMatchObject({ allowed: true, remaining: 42 });
    expect(await limiter.limit(id, 42)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await redis.zcard(key)).toBe(300);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
  });

  it('a sorted set that is down to 128 units or fewer becomes a string again, with the units still inside', async () => {
    const windowMs = 1000;
    const limiter = limiterFor([{ limit: 400, windowMs }], 'kinds');
    const id = identity();
    const key = keys.rateLimit('kinds', id);
    expect((await limiter.limit(id, 300)).allowed).toBe(true);
    const firstAnswered = Date.now() + 1;
    expect(await redis.type(key)).toBe('zset');
    await sleep(400);
    const secondSent = Date.now();
    expect(await limiter.limit(id, 10)).toMatchObject({ allowed: true, remaining: 90 });
    const second = (await redis.zrange(key, -10, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);

    // The first 300 have left; the last 10 still count (until about secondSent + 1 s).
    await sleep(firstAnswered + windowMs + 20 - Date.now());
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 389 });
    expect(Date.now()).toBeLessThan(secondSent + windowMs); // else the machine was too slow for this test's timeline
    expect(await redis.type(key)).toBe('string');
    const log = await readLog(redis, key);
    expect(log.slice(0, 10)).toEqual(second);
    expect(log).toHaveLength(11);
});
});

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLimiter, type RateLimitPolicy } from '../../server/features/ratelimit/limiter.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { testPrefix } from '../helpers/app.ts';
import { clockReaches, waitFor } from '../helpers/wait.ts';
import { watchRedis, type MonitoredCommand } from '../helpers/monitor.ts';
import { logSize, readLog, storedRuns } from './log.ts';

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
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keys.prefix}rl:*`, 'COUNT', 1000);
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
    const ms = ([s, us]: (string | number)[]) => Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const before = ms(await redis.time());
    await limiter.limit(id);
    const after = ms(await redis.time());
    const [time] = await readLog(redis, keys.rateLimit('test', id));
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
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
    await waitFor(() => Date.now() % 1000 >= 850, { intervalMs: 5, what: 'the clock is 850 ms into a second' });
    const firstSent = Date.now();
    const first = await Promise.all(Array.from({ length: limit }, () => limiter.limit(id)));
    const firstAnswered = Date.now() + 1;
    expect(first.every((r) => r.allowed)).toBe(true);

    await clockReaches(Math.floor(firstSent / 1000) * 1000 + 1050, '50 ms into the next second');
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

    // Redis answered the second burst before `secondAnswered`: its wait runs out by this point.
    await clockReaches(secondAnswered + wait + 5, 'the end of the reported wait');
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
  /** Units of the log still inside the window by Redis' clock (readLog gives ms; a unit leaves at its time + window). */
  const inWindow = async (key: string, windowMs: number) => {
    const [s, us] = await redis.time();
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    return (await readLog(redis, key)).filter((time) => time > now - windowMs).length;
  };
  const shortWindowEmpty = (id: string) => waitFor(async () => (await inWindow(short(id), 400)) === 0, { what: 'the short window has slid past its units' });

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
    await shortWindowEmpty(id);
    // The figures describe the window with the fewest units left: now the daily one.
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 1, window: 1, limit: 5 });
    expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 0, window: 1, limit: 5 });
    await shortWindowEmpty(id);
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
    // Far enough below its start that a renewal (back up to the window) would show.
    await waitFor(async () => (await redis.pttl(key)) <= before.ttl - 20, { what: 'the TTL has run down 20 ms' });
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
    let lastRound = 0;
    for (let round = 0; round < 8; round++) {
      await Promise.all(Array.from({ length: perRound }, (_, i) => limiter.limit(`ip:10.${round}.${i >> 8}.${i & 255}`)));
      const found = (await limiterKeys()).filter((k) => k.includes('rl:flat:'));
      const ttls = await Promise.all(found.map((k) => redis.pttl(k)));
      // -2: expired between SCAN and PTTL, 0: expiring as PTTL ran (a busy Redis); -1 (no TTL) would be a leak.
      expect(ttls.filter((t) => t === -1 || t > windowMs + 1)).toEqual([]);
      seen.push(found.length);
      lastRound = Date.now();
      await sleep(200); // pacing: the rounds spread over several windows
    }
    expect(Math.min(...seen)).toBeGreaterThan(0); // the scan sees the limiter's keys
    // 2,000 identities went through; at any time only those of about the last window had a key.
    expect(Math.max(...seen)).toBeLessThanOrEqual(2 * perRound);
    await clockReaches(lastRound + windowMs + 50, 'a window after the last round');
    expect((await limiterKeys()).filter((k) => k.includes('rl:flat:'))).toEqual([]);
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
    // Five windows, and on a slow machine more until enough were allowed (at most 10 s).
    const enough = (elapsed: number) => (elapsed >= 5 * windowMs && allowed > 6) || elapsed >= 10_000;
    for (const started = Date.now(); !enough(Date.now() - started); await sleep(10)) {
      if ((await limiter.limit(id)).allowed) allowed++;
      sizes.push(await logSize(redis, key));
    }
    expect(allowed).toBeGreaterThan(6); // units left the window and were replaced, several times
    expect(Math.max(...sizes)).toBe(3);
  });

});

describe('busy logs', () => {
  it('units of the same millisecond share one run: a cost of 255 is one run, and every unit counts', async () => {
    const id = identity();
    const key = keys.rateLimit('runs', id);
    const limiter = limiterFor([{ limit: 300, windowMs: 60_000 }], 'runs');
    expect(await limiter.limit(id, 255)).toMatchObject({ allowed: true, remaining: 45 });
    expect(await storedRuns(redis, key)).toBe(1);
    expect(await logSize(redis, key)).toBe(255);
    expect(await limiter.limit(id, 46)).toMatchObject({ allowed: false, remaining: 45 });
    expect(await limiter.peek(id)).toMatchObject({ allowed: true, remaining: 45 });
    expect(await limiter.limit(id, 45)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await logSize(redis, key)).toBe(300);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
  });

  it('runs that have left the window are dropped: the log stays as large as one window of runs', async () => {
    const windowMs = 100;
    const limiter = limiterFor([{ limit: 100_000, windowMs }], 'bounded');
    const id = identity();
    const key = keys.rateLimit('bounded', id);
    const runs: number[] = [];
    // Eight windows, and on a slow machine more until enough decisions were made (at most 10 s).
    const enough = (elapsed: number) => (elapsed >= 8 * windowMs && runs.length > 50) || elapsed >= 10_000;
    for (const started = Date.now(); !enough(Date.now() - started); ) {
      expect((await limiter.limit(id)).allowed).toBe(true);
      runs.push(await storedRuns(redis, key));
    }
    expect(runs.length).toBeGreaterThan(50); // many more ms went by than one window holds
    // At most one run per ms of the window, twice over before a rewrite drops the ones that left.
    expect(Math.max(...runs)).toBeLessThanOrEqual(2 * windowMs + 16);
  });

  it('a decision reads and writes the same few ranges of the log whatever it holds', async () => {
    const limiter = limiterFor([{ limit: 100_000, windowMs: 60_000 }], 'flat-cost');
    const id = identity();
    const key = keys.rateLimit('flat-cost', id);
    // A log of 2,000 runs, written as preflight.lua would have: all inside the window.
    const [s] = await redis.time();
    const start = Number(s) * 1000 - 30_000;
    const runs = Buffer.alloc(12 + 2000 * 12);
    runs.writeUInt32BE(0, 0);
    runs.writeUInt32BE(2000, 4);
    runs.writeUInt32BE(2000, 8);
    for (let i = 0; i < 2000; i++) {
      runs.writeBigInt64BE(BigInt(start + i), 12 + i * 12);
      runs.writeUInt32BE(1, 20 + i * 12);
    }
    await redis.set(key, runs, 'PX', 60_000);
    const bytesBefore = await redis.strlen(key);
    const seen: MonitoredCommand[] = [];
    const monitor = await watchRedis(inject('redisUrl'), (c) => {
      if (c.source === 'lua' && c.args[1] === key) seen.push(c);
    });
    try {
      expect(await limiter.limit(id)).toMatchObject({ allowed: true, remaining: 100_000 - 2001 });
      await monitor.caughtUp(redis); // the script's commands are reported before the marker
    } finally {
      monitor.stop();
    }
    // Read: the header with the oldest runs (a bounded prefix), the newest; written: one run appended, the header, the TTL.
    expect(seen.map((c) => c.args[0]!.toLowerCase())).toEqual(['getrange', 'getrange', 'append', 'setrange', 'pexpire']);
    expect(Math.max(...seen.map((c) => c.args.join(' ').length))).toBeLessThan(200); // no range of the log's size
    expect(await redis.strlen(key)).toBe(bytesBefore + 12);
    expect(await logSize(redis, key)).toBe(2001);
  });
});

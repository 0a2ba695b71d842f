import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { testPrefix } from '../helpers/app.ts';
import { readLog } from './log.ts';

// preflight.lua's batch layout decides a one-window entry whose key neither decide() holds nor
// the next entry uses on a fast path (the log read and written at once, in place when no unit has
// left); the others go through decide(). Both must agree to the byte. Each script call decides a
// pair of identities X and Y alike: X's two entries side by side (decide(), one log in memory),
// Y's apart, each on the fast path (the second reads what the first wrote, often in the same ms).

let redis: Redis;
const prefix = testPrefix();
beforeAll(async () => {
  redis = createRedis({ url: inject('redisUrl'), commandTimeoutMs: 2000, logger: createLogger('silent') });
  await redis.connect();
});
afterAll(() => closeRedis(redis));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let policy = 0;

/** Calls the script's batch layout: entries of [key, cost] (cost 0: peek) for one window; 4 integers back each. */
async function batch(entries: [key: string, cost: number][], limit: number, windowMs: number): Promise<number[][]> {
  const flat = (await redis.preflight(entries.length, ...entries.map(([key]) => key), -entries.length, 1, limit, windowMs, ...entries.map(([, cost]) => cost))) as unknown as number[];
  return entries.map((_, i) => flat.slice(i * 4, i * 4 + 4));
}

/**
 * `steps` script calls over `pairs` (>= 2) identity pairs, two decisions of `cost()` units each (0:
 * a peek), `pause()` ms apart; after each, X's and Y's replies, bytes and TTLs must match.
 */
async function compare({ limit, windowMs, pairs, steps, cost, pause }: { limit: number; windowMs: number; pairs: number; steps: number; cost: () => number; pause: () => number }) {
  const name = `${prefix}rl:fast-${++policy}:`;
  const ids = Array.from({ length: pairs }, (_, i) => ({ x: `${name}{x${i}}`, y: `${name}{y${i}}` }));
  const seen = { allowed: 0, refused: 0, peeks: 0 };
  for (let step = 0; step < steps; step++) {
    const costs = ids.map(() => [cost(), cost()] as const);
    // X0 X0 Y0 X1 X1 Y1 ... then Y0 Y1 ...: no Y entry is next to one for the same key.
    const entries: [string, number][] = [
      ...ids.flatMap(({ x, y }, i): [string, number][] => [
        [x, costs[i]![0]],
        [x, costs[i]![1]],
        [y, costs[i]![0]],
      ]),
      ...ids.map(({ y }, i): [string, number] => [y, costs[i]![1]]),
    ];
    const replies = await batch(entries, limit, windowMs);
    for (let i = 0; i < pairs; i++) {
      const viaDecide = [replies[3 * i]!, replies[3 * i + 1]!];
      const fast = [replies[3 * i + 2]!, replies[3 * pairs + i]!];
      expect(fast, `step ${step}, pair ${i}`).toEqual(viaDecide);
      for (let k = 0; k < 2; k++) {
        if (costs[i]![k] === 0) seen.peeks++;
        else if (fast[k]![0] === 1) seen.allowed++;
        else seen.refused++;
      }
    }
    const stored = await Promise.all(ids.flatMap(({ x, y }) => [redis.getBuffer(x), redis.getBuffer(y), redis.pttl(x), redis.pttl(y)]));
    for (let i = 0; i < pairs; i++) {
      const [bx, by, tx, ty] = stored.slice(4 * i, 4 * i + 4) as [Buffer | null, Buffer | null, number, number];
      expect(by?.toString('hex'), `step ${step}, pair ${i}: the log`).toBe(bx?.toString('hex'));
      // Both expire a window (+ 1 ms) after the call's time: PSETEX/PEXPIRE from Redis' clock, PEXPIREAT from TIME.
      expect(Math.abs(tx - ty), `step ${step}, pair ${i}: the TTL`).toBeLessThanOrEqual(2);
      expect(ty).toBeLessThanOrEqual(windowMs + 1);
    }
    await sleep(pause());
  }
  return { seen, ids };
}

describe('the batch layout: fast path and decide() agree', () => {
  it('short logs: appended, merged in one ms, rewritten when units left, refused with the same wait, peeked', async () => {
    const { seen } = await compare({
      limit: 5,
      windowMs: 120,
      pairs: 4,
      steps: 120,
      cost: () => [0, 1, 1, 1, 2, 3][Math.floor(Math.random() * 6)]!,
      pause: () => (Math.random() < 0.3 ? 0 : Math.random() * 30),
    });
    expect(seen.allowed).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
    expect(seen.peeks).toBeGreaterThan(20);
  });

  it('logs longer than the first read (over 32 runs): the fast path hands them to decide()', async () => {
    const { ids } = await compare({ limit: 120, windowMs: 60_000, pairs: 2, steps: 50, cost: () => 1, pause: () => 2 });
    expect((await readLog(redis, ids[0]!.y)).length).toBe(100);
  });

  it('limits over 4,096: units share a run within the coarser grain', async () => {
    await compare({ limit: 5000, windowMs: 8192, pairs: 3, steps: 60, cost: () => 1 + Math.floor(Math.random() * 3), pause: () => Math.random() * 3 });
  });

  it('a key repeated apart in one call (A B A) is counted exactly', async () => {
    const name = `${prefix}rl:fast-${++policy}:`;
    const [a, b] = [`${name}{a}`, `${name}{b}`];
    const replies = await batch(
      [
        [a, 1],
        [b, 1],
        [a, 1],
        [b, 1],
        [a, 1],
        [a, 1],
      ],
      3,
      60_000,
    );
    expect(replies.map((r) => r.slice(0, 2))).toEqual([
      [1, 2],
      [1, 2],
      [1, 1],
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
    expect((await readLog(redis, a)).length).toBe(3);
    expect((await readLog(redis, b)).length).toBe(2);
  });
});

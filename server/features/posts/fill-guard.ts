import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/client.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import type { PubSub } from '../../redis/pubsub.ts';
import { within } from '../../timeout.ts';

/**
 * What a look in the cache found: the value, or what the loader needs to know about the miss
 * (`redisFailed`: Redis did not answer, so nothing may be stored and nobody will announce a fill).
 */
export type Checked<T, M> = { hit: true; value: T } | { hit: false; miss: M; redisFailed?: true };

/** How to fill one cache entry: look (never rejects), load from SQL, store (the store may refuse, e.g. a fence). */
export interface FillSteps<T, M> {
  check(): Promise<Checked<T, M>>;
  load(): Promise<T>;
  store(value: T, miss: M): Promise<unknown>;
}

export interface Filled<T> {
  value: T;
  /** `cache` when another request (here or on another instance) filled it meanwhile. */
  source: 'cache' | 'database';
}

export interface FillGuard {
  /**
   * Fills the entry `name` after a miss, with one SQL load for all concurrent misses:
   * - in this process, concurrent callers for one `name` share one run (single-flight);
   * - across instances, the run takes the Redis lock `lock(name)` (SET NX PX with a random
   *   token, released by compare-and-delete) in the same round trip as a second look in the
   *   cache. The holder loads, stores, then publishes `name` on the "filled" channel; the others
   *   wait for that message (no polling) at most `waitMs`, look again, and only if the entry is
   *   still missing load SQL themselves (without storing).
   * A Redis failure anywhere degrades to loading SQL; it never fails the call. With `viaRedis`
   * false (Redis just failed, or the cache is bypassed) the run only loads, still once per process.
   */
  run<T, M>(name: string, steps: FillSteps<T, M>, viaRedis?: boolean): Promise<Filled<T>>;
  /** Subscribes to the "filled" channel (the app's subscriber connection). */
  start(): Promise<void>;
}

export interface FillGuardOptions {
  redis: RedisClient;
  pubsub: PubSub;
  keys: Keys;
  logger: Logger;
  /** How long a waiter waits for the holder's message before it reads SQL itself. */
  waitMs: number;
  /** The lock's TTL; a load older than this is served but not stored (its lock may be someone else's by then). */
  lockMs: number;
  /** Bound on each Redis step (lock attempt, store): past it, Redis counts as failing and SQL answers. */
  timeoutMs: number;
}

export function createFillGuard({ redis, pubsub, keys, logger, waitMs, lockMs, timeoutMs }: FillGuardOptions): FillGuard {
  const channel = keys.cacheFilledChannel();
  const flights = new Map<string, Promise<Filled<unknown>>>();
  const waiters = new Map<string, Set<() => void>>();

  /** Resolves when `name` is announced filled or after `waitMs`; registered before the lock attempt, so no message is missed. */
  function waitFor(name: string): { done: Promise<void>; cancel(): void } {
    let set = waiters.get(name);
    if (!set) waiters.set(name, (set = new Set()));
    let wake!: () => void;
    const done = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(() => cancel(), waitMs);
    const cancel = () => {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0 && waiters.get(name) === set) waiters.delete(name);
      wake();
    };
    set.add(wake);
    done.then(cancel, cancel);
    return { done, cancel };
  }

  async function fill<T, M>(name: string, steps: FillSteps<T, M>): Promise<Filled<T>> {
    const lockKey = keys.lock(name);
    const token = randomBytes(16).toString('base64url');
    const announced = waitFor(name);
    // One round trip: the lock attempt and a second look (someone may have filled it since our miss).
    const [locked, checked] = await Promise.all([
      within(redis.set(lockKey, token, 'PX', lockMs, 'NX'), timeoutMs, 'cache fill lock').catch(() => 'failed' as const),
      steps.check(),
    ]);
    if (checked.hit) {
      announced.cancel();
      if (locked === 'OK') void redis.releaseLock(lockKey, token).catch(() => {});
      return { value: checked.value, source: 'cache' };
    }

    if (locked === 'OK') {
      announced.cancel();
      const started = performance.now();
      let value: T;
      try {
        value = await steps.load();
      } catch (err) {
        // Tell the waiters now rather than let them time out; they will try SQL themselves.
        void Promise.all([redis.publish(channel, name), redis.releaseLock(lockKey, token)]).catch(() => {});
        throw err;
      }
      const fresh = performance.now() - started < lockMs;
      // Store, announce and unlock. One server runs them in the order sent, so they share one
      // round trip. On a Redis Cluster they go to different nodes, which keep no order between
      // them: a waiter woken before the store landed would miss and load SQL, so the announcement
      // waits for the store (one more round trip for the filler, none for the waiters).
      const store = fresh ? steps.store(value, checked.miss) : undefined;
      const announce = () => Promise.all([redis.publish(channel, name), redis.releaseLock(lockKey, token)]);
      const stored = redis.isCluster ? Promise.allSettled([store]).then(announce).then(() => store) : Promise.all([store, announce()]);
      await within(stored, timeoutMs, 'cache fill').catch((err: Error) => logger.warn('cache fill not stored', { name, err }));
      return { value, source: 'database' };
    }

    if (locked === 'failed' || checked.redisFailed) {
      // Redis is not answering: nobody will announce anything, and nothing can be stored.
      announced.cancel();
      return { value: await steps.load(), source: 'database' };
    }

    // Someone else holds the lock: wait for its message (or waitMs), then look again.
    await announced.done;
    const again = await steps.check();
    if (again.hit) return { value: again.value, source: 'cache' };
    return { value: await steps.load(), source: 'database' };
  }

  return {
    run<T, M>(name: string, steps: FillSteps<T, M>, viaRedis = true) {
      let flight = flights.get(name) as Promise<Filled<T>> | undefined;
      if (!flight) {
        const run = viaRedis ? fill(name, steps) : steps.load().then((value) => ({ value, source: 'database' as const }));
        flight = run.finally(() => flights.delete(name));
        flights.set(name, flight);
      }
      return flight;
    },
    start: () =>
      pubsub.subscribe(channel, (name) => {
        for (const wake of waiters.get(name) ?? []) wake();
      }),
  };
}

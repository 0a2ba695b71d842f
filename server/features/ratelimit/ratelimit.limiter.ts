import type { RedisClient } from '../../redis/client.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { TimeoutError } from '../../timeout.ts';

/** One window of a policy. */
export interface RateLimitWindow {
  /** Most units allowed in any interval of `windowMs`. */
  limit: number;
  /** Length of the window in milliseconds. */
  windowMs: number;
}

export interface RateLimitPolicy {
  /** Names the policy in keys, logs, stats and headers: `[a-z][a-z0-9-]*`. */
  name: string;
  /** Enforced together: a request must fit in every one (1 to 4 windows, distinct lengths). */
  windows: readonly RateLimitWindow[];
  /**
   * What a decision is when Redis does not answer within the timeout: `open` lets the request
   * through, `closed` refuses it.
   * @default 'open'
   */
  onRedisDown?: 'open' | 'closed';
}

/** A decision, with what the rate-limit headers need. */
export interface RateLimitResult {
  /** Whether the request may proceed (for `limit`, its units were recorded). */
  allowed: boolean;
  /** Limit of the window the figures below describe: the one that refused, else the tightest. */
  limit: number;
  /** Units left in that window after this decision: the fewest left in any window. */
  remaining: number;
  /** Milliseconds until that window frees a unit (refused: until it has room for this request). */
  resetMs: number;
  /** Milliseconds to wait before retrying; 0 when allowed. */
  retryAfterMs: number;
  /** The policy's name. */
  policy: string;
  /** Index in `policy.windows` of the window the figures describe. */
  window: number;
  /** Set when Redis did not answer in time and `onRedisDown` decided; the figures mean nothing then. */
  reason?: 'redis-unavailable';
}

/**
 * How a `limit` call ended. `fail_open` / `fail_closed`: Redis did not answer in time and the
 * policy's `onRedisDown` decided instead.
 */
export type LimiterOutcome = 'allowed' | 'refused' | 'fail_open' | 'fail_closed';

/** Decisions so far, by outcome. */
export type LimiterStats = Record<LimiterOutcome, number>;

export interface LimiterOptions {
  /** The command connection; it must have the sliding-window script defined (createRedis does). */
  redis: RedisClient;
  keys: Keys;
  policy: RateLimitPolicy;
  /**
   * Longest a decision waits for Redis; after it the policy's `onRedisDown` decides. Independent
   * of the connection's command timeout, which may be much longer.
   * @default 200
   */
  timeoutMs?: number;
  /** Where Redis outages are reported: one line when decisions start failing, one when they recover. */
  logger?: Logger;
  /** Called once per `limit` decision (not `peek`), e.g. to count it in metrics. */
  onDecision?: (outcome: LimiterOutcome) => void;
  /**
   * Most identities whose last refusal this instance keeps, to refuse their next requests without
   * asking Redis until a unit can have freed (see `createLimiter`); 0 asks Redis every time.
   * @default 10_000
   */
  heldRefusals?: number;
  /** Monotonic milliseconds, for the held refusals; tests replace it. @default performance.now */
  monotonicNow?: () => number;
}

export interface Limiter {
  readonly policy: RateLimitPolicy;
  /** Most units one request may cost: the smallest limit among the windows. */
  readonly capacity: number;
  readonly stats: Readonly<LimiterStats>;
  /** Of the `refused` decisions, those this instance answered from a held refusal, without Redis. */
  readonly refusedWithoutRedis: number;
  /**
   * Spends `cost` units of `identity`'s budget in every window, or none when any window is full.
   * Rejects only for a cost outside 1..capacity; when Redis fails or is slow, the result says so
   * (`reason`) instead.
   * @example
   * const r = await limiter.limit(`ip:${ip}`);
   * if (!r.allowed) throw new AppError('TOO_MANY_REQUESTS', 'Slow down', { retryAfter: Math.ceil(r.retryAfterMs / 1000) });
   */
  limit(identity: string, cost?: number): Promise<RateLimitResult>;
  /** What `limit(identity)` would decide, without spending or writing anything. */
  peek(identity: string): Promise<RateLimitResult>;
}

const policyName = /^[a-z][a-z0-9-]{0,31}$/;

/** `60000` -> `1m`: the suffix that tells a policy's window keys apart. */
export function windowLabel(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function checkPolicy(policy: RateLimitPolicy): void {
  const where = `rate-limit policy "${policy?.name}"`;
  if (!policyName.test(policy?.name ?? '')) throw new Error(`${where}: name must match ${policyName}`);
  const { windows } = policy;
  if (!Array.isArray(windows) || windows.length < 1 || windows.length > 4) throw new Error(`${where}: needs 1 to 4 windows`);
  for (const w of windows) {
    if (!Number.isSafeInteger(w.limit) || w.limit < 1) throw new Error(`${where}: limit must be an integer >= 1`);
    if (!Number.isSafeInteger(w.windowMs) || w.windowMs < 1) throw new Error(`${where}: windowMs must be an integer >= 1`);
  }
  if (new Set(windows.map((w) => w.windowMs)).size !== windows.length) throw new Error(`${where}: window lengths must differ`);
}

/** A refusal from Redis, held in process while it must still hold (see `createLimiter`). */
interface HeldRefusal {
  /** Requests of at least this many units are refused until `until`; smaller ones may fit. */
  cost: number;
  /** Monotonic ms: a safe bound under the moment Redis frees room for `cost` units. */
  until: number;
  /** Monotonic ms: that moment as Redis reported it (ms rounded up), for Retry-After. */
  freeAt: number;
  remaining: number;
  window: number;
}

/**
 * A sliding-window rate limiter for one policy: one Lua call (server/redis/scripts/sliding-window.lua)
 * per decision, exact across any number of app instances sharing the Redis.
 *
 * Held refusals: a refusal says the window has no room for `cost` units for `waitMs`, and nothing
 * but time frees room (a refusal records nothing, other requests only add units). So until then
 * the same identity's requests of at least `cost` units are refused from this process' memory,
 * without a round trip: still exact, across any number of instances, since a held refusal only
 * ever refuses what Redis would refuse too. The hold is measured on this process' monotonic clock
 * from when the request was sent, which is before Redis ran the script, and ends 1 ms before the
 * wait Redis reported (which is rounded up to whole ms): so it always ends before Redis' own
 * refusal would, whatever the skew between the app's and Redis' clocks. (Should Redis' clock jump
 * forward during a hold, units leave early by that jump and the hold may outlast them: a request
 * may be refused that Redis would have allowed, never the reverse.) At most `heldRefusals`
 * identities are held; when full, the oldest hold is dropped (its next request asks Redis).
 * @example
 * const login = createLimiter({ redis, keys, policy: { name: 'login', windows: [{ limit: 10, windowMs: 60_000 }], onRedisDown: 'closed' } });
 * const { allowed, remaining, retryAfterMs } = await login.limit('ip:203.0.113.7');
 */
export function createLimiter({ redis, keys, policy, timeoutMs = 200, logger, onDecision, heldRefusals = 10_000, monotonicNow = () => performance.now() }: LimiterOptions): Limiter {
  checkPolicy(policy);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new Error('createLimiter: timeoutMs must be an integer >= 1');
  if (!Number.isSafeInteger(heldRefusals) || heldRefusals < 0) throw new Error('createLimiter: heldRefusals must be an integer >= 0');
  const onRedisDown = policy.onRedisDown ?? 'open';
  // A one-window policy keeps the plain `ratelimit:<policy>:{<identity>}` key; several need a suffix each.
  const labels = policy.windows.length === 1 ? undefined : policy.windows.map((w) => windowLabel(w.windowMs));
  const windowArgs = policy.windows.flatMap((w) => [String(w.limit), String(w.windowMs)]);
  const capacity = Math.min(...policy.windows.map((w) => w.limit));
  const stats: LimiterStats = { allowed: 0, refused: 0, fail_open: 0, fail_closed: 0 };
  const held = new Map<string, HeldRefusal>();
  let refusedWithoutRedis = 0;
  let redisAnswers = true;

  function answered([allowed, remaining, waitMs, window]: [0 | 1, number, number, number]): RateLimitResult {
    if (!redisAnswers) {
      redisAnswers = true;
      logger?.info('rate limiting available again', { policy: policy.name });
    }
    return {
      allowed: allowed === 1,
      limit: policy.windows[window]!.limit,
      remaining,
      resetMs: waitMs,
      retryAfterMs: allowed === 1 ? 0 : waitMs,
      policy: policy.name,
      window,
    };
  }

  function failed(err: unknown): RateLimitResult {
    if (redisAnswers) {
      redisAnswers = false;
      logger?.warn(`rate limiting unavailable: failing ${onRedisDown}`, { policy: policy.name, err: (err as Error).message });
    }
    const allowed = onRedisDown === 'open';
    return { allowed, limit: capacity, remaining: 0, resetMs: 0, retryAfterMs: 0, policy: policy.name, window: 0, reason: 'redis-unavailable' };
  }

  /** Counts a `limit` decision, and holds a refusal Redis made (`sentAt`: when it was asked). */
  function decided(result: RateLimitResult, identity: string, cost: number, sentAt: number): RateLimitResult {
    const outcome: LimiterOutcome = result.reason
      ? result.allowed ? 'fail_open' : 'fail_closed'
      : result.allowed ? 'allowed' : 'refused';
    stats[outcome]++;
    onDecision?.(outcome);
    if (outcome === 'refused' && heldRefusals > 0 && result.retryAfterMs > 1) {
      // A Map iterates in insertion order: re-inserting keeps the oldest hold first, to give way.
      if (!held.delete(identity) && held.size >= heldRefusals) held.delete(held.keys().next().value!);
      const { remaining, window } = result;
      held.set(identity, { cost, until: sentAt + result.retryAfterMs - 1, freeAt: sentAt + result.retryAfterMs, remaining, window });
    }
    return result;
  }

  /** The held refusal of `identity` for a request of `cost` units at `now`, if one holds. */
  function holding(identity: string, cost: number, now: number): HeldRefusal | undefined {
    const hold = held.get(identity);
    if (hold === undefined) return undefined;
    if (now >= hold.until) {
      held.delete(identity);
      return undefined;
    }
    return cost >= hold.cost ? hold : undefined;
  }

  /**
   * One script call; `sentAt` (consume only) is when it was asked, for a held refusal. The
   * timeout is a timer per decision; its failure waits one more turn of the event loop
   * (setImmediate), so an answer that has already arrived while the process was busy is read
   * first and wins. A reply after the timeout is ignored.
   */
  function decide(identity: string, cost: number, sentAt?: number): Promise<RateLimitResult> {
    const mode = sentAt === undefined ? 'peek' : 'consume';
    const reply = labels === undefined
      ? redis.slidingWindow(1, keys.rateLimit(policy.name, identity), mode, cost, windowArgs[0]!, windowArgs[1]!)
      : redis.slidingWindow(labels.length, ...labels.map((label) => keys.rateLimit(policy.name, identity, label)), mode, cost, ...windowArgs);
    return new Promise((resolve) => {
      const settle = (result: RateLimitResult) => {
        clearTimeout(timer);
        timer = undefined;
        resolve(sentAt === undefined ? result : decided(result, identity, cost, sentAt));
      };
      let timer: NodeJS.Timeout | undefined = setTimeout(
        () =>
          setImmediate(() => {
            if (timer !== undefined) settle(failed(new TimeoutError(`rate-limit decision: no answer within ${timeoutMs} ms`)));
          }),
        timeoutMs,
      );
      reply.then(
        (answer) => {
          if (timer !== undefined) settle(answered(answer));
        },
        (err: unknown) => {
          if (timer !== undefined) settle(failed(err));
        },
      );
    });
  }

  return {
    policy,
    capacity,
    stats,
    get refusedWithoutRedis() {
      return refusedWithoutRedis;
    },
    limit(identity, cost = 1) {
      if (cost !== 1 && (!Number.isSafeInteger(cost) || cost < 1 || cost > capacity)) {
        return Promise.reject(new RangeError(`rate-limit policy "${policy.name}": cost must be an integer from 1 to ${capacity}, got ${cost}`));
      }
      const sentAt = monotonicNow();
      const hold = held.size === 0 ? undefined : holding(identity, cost, sentAt);
      if (hold !== undefined) {
        refusedWithoutRedis++;
        const waitMs = Math.ceil(hold.freeAt - sentAt);
        const result = { allowed: false, limit: policy.windows[hold.window]!.limit, remaining: hold.remaining, resetMs: waitMs, retryAfterMs: waitMs, policy: policy.name, window: hold.window };
        stats.refused++;
        onDecision?.('refused');
        return Promise.resolve(result);
      }
      return decide(identity, cost, sentAt);
    },
    peek: (identity) => decide(identity, 1),
  };
}

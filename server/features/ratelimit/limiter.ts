import type { RedisClient } from '../../redis/client.ts';
import { createPreflight, type Decision, type LimitPart, type Preflight } from '../../redis/preflight.ts';
import type { Logger } from '../../logger.ts';
import { memoize } from '../../memo.ts';
import type { Keys } from '../../redis/keys.ts';

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
  /** The command connection; it must have the preflight script defined (createRedis does). */
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
  /** Called once per decision, e.g. to count it in metrics. */
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
   * (`reason`) instead. Decisions issued in the same turn of the event loop share one Redis call.
   * @example
   * const r = await limiter.limit(`ip:${ip}`);
   * if (!r.allowed) throw new AppError('TOO_MANY_REQUESTS', 'Slow down', { retryAfter: Math.ceil(r.retryAfterMs / 1000) });
   */
  limit(identity: string, cost?: number): Promise<RateLimitResult>;
  /** What `limit(identity)` would decide, without spending or writing anything. */
  peek(identity: string): Promise<RateLimitResult>;
  /**
   * For a caller's own Redis call (the request preflight): the part that decides for
   * `sessionIdentity` when that call finds a session, else for `otherIdentity`.
   */
  part(cost: number, otherIdentity: string, sessionIdentity?: string): LimitPart;
  /** A refusal held in process for `identity` (see `createLimiter`): no Redis call needed. */
  held(identity: string, cost: number): RateLimitResult | undefined;
  /** The result of a `part` decision (null: Redis failed or was slow), counted and held like `limit`'s. */
  settle(decision: Decision | null, identity: string, cost: number, sentAt: number, err?: unknown): RateLimitResult;
  /** Monotonic ms, for `settle`'s `sentAt`. */
  now(): number;
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
  /** Monotonic ms: that moment as Redis reported it, for Retry-After. */
  freeAt: number;
  remaining: number;
  window: number;
}

/**
 * An exact sliding-window rate limiter for one policy, across any number of app instances sharing
 * the Redis: each window's log (server/redis/scripts/preflight.lua) holds the times of the units
 * inside it, read and written in place, so a decision costs the same whatever the log holds.
 *
 * Held refusals: a refusal says the window has no room for `cost` units for `waitMs`, and only
 * time frees room. Until then the identity's requests of at least `cost` units are refused from
 * memory, without Redis: still exact, since a hold ends (on this process' monotonic clock, from
 * before Redis decided) 1 ms before Redis' own refusal would. At most `heldRefusals` identities
 * are held; when full, the oldest hold is dropped.
 * @example
 * const login = createLimiter({ redis, keys, policy: { name: 'login', windows: [{ limit: 10, windowMs: 60_000 }], onRedisDown: 'closed' } });
 * const { allowed, remaining, retryAfterMs } = await login.limit('ip:203.0.113.7');
 */
export function createLimiter({ redis, keys, policy, timeoutMs = 200, logger, onDecision, heldRefusals = 10_000, monotonicNow = () => performance.now() }: LimiterOptions): Limiter {
  checkPolicy(policy);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new Error('createLimiter: timeoutMs must be an integer >= 1');
  if (!Number.isSafeInteger(heldRefusals) || heldRefusals < 0) throw new Error('createLimiter: heldRefusals must be an integer >= 0');
  const preflight: Preflight = createPreflight({ redis, timeoutMs });
  const onRedisDown = policy.onRedisDown ?? 'open';
  // A one-window policy keeps the plain key; several need a suffix each.
  const labels = policy.windows.length === 1 ? undefined : policy.windows.map((w) => windowLabel(w.windowMs));
  const keysOf = memoize((identity: string) =>
    labels === undefined ? [keys.rateLimit(policy.name, identity)] : labels.map((label) => keys.rateLimit(policy.name, identity, label)),
  );
  const capacity = Math.min(...policy.windows.map((w) => w.limit));
  const stats: LimiterStats = { allowed: 0, refused: 0, fail_open: 0, fail_closed: 0 };
  const held = new Map<string, HeldRefusal>();
  let refusedWithoutRedis = 0;
  let redisAnswers = true;

  function count(outcome: LimiterOutcome): void {
    stats[outcome]++;
    onDecision?.(outcome);
  }

  function failed(err: unknown): RateLimitResult {
    if (redisAnswers) {
      redisAnswers = false;
      logger?.warn(`rate limiting unavailable: failing ${onRedisDown}`, { policy: policy.name, err });
    }
    const allowed = onRedisDown === 'open';
    return { allowed, limit: capacity, remaining: 0, resetMs: 0, retryAfterMs: 0, policy: policy.name, window: 0, reason: 'redis-unavailable' };
  }

  function answered([allowed, remaining, waitMs, window]: Decision): RateLimitResult {
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

  function settle(decision: Decision | null, identity: string, cost: number, sentAt: number, err?: unknown): RateLimitResult {
    if (decision === null) {
      const result = failed(err);
      count(result.allowed ? 'fail_open' : 'fail_closed');
      return result;
    }
    const result = answered(decision);
    count(result.allowed ? 'allowed' : 'refused');
    if (!result.allowed && heldRefusals > 0 && result.retryAfterMs > 1) {
      // A Map iterates in insertion order: re-inserting keeps the oldest hold first, to give way.
      if (!held.delete(identity) && held.size >= heldRefusals) held.delete(held.keys().next().value!);
      const { remaining, window, retryAfterMs } = result;
      held.set(identity, { cost, until: sentAt + retryAfterMs - 1, freeAt: sentAt + retryAfterMs, remaining, window });
    }
    return result;
  }

  function heldRefusal(identity: string, cost: number): RateLimitResult | undefined {
    if (held.size === 0) return undefined;
    const hold = held.get(identity);
    if (hold === undefined) return undefined;
    const now = monotonicNow();
    if (now >= hold.until) {
      held.delete(identity);
      return undefined;
    }
    if (cost < hold.cost) return undefined;
    refusedWithoutRedis++;
    count('refused');
    const waitMs = Math.ceil(hold.freeAt - now);
    return { allowed: false, limit: policy.windows[hold.window]!.limit, remaining: hold.remaining, resetMs: waitMs, retryAfterMs: waitMs, policy: policy.name, window: hold.window };
  }

  function part(cost: number, otherIdentity: string, sessionIdentity?: string): LimitPart {
    return { cost, windows: policy.windows, otherKeys: keysOf(otherIdentity), sessionKeys: sessionIdentity === undefined ? undefined : keysOf(sessionIdentity) };
  }

  return {
    policy,
    capacity,
    stats,
    get refusedWithoutRedis() {
      return refusedWithoutRedis;
    },
    async limit(identity, cost = 1) {
      if (cost !== 1 && (!Number.isSafeInteger(cost) || cost < 1 || cost > capacity)) {
        throw new RangeError(`rate-limit policy "${policy.name}": cost must be an integer from 1 to ${capacity}, got ${cost}`);
      }
      const hold = heldRefusal(identity, cost);
      if (hold) return hold;
      const sentAt = monotonicNow();
      try {
        return settle(await preflight.limit({ keys: keysOf(identity), cost, windows: policy.windows }), identity, cost, sentAt);
      } catch (err) {
        return settle(null, identity, cost, sentAt, err);
      }
    },
    async peek(identity) {
      try {
        return answered(await preflight.limit({ keys: keysOf(identity), cost: 1, peek: true, windows: policy.windows }));
      } catch (err) {
        return failed(err);
      }
    },
    part,
    held: heldRefusal,
    settle,
    now: monotonicNow,
  };
}

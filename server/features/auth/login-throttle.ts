import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis/client.ts';
import { AppError } from '../../errors.ts';
import type { Keys } from '../../redis/keys.ts';
import { orUnavailable } from './session.store.ts';

/**
 * Brute-force protection for password checks: login attempts are counted per email and per
 * client address in Redis (login-attempt-1.lua, fixed window from the first attempt, TTL set in
 * the same script). An attempt is reserved before the password is checked and given back when it
 * succeeds, so only failures use up the budget and parallel guesses cannot overshoot it.
 *
 * Past half of either budget each attempt is slowed by `slowdownMs` (before the check, so a fast
 * answer does not mean a right password); past the whole budget it is refused with 429 and
 * Retry-After until the window ends. Self-contained on purpose: it does not depend on the
 * general request rate limiter.
 */
export interface LoginThrottleOptions {
  redis: RedisClient;
  keys: Keys;
  /** Failed attempts allowed per email per window (LOGIN_MAX_FAILURES). */
  maxPerEmail: number;
  /** Failed attempts allowed per client address per window (LOGIN_MAX_FAILURES_PER_IP). */
  maxPerIp: number;
  windowMs: number;
  slowdownMs: number;
}

export interface LoginAttempt {
  /** The password was right: give the reserved attempts back. */
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /** Reserves an attempt for this email and address, waiting first when slowed; throws 429 when refused. */
  begin(email: string, ip: string): Promise<LoginAttempt>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const { redis, keys } = opts;
  // Email addresses are hashed for the key name, so a dump does not list who was targeted.
  const emailKey = (email: string) => keys.loginAttempts('email', createHash('sha256').update(email).digest('hex'));
  const ipKey = (ip: string) => keys.loginAttempts('ip', ip);

  return {
    async begin(email, ip) {
      const counters = [
        { key: emailKey(email), limit: opts.maxPerEmail },
        { key: ipKey(ip), limit: opts.maxPerIp },
      ];
      // Two keys in two slots, so two scripts; auto-pipelining sends them in one round trip.
      const replies = await orUnavailable(Promise.all(counters.map((c) => redis.loginAttempt(c.key, opts.windowMs, c.limit))));
      const reserved = counters.filter((_, i) => replies[i]![0] === 1);
      const release = () => orUnavailable(Promise.all(reserved.map((c) => redis.loginAttemptRelease(c.key)))).then(() => {});

      if (reserved.length < counters.length) {
        // A refused attempt consumes nothing: give back what the other counter reserved.
        await release();
        const waitMs = Math.max(...replies.filter((r) => r[0] === 0).map((r) => r[2]));
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        throw new AppError('TOO_MANY_REQUESTS', `Too many failed logins: try again in ${retryAfter} s`, { retryAfter });
      }

      const slowed = replies.some(([, count], i) => count * 2 > counters[i]!.limit);
      if (slowed && opts.slowdownMs > 0) await sleep(opts.slowdownMs);
      return { succeeded: release };
    },
  };
}

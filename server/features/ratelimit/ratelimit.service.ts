import { rateLimitGroups, type Config, type RateLimitGroup } from '../../config.ts';
import type { ServiceDeps } from '../../deps.ts';
import { createLimiter, type Limiter, type LimiterStats, type RateLimitPolicy } from './limiter.ts';

/**
 * The policies the config describes, one per route group: `read` is the tutorial's 100 per 60 s
 * (RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_SECONDS); `write`, `login` and `register` have their own
 * stricter windows; RATE_LIMIT_FAIL_CLOSED names the groups refused while Redis is down.
 */
export function policiesFromConfig(config: Config): Record<RateLimitGroup, RateLimitPolicy> {
  const windows: Record<RateLimitGroup, RateLimitPolicy['windows']> = {
    read: [{ limit: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000 }],
    write: config.RATE_LIMIT_WRITE,
    login: config.RATE_LIMIT_LOGIN,
    register: config.RATE_LIMIT_REGISTER,
  };
  const closed = new Set<RateLimitGroup>(config.RATE_LIMIT_FAIL_CLOSED);
  return Object.fromEntries(
    rateLimitGroups.map((name) => [name, { name, windows: windows[name], onRedisDown: closed.has(name) ? 'closed' : 'open' }]),
  ) as Record<RateLimitGroup, RateLimitPolicy>;
}

export interface RateLimitService {
  /** One limiter per route group; the rate-limit middleware picks among them. */
  limiters: Readonly<Record<RateLimitGroup, Limiter>>;
  /** Decision counts by policy and outcome. */
  stats(): Record<RateLimitGroup, LimiterStats>;
}

export function createRateLimitService({ config, redis, keys, logger, metrics }: ServiceDeps): RateLimitService {
  const policies = policiesFromConfig(config);
  const limiters = Object.fromEntries(
    rateLimitGroups.map((g) => [g, createLimiter({
        redis,
        keys,
        policy: policies[g],
        timeoutMs: config.RATE_LIMIT_TIMEOUT_MS,
        logger,
        onDecision: (outcome) => metrics.rateLimitDecision(g, outcome),
      })]),
  ) as Record<RateLimitGroup, Limiter>;
  return {
    limiters,
    stats: () => Object.fromEntries(rateLimitGroups.map((g) => [g, { ...limiters[g].stats }])) as Record<RateLimitGroup, LimiterStats>,
  };
}

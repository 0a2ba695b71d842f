import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a cache lookup found. */
export type CacheOutcome = 'hit' | 'miss';

/**
 * What the rate limiter decided. `fail_open` / `fail_closed`: Redis could not be asked in time and
 * the policy's failure mode decided instead.
 */
export type RateLimitOutcome = 'allowed' | 'refused' | 'fail_open' | 'fail_closed';

/** Why sessions ended before their expiry. */
export type SessionRevokeReason = 'logout' | 'logout_all' | 'revoke' | 'password_change' | 'account_deleted';

/** How a Redis command failed: no answer in time, no connection, or an error reply from Redis. */
export type RedisFailureKind = 'timeout' | 'unavailable' | 'reply' | 'other';

/** Reads a backlog size when /metrics is scraped. Must be bounded in time (Redis commands are). */
export type BacklogMeasure = () => number | Promise<number>;

/**
 * The app's Prometheus metrics, one set per app (its own `Registry`, never prom-client's global
 * one, so two apps in one process count separately). Features record through the typed helpers
 * below; every label value is drawn from a small fixed set (route patterns, cache names, policy
 * names), never from request data, so the number of series stays bounded.
 */
export interface Metrics {
  /** For a feature's own metric that no helper below covers: pass `registers: [metrics.registry]`. */
  readonly registry: Registry;
  /** The Prometheus text exposition: this app's metrics, then the process-wide ones. */
  scrape(): Promise<string>;
  readonly contentType: string;
  /** One finished HTTP request; `route` is the matched pattern (`/posts/:id`), never the raw path. */
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** A lookup in the named cache (`post`, `post-list`, ...). */
  cacheLookup(cache: string, outcome: CacheOutcome): void;
  /** What `cacheLookup` counted since this app started, by cache (the admin site figures read it). */
  cacheLookups(): Promise<Record<string, Record<CacheOutcome, number>>>;
  /** One rate-limit decision under the named policy. */
  rateLimitDecision(policy: string, outcome: RateLimitOutcome): void;
  sessionCreated(): void;
  sessionsRevoked(reason: SessionRevokeReason, count?: number): void;
  /** Fed by `observeRedis` (server/metrics/redis.ts) for each connection it watches. */
  redisCommandFailed(connection: string, command: string, kind: RedisFailureKind): void;
  redisConnectionError(connection: string): void;
  redisReconnect(connection: string): void;
  /**
   * A background worker's backlog, read at scrape time: entries pending in a stream consumer
   * group, views counted in Redis but not yet flushed to SQL. A measure that fails (Redis down)
   * leaves its series out of that scrape rather than failing the scrape.
   * @example metrics.registerBacklog('view-flush', () => redis.hlen(keys.viewsPending()))
   */
  registerBacklog(worker: string, measure: BacklogMeasure): void;
}

/** Request latency buckets (seconds): most answers here take 1-50 ms; the tail goes to seconds. */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event-loop lag, GC) describe the process, not an app, so every
 * app in a process shares one registry of them. It is created on first use (never at import time);
 * each collector installs observers, which would pile up if every app made its own.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const requestDuration = new Histogram({
    name: 'blog_api_http_request_duration_seconds',
    help: 'HTTP requests by method, matched route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'blog_api_cache_lookups_total',
    help: 'Cache lookups by cache and outcome (hit or miss)',
    labelNames: ['cache', 'outcome'] as const,
    registers,
  });
  const rateLimitDecisions = new Counter({
    name: 'blog_api_rate_limit_decisions_total',
    help: 'Rate-limit decisions by policy and outcome',
    labelNames: ['policy', 'outcome'] as const,
    registers,
  });
  const sessionsCreated = new Counter({
    name: 'blog_api_sessions_created_total',
    help: 'Sessions created (successful logins)',
    registers,
  });
  const sessionsRevoked = new Counter({
    name: 'blog_api_sessions_revoked_total',
    help: 'Sessions ended before expiry, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const redisCommandErrors = new Counter({
    name: 'blog_api_redis_command_errors_total',
    help: 'Redis commands that failed, by connection, command and kind (timeout, unavailable, reply, other)',
    labelNames: ['connection', 'command', 'kind'] as const,
    registers,
  });
  const redisConnectionErrors = new Counter({
    name: 'blog_api_redis_connection_errors_total',
    help: "Redis connection errors (ioredis 'error' events), by connection",
    labelNames: ['connection'] as const,
    registers,
  });
  const redisReconnects = new Counter({
    name: 'blog_api_redis_reconnects_total',
    help: 'Redis reconnection attempts, by connection',
    labelNames: ['connection'] as const,
    registers,
  });

  const backlogs = new Map<string, BacklogMeasure>();
  new Gauge({
    name: 'blog_api_worker_backlog_items',
    help: 'Items a background worker has yet to process (stream entries pending, views not yet flushed), read at scrape time',
    labelNames: ['worker'] as const,
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        [...backlogs].map(async ([worker, measure]) => {
          try {
            this.set({ worker }, await measure());
          } catch {
            // Redis is down: no value is better than a stale or made-up one.
          }
        }),
      );
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    scrape: async () => (await registry.metrics()) + (await processMetrics().metrics()),
    observeRequest: ({ method, route, status }, seconds) =>
      requestDuration.observe({ method, route, status: String(status) }, seconds),
    cacheLookup: (cache, outcome) => cacheLookups.inc({ cache, outcome }),
    async cacheLookups() {
      const byCache: Record<string, Record<CacheOutcome, number>> = {};
      for (const { labels, value } of (await cacheLookups.get()).values) {
        const counts = (byCache[String(labels.cache)] ??= { hit: 0, miss: 0 });
        counts[labels.outcome as CacheOutcome] += value;
      }
      return byCache;
    },
    rateLimitDecision: (policy, outcome) => rateLimitDecisions.inc({ policy, outcome }),
    sessionCreated: () => sessionsCreated.inc(),
    sessionsRevoked: (reason, count = 1) => sessionsRevoked.inc({ reason }, count),
    redisCommandFailed: (connection, command, kind) => redisCommandErrors.inc({ connection, command, kind }),
    redisConnectionError: (connection) => redisConnectionErrors.inc({ connection }),
    redisReconnect: (connection) => redisReconnects.inc({ connection }),
    registerBacklog: (worker, measure) => {
      if (backlogs.has(worker)) throw new Error(`backlog measure "${worker}" is already registered`);
      backlogs.set(worker, measure);
    },
  };
}

import type { RedisClient } from './redis/client.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Db } from './db/db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { Keys } from './redis/keys.ts';
import type { Preflight } from './redis/preflight.ts';
import type { PubSub } from './redis/pubsub.ts';

/** Everything createApp is built from. Tests pass a real Redis and a throwaway database. */
export interface AppDeps {
  config: Config;
  redis: RedisClient;
  /** The app's one subscriber connection (`createSubscriber`), owned like `redis` by whoever built the deps. */
  subscriber: RedisClient;
  db: Db;
  clock: Clock;
  logger: Logger;
}

/** What services receive: the injected deps plus what is derived from them once. */
export interface ServiceDeps extends AppDeps {
  keys: Keys;
  startedAt: number;
  /** This app's Prometheus metrics: features record cache, session, rate-limit and backlog figures here. */
  metrics: Metrics;
  /** Dispatches the subscriber connection's messages to local handlers by channel. */
  pubsub: PubSub;
  /** The request path's Redis call: what one turn of the event loop asks leaves as one script call. */
  preflight: Preflight;
}

import { Hono } from 'hono';
import type { AppEnv } from './context.ts';
import type { AppDeps, ServiceDeps } from './deps.ts';
import { healthRoutes } from './features/health/health.routes.ts';
import { createClassifier } from './features/ratelimit/ratelimit.classify.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { notFound, onError } from './middleware/error-handler.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requestContext, type ClientAddressFn } from './middleware/request-context.ts';
import { createKeys } from './redis/keys.ts';
import { appRouter } from './router.ts';
import { createServices, type Services } from './services.ts';
import { trpcHandler } from './transport/trpc-handler.ts';

export interface AppOptions {
  /** How to find the peer address; the runtime entries pass their own. */
  clientAddress?: ClientAddressFn;
}

/** Background work an app owns; the entry starts it after listening and stops it on shutdown. */
export interface BackgroundTask {
  name: string;
  start(): void;
  /** Finishes the current unit of work (e.g. a last flush) and resolves when idle. */
  stop(): Promise<void>;
}

export interface BuiltApp {
  app: Hono<AppEnv>;
  services: Services;
  deps: ServiceDeps;
  background: BackgroundTask[];
}

/**
 * Builds the whole HTTP app from its dependencies. It opens no connection and starts no timer:
 * the caller owns `deps` and the lifecycle of `background`.
 */
export function createApp(appDeps: AppDeps, options: AppOptions = {}): BuiltApp {
  const deps: ServiceDeps = {
    ...appDeps,
    keys: createKeys(appDeps.config.REDIS_KEY_PREFIX),
    startedAt: appDeps.clock.now(),
  };
  const services = createServices(deps);
  const background: BackgroundTask[] = [];

  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound(notFound);
  const { config } = deps;
  app.use(requestContext({ logger: deps.logger, clientAddress: options.clientAddress, trustedProxies: config.TRUST_PROXY }));
  app.use(bodyLimit(config.BODY_LIMIT_BYTES));
  // The session middleware goes here: the limiter needs to know who is calling.
  if (config.RATE_LIMIT_ENABLED) {
    const classify = createClassifier({ trpcEndpoint: '/trpc', maxBatch: config.RATE_LIMIT_MAX_BATCH });
    app.use(rateLimit({ limiters: services.rateLimit.limiters, classify, clock: deps.clock }));
  }

  app.route('/', healthRoutes(services));
  app.all('/trpc/*', trpcHandler({ router: appRouter, deps, services, endpoint: '/trpc', maxBatchSize: config.RATE_LIMIT_MAX_BATCH }));

  return { app, services, deps, background };
}

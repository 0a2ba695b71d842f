import { Hono } from 'hono';
import type { AppEnv } from './http-env.ts';
import type { AppDeps, ServiceDeps } from './deps.ts';
import { analyticsRoutes } from './features/analytics/analytics.routes.ts';
import { authRoutes } from './features/auth/auth.routes.ts';
import { dashboardRoutes } from './features/dashboard/dashboard.routes.ts';
import { createDashboardService } from './features/dashboard/dashboard.service.ts';
import { usersRoutes } from './features/auth/users.routes.ts';
import { eventsRoutes } from './features/events/events.routes.ts';
import { healthRoutes } from './features/health/health.routes.ts';
import { postReads } from './features/posts/post-reads.ts';
import { geoRoutes } from './features/geo/geo.routes.ts';
import { postsRoutes } from './features/posts/posts.routes.ts';
import { trendingRoutes } from './features/trending/trending.routes.ts';
import { createMetrics } from './metrics/metrics.ts';
import { metricsRoutes } from './metrics/metrics.routes.ts';
import { observeRedis } from './metrics/redis.ts';
import { createClassifier } from './features/ratelimit/classify.ts';
import { activeUsers } from './middleware/active-users.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { corsAllowList } from './middleware/cors.ts';
import { notFound, onError } from './middleware/error-handler.ts';
import { preflight } from './middleware/preflight.ts';
import { requestContext, type ClientAddressFn } from './middleware/request-context.ts';
import { requestObserver } from './middleware/request-metrics.ts';
import { RememberingRouter } from './transport/remembering-router.ts';
import type { BackgroundTask, StartupTask } from './lifecycle.ts';
import { openApiRoutes } from './openapi/openapi.routes.ts';
import { routeDocs } from './openapi/routes.ts';
import { createKeys } from './redis/keys.ts';
import { createPreflight } from './redis/preflight.ts';
import { createPubSub } from './redis/pubsub.ts';
import { appRouter } from './router.ts';
import { createServices, type Services } from './services.ts';
import { trpcHandler } from './transport/trpc-handler.ts';

export interface AppOptions {
  /** How to find the peer address; the runtime entries pass their own. */
  clientAddress?: ClientAddressFn;
}

export interface BuiltApp {
  app: Hono<AppEnv>;
  services: Services;
  deps: ServiceDeps;
  background: BackgroundTask[];
  startup: StartupTask[];
}

/**
 * Builds the whole HTTP app from its dependencies. It opens no connection and starts no timer:
 * the caller owns `deps`, runs `startup` before serving and owns the lifecycle of `background`.
 */
export function createApp(appDeps: AppDeps, options: AppOptions = {}): BuiltApp {
  const deps: ServiceDeps = {
    ...appDeps,
    keys: createKeys(appDeps.config.REDIS_KEY_PREFIX),
    startedAt: appDeps.clock.now(),
    metrics: createMetrics(),
    pubsub: createPubSub(appDeps.subscriber, appDeps.logger),
    // One budget for the request's Redis call: neither the limiter nor the cache decides sooner than configured.
    preflight: createPreflight({
      redis: appDeps.redis,
      timeoutMs: Math.max(appDeps.config.RATE_LIMIT_TIMEOUT_MS, appDeps.config.POST_CACHE_TIMEOUT_MS),
    }),
  };
  observeRedis(deps.redis, deps.metrics);
  observeRedis(deps.subscriber, deps.metrics);
  const services = createServices(deps);
  // The live-events reader, the analytics consumer-group worker (counts per hour, activity) and
  // the posts feature's view flusher.
  const background: BackgroundTask[] = [
    services.events.hub,
    services.analytics.worker,
    services.trendingAnnouncer.task,
    ...services.posts.background,
  ];
  const startup: StartupTask[] = [
    { name: 'auth', run: () => services.auth.startup() },
    { name: 'posts', run: () => services.posts.startup() },
  ];

  const app = new Hono<AppEnv>({ router: new RememberingRouter() });
  app.onError(onError);
  app.notFound(notFound(routeDocs));
  const { config } = deps;
  app.use(
    requestContext({
      logger: deps.logger,
      clientAddress: options.clientAddress,
      trustedProxies: config.TRUST_PROXY,
      observe: requestObserver(deps.metrics),
    }),
  );
  // No allow-list: no CORS headers at all, the API is same-origin only.
  if (config.CORS_ORIGINS.length > 0) app.use(corsAllowList(config.CORS_ORIGINS));
  app.use(bodyLimit(config.BODY_LIMIT_BYTES, { trpcEndpoint: '/trpc' }));

  // Operational routes come before the preflight: Hono runs handlers and middleware in
  // registration order, and these answer without calling next(), so a probe or a scrape never
  // touches a session or a rate limit.
  app.route('/', healthRoutes(services.health));
  app.route('/', metricsRoutes(deps.metrics, config.METRICS_TOKEN));
  app.route('/', openApiRoutes(routeDocs));

  // One Redis call per request: the session, the rate-limit decision, the route's cached read.
  app.use(
    preflight({
      preflight: deps.preflight,
      sessions: services.auth.sessions,
      secureCookie: config.NODE_ENV !== 'development',
      allowedOrigins: config.CSRF_ALLOWED_ORIGINS,
      trustedProxies: config.TRUST_PROXY,
      rateLimit: config.RATE_LIMIT_ENABLED && {
        limiters: services.rateLimit.limiters,
        classify: createClassifier({ trpcEndpoint: '/trpc', maxBatch: config.RATE_LIMIT_MAX_BATCH }),
        clock: deps.clock,
      },
      reads: [postReads(services.posts, '/trpc')],
    }),
  );
  // Marks the caller active today, without a wait.
  app.use(activeUsers({ mark: services.analytics.markActive }));
  app.route('/', authRoutes(services.auth, config));
  app.route('/', usersRoutes(services.auth, config));
  // Before the posts routes: `/posts/trending` must win over `/posts/:id`.
  app.route('/', trendingRoutes(services.trending));
  app.route('/', eventsRoutes(services.events));
  app.route('/', analyticsRoutes(services.analytics));
  app.route('/', dashboardRoutes(createDashboardService({ ...services, clock: deps.clock })));
  app.route('/', postsRoutes(services.posts));
  app.route('/', geoRoutes(services.geo));
  app.all('/trpc/*', trpcHandler({ router: appRouter, deps, services, endpoint: '/trpc', maxBatchSize: config.RATE_LIMIT_MAX_BATCH }));

  return { app, services, deps, background, startup };
}

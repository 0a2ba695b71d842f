import type { ServiceDeps } from './deps.ts';
import { createAnalyticsService } from './features/analytics/analytics.service.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createEventsService } from './features/events/events.service.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createPostsService } from './features/posts/posts.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  return {
    health: createHealthService(deps),
    auth: createAuthService(deps),
    rateLimit: createRateLimitService(deps),
    posts: createPostsService(deps),
    events: createEventsService(deps),
    // Views come from the posts feature once it is wired in: createAnalyticsService(deps, { viewCounts }).
    analytics: createAnalyticsService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;

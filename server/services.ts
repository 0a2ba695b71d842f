import type { ServiceDeps } from './deps.ts';
import { createAnalyticsService } from './features/analytics/analytics.service.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createEventsService } from './features/events/events.service.ts';
import { publishPostEvents } from './features/events/post-events.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createPostsService } from './features/posts/posts.service.ts';
import { createGeoService } from './features/geo/geo.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';
import { createTrendingService } from './features/trending/trending.service.ts';

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  const posts = createPostsService(deps);
  const events = createEventsService(deps);
  const analytics = createAnalyticsService(deps, { viewCounts: { views: async (id) => (await posts.views(id)).views } });
  publishPostEvents(posts, events, deps.logger);
  return {
    health: createHealthService(deps),
    auth: createAuthService(deps),
    rateLimit: createRateLimitService(deps),
    posts,
    trending: createTrendingService(deps, posts),
    geo: createGeoService(deps, posts),
    events,
    analytics,
  };
}

export type Services = ReturnType<typeof createServices>;

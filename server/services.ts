import type { ServiceDeps } from './deps.ts';
import { createAnalyticsService } from './features/analytics/analytics.service.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createEventsService } from './features/events/events.service.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createPostsService } from './features/posts/posts.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';

/**
 * Builds every feature service once per app from the shared deps, and wires the features that
 * feed each other: post changes go to the event stream; a view's unique-visitor write (analytics)
 * rides in the posts feature's view round trip; analytics reads view counts from the posts feature.
 */
export function createServices(deps: ServiceDeps) {
  const events = createEventsService(deps);
  const posts = createPostsService(deps, {
    // Publishing never fails a write that committed: a lost event is logged (and counted by observeRedis).
    onChange: (event) =>
      void events.publish(event).catch((err: Error) => deps.logger.warn('post event not published', { type: event.type, err: err.message })),
    appendView: (pipeline, view) => analytics.appendView(pipeline, view),
  });
  const analytics = createAnalyticsService(deps, { viewCounts: { views: (postId) => posts.viewCount(postId) } });
  return {
    health: createHealthService(deps),
    auth: createAuthService(deps),
    rateLimit: createRateLimitService(deps),
    posts,
    events,
    analytics,
  };
}

export type Services = ReturnType<typeof createServices>;

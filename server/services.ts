import type { ServiceDeps } from './deps.ts';
import { createAnalyticsService } from './features/analytics/analytics.service.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createEventsService } from './features/events/events.service.ts';
import { createTrendingAnnouncer } from './features/events/trending-announcer.ts';
import { loginPublisher, publishPostEvents, publishViewEvents } from './features/events/event-producers.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createPostsService, type PostsService } from './features/posts/posts.service.ts';
import { AppError } from './errors.ts';
import { createGeoService } from './features/geo/geo.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';
import { createTrendingService } from './features/trending/trending.service.ts';

/** A post's views for analytics: one that does not exist (or no longer does) has had none. */
async function viewsOrZero(posts: PostsService, id: number): Promise<number> {
  try {
    return (await posts.views(id)).views;
  } catch (err) {
    if (err instanceof AppError && err.appCode === 'NOT_FOUND') return 0;
    throw err;
  }
}

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  const posts = createPostsService(deps);
  const events = createEventsService(deps);
  const analytics = createAnalyticsService(deps, { viewCounts: { views: (id) => viewsOrZero(posts, id) } });
  publishPostEvents(posts, events, deps.logger);
  publishViewEvents(posts, events, deps.logger);
  // A view's unique-visitor write rides in the posts feature's view send: no round trip of its own.
  posts.onViewSend(({ visits }, pipeline) => {
    for (const visit of visits) analytics.appendView(pipeline, visit);
  });
  const trending = createTrendingService(deps, posts);
  const trendingAnnouncer = createTrendingAnnouncer({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.logger,
    topTen: trending.topTen,
    intervalMs: deps.config.TRENDING_ANNOUNCE_MS,
    maxLen: deps.config.EVENT_STREAM_MAXLEN,
    onPublished: events.countPublished,
  });
  return {
    health: createHealthService(deps),
    auth: createAuthService(deps, {
      onLogin: loginPublisher(events, deps.logger),
      // An account's deletion takes its posts and its activity with it.
      accountData: { removeAllBy: posts.removeAllBy, keysOf: analytics.userKeys },
    }),
    rateLimit: createRateLimitService(deps),
    posts,
    trending,
    trendingAnnouncer,
    geo: createGeoService(deps, posts),
    events,
    analytics,
  };
}

export type Services = ReturnType<typeof createServices>;

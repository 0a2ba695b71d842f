import { analyticsRouter } from './features/analytics/analytics.router.ts';
import { authRouter } from './features/auth/auth.router.ts';
import { eventsRouter } from './features/events/events.router.ts';
import { healthProcedure } from './features/health/health.router.ts';
import { geoRouter } from './features/geo/geo.router.ts';
import { postsRouter } from './features/posts/posts.router.ts';
import { trendingRouter } from './features/trending/trending.router.ts';
import { createCallerFactory, router } from './trpc.ts';

/** The root router only puts the feature routers together. */
export const appRouter = router({
  health: healthProcedure,
  auth: authRouter,
  posts: postsRouter,
  trending: trendingRouter,
  geo: geoRouter,
  events: eventsRouter,
  analytics: analyticsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);

import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { AppEnv } from '../../server/http-env.ts';
import { healthRoutes } from '../../server/features/health/health.routes.ts';
import { healthProcedure } from '../../server/features/health/health.router.ts';
import { createClassifier } from '../../server/features/ratelimit/classify.ts';
import { notFound, onError } from '../../server/middleware/error-handler.ts';
import { preflight } from '../../server/middleware/preflight.ts';
import { requestContext } from '../../server/middleware/request-context.ts';
import { trpcHandler } from '../../server/transport/trpc-handler.ts';
import { publicProcedure, router } from '../../server/trpc.ts';
import type { Db } from '../../server/db/db.ts';
import { createTestApp, createTestDb, type TestApp, type TestAppOptions } from '../helpers/app.ts';

/**
 * The real app with rate limiting on (the stand-in routes are shadowed there by the real ones,
 * registered first; purpose-built apps below use them).
 * Pass `db` to share one database across a file's apps (PGlite takes a while to start).
 */
export async function createLimitedApp(env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const t = await createTestApp({ ...opts, env: { RATE_LIMIT_ENABLED: 'true', ...env } });
  addStandInRoutes(t.app);
  return t;
}

/**
 * For files that build an app per test: one database for the whole file, and each test's app
 * closed after it. Returns the builder (`createLimitedApp` on that database).
 */
export function limitedAppPerTest(): (env?: Record<string, string>) => Promise<TestApp> {
  let db: Db;
  let current: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(() => db.close());
  return async (env = {}) => (current = await createLimitedApp(env, { db }));
}

/** Tiny stand-ins for the tutorial's routes; registered after the middleware, so it applies to them. */
function addStandInRoutes(app: Hono<AppEnv>): void {
  app.get('/posts', (c) => c.json({ source: 'database', data: [] }));
  app.post('/posts', (c) => c.json({ id: 1 }, 201));
  app.post('/auth/login', (c) => c.json({ sessionId: 'stand-in', user: { id: 1, email: 'user@example.com' } }));
  app.post('/auth/register', (c) => c.json({ user: { id: 2, email: 'new@example.com' } }, 201));
}

/** How many times each stand-in procedure ran, to show that refused calls run nothing. */
export const procedureRuns = { list: 0, create: 0, login: 0 };

/** A router shaped like the one the feature branches will build, for the procedures the limiter classifies. */
export const testRouter = router({
  health: healthProcedure,
  posts: router({
    list: publicProcedure.query(() => (procedureRuns.list++, [])),
    create: publicProcedure.mutation(() => (procedureRuns.create++, { id: 1 })),
  }),
  auth: router({
    login: publicProcedure.mutation(() => (procedureRuns.login++, { sessionId: 'stand-in' })),
  }),
});
export type TestRouter = typeof testRouter;

/**
 * A purpose-built app from the real middleware and services of `t` (request context, the
 * preflight with its sessions and limiters) and `testRouter` at /trpc.
 */
export function purposeBuiltApp(t: TestApp): Hono<AppEnv> {
  const { config, logger, clock } = t.deps;
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound(notFound([]));
  app.use(requestContext({ logger, trustedProxies: config.TRUST_PROXY }));
  app.use(
    preflight({
      preflight: t.deps.preflight,
      sessions: t.services.auth.sessions,
      secureCookie: false,
      rateLimit: { limiters: t.services.rateLimit.limiters, classify: createClassifier({ maxBatch: config.RATE_LIMIT_MAX_BATCH }), clock },
    }),
  );
  addStandInRoutes(app);
  app.route('/', healthRoutes(t.services.health));
  app.all('/trpc/*', trpcHandler({ router: testRouter, deps: t.deps, services: t.services, endpoint: '/trpc', maxBatchSize: config.RATE_LIMIT_MAX_BATCH }));
  return app;
}

/** A live session for `userId` (no SQL user needed), as its Bearer header. */
export async function bearerFor(t: TestApp, userId: number): Promise<Record<string, string>> {
  const { token } = await t.services.auth.sessions.create({ userId, email: `${userId}@example.com`, ip: '127.0.0.1', userAgent: 'test' });
  return { authorization: `Bearer ${token}` };
}

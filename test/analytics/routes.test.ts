import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, createClient } from '../../client/index.ts';
import { siteAnalyticsSchema } from '../../shared/analytics.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { listen } from '../helpers/server.ts';
import { bearer, grantAdmin, login, register, scanKeys, type ErrorJson } from '../auth/helpers.ts';

// analytics.* over REST and tRPC: who may call what, what bad input answers.
let t: TestApp;
let admin: string;
let member: string;
beforeAll(async () => {
  t = await createTestApp();
  await register(t, 'boss@example.com');
  await grantAdmin(t, 'boss@example.com');
  await register(t, 'member@example.com');
  admin = (await login(t, 'boss@example.com', 'correct horse battery')).sessionId;
  member = (await login(t, 'member@example.com', 'correct horse battery')).sessionId;
});
afterAll(() => t.close());

const trpcGet = (path: string, input: unknown, headers: Record<string, string> = {}) =>
  jsonRequest(t.app, 'GET', `/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, undefined, headers);

interface TrpcError {
  error: { message: string; data: { httpStatus: number; appCode: string; details?: { field: string; message: string }[] } };
}

describe('analytics.post / GET /analytics/posts/:id', () => {
  it('answers anyone with views and unique visitors today and this week', async () => {
    await t.services.analytics.recordView({ postId: 7, session: null, clientIp: '192.0.2.1', userAgent: 'test' });
    await t.services.analytics.recordView({ postId: 7, session: { userId: 3 }, clientIp: '192.0.2.1', userAgent: 'test' });
    const res = await jsonRequest(t.app, 'GET', '/analytics/posts/7');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      postId: 7,
      day: new Date().toISOString().slice(0, 10),
      views: 0, // the posts feature's counter is not wired in yet: ViewCounts answers 0
      uniqueVisitors: { today: 2, last7Days: 2 },
    });
    const server = await listen(t.app);
    try {
      const api = createClient({ url: server.url });
      expect(await api.analytics.post.query({ id: 7 })).toMatchObject({ postId: 7, uniqueVisitors: { today: 2 } });
    } finally {
      await server.close();
    }
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999'])('refuses id %s with 400 naming `id` (REST and tRPC), writing nothing', async (id) => {
    const before = await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX);
    const res = await jsonRequest(t.app, 'GET', `/analytics/posts/${id}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details?.map((d) => d.field)).toEqual(['id']);

    const trpc = await trpcGet('analytics.post', { id });
    expect(trpc.status).toBe(400);
    const trpcBody = (await trpc.json()) as TrpcError;
    expect(trpcBody.error.data).toMatchObject({ appCode: 'VALIDATION_FAILED', details: [{ field: 'id' }] });
    expect(await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)).toEqual(before);
  });
});

describe('analytics.site / GET /analytics/site (admins only)', () => {
  it('refuses anonymous callers with 401 and members with 403, over REST and tRPC', async () => {
    const anonymous = await jsonRequest(t.app, 'GET', '/analytics/site');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ErrorJson).error.code).toBe('UNAUTHORIZED');
    const forbidden = await jsonRequest(t.app, 'GET', '/analytics/site', undefined, bearer(member));
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as ErrorJson).error).toMatchObject({ code: 'FORBIDDEN', message: 'Admin role required' });

    expect((await trpcGet('analytics.site', undefined)).status).toBe(401);
    const trpc = await trpcGet('analytics.site', undefined, bearer(member));
    expect(trpc.status).toBe(403);
    expect(((await trpc.json()) as TrpcError).error.data).toMatchObject({ appCode: 'FORBIDDEN', httpStatus: 403 });

    const server = await listen(t.app);
    try {
      const err = await createClient({ url: server.url, token: member }).analytics.site.query().catch((e: unknown) => e);
      expect(apiError(err)).toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      await server.close();
    }
  });

  it('answers admins with DAU, retention, events per hour, cache hit rate and Redis memory', async () => {
    const weekCache = async () => (await t.deps.metrics.cacheLookups())['post-uniques-week'] ?? { hit: 0, miss: 0 };
    const before = await weekCache();
    await jsonRequest(t.app, 'GET', '/analytics/posts/8'); // a week-cache miss, then a hit
    await jsonRequest(t.app, 'GET', '/analytics/posts/8');
    const after = await weekCache();
    expect([after.hit - before.hit, after.miss - before.miss]).toEqual([1, 1]);
    const res = await jsonRequest(t.app, 'GET', '/analytics/site', undefined, bearer(admin));
    expect(res.status).toBe(200);
    const site = siteAnalyticsSchema.parse(await res.json());
    // Both logged-in users made authenticated requests today.
    expect(site.activeUsers.today).toBe(2);
    expect(site.activeUsers.last7Days).toHaveLength(7);
    expect(site.eventsPerHour).toHaveLength(24);
    expect(site.cache.byCache['post-uniques-week']).toEqual({ hits: after.hit, misses: after.miss });
    expect(site.cache.hitRate).toBeCloseTo(after.hit / (after.hit + after.miss));
    expect(site.redis.nodes).toBe(1); // one Redis server (on a cluster: its masters, test/cluster)
    expect(site.redis.usedMemoryBytes).toBeGreaterThan(0);
    expect(site.redis.maxMemoryPolicy).toMatch(/^[a-z-]+$/);
    expect(site.redis.evictedKeys).toBeGreaterThanOrEqual(0);

    const trpc = await trpcGet('analytics.site', undefined, bearer(admin));
    expect(trpc.status).toBe(200);
  });
});

describe('when Redis is down', () => {
  it('answers 503, not 500', async () => {
    const redis = await startProcessRedis();
    const down = await createTestApp({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '200' } });
    try {
      await redis.stop();
      const res = await jsonRequest(down.app, 'GET', '/analytics/posts/1');
      expect(res.status).toBe(503);
      expect(((await res.json()) as ErrorJson).error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await down.close();
    }
  });
});

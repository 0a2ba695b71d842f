import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { postPageSchema, postResultSchema } from '../../shared/posts.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { author, createPost, getJson } from './helpers.ts';

// This file stops and restarts its own redis-server (with an append-only file, so what Redis held
// before the outage is still there after it, as with a production Redis), never the shared one.
let redis: Awaited<ReturnType<typeof startProcessRedis>>;
let t: TestApp;
const dir = mkdtempSync(join(tmpdir(), 'blog-posts-outage-'));

beforeAll(async () => {
  redis = await startProcessRedis({ appendOnly: true, dir });
  t = await createTestApp({ redisUrl: redis.url });
});
afterAll(async () => {
  await t.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const timedGet = async (path: string, headers: Record<string, string> = {}) => {
  const started = performance.now();
  const res = await jsonRequest(t.app, 'GET', path, undefined, headers);
  return { status: res.status, body: (await res.json()) as unknown, ms: performance.now() - started };
};

describe('Redis stopped mid-test', () => {
  it('reads keep working from SQL, authenticated calls get 503, an SQL update made during the outage is served fresh afterwards, flushed views are kept', async () => {
    const writer = await author(t, 'outage@example.com');
    const post = await createPost(t, writer.auth, { title: 'before the outage', content: 'c', tags: ['outage'] });
    for (let i = 0; i < 5; i++) await jsonRequest(t.app, 'GET', `/posts/${post.id}`);
    expect(postResultSchema.parse((await timedGet(`/posts/${post.id}`)).body).source).toBe('cache');
    await t.services.posts.internals.views.flush(); // 6 views now durable in SQL
    await jsonRequest(t.app, 'GET', `/posts/${post.id}`);
    await jsonRequest(t.app, 'GET', `/posts/${post.id}`);
    await t.services.posts.internals.recorder.send(); // 2 more, still pending in Redis
    expect((await timedGet(`/posts/${post.id}/views`)).body).toEqual({ postId: post.id, views: 8 });
    const generationBefore = t.services.posts.internals.generation.current()!;
    const staleEntry = t.deps.keys.postEntry(generationBefore, post.id);
    expect(await t.redis.get(staleEntry)).toMatch(/"before the outage"/);

    await redis.stop();
    await waitFor(() => t.redis.status !== 'ready', { what: 'the connection drops' });

    // Reads: served from SQL, fast, whatever the route.
    const one = await timedGet(`/posts/${post.id}`);
    expect(one.status).toBe(200);
    expect(postResultSchema.parse(one.body)).toMatchObject({ source: 'database', data: { title: 'before the outage' } });
    expect(one.ms).toBeLessThan(1000);
    for (const path of ['/posts', '/posts?tags=outage', '/posts?tags=outage,other&tagMode=any', `/users/${writer.id}/posts`]) {
      const res = await timedGet(path);
      expect(res.status, path).toBe(200);
      expect(postPageSchema.parse(res.body)).toMatchObject({ source: 'database', data: [{ id: post.id }] });
      expect(res.ms, path).toBeLessThan(1000);
    }
    // The views flushed to SQL before the outage are all there (the 2 still in Redis come back with it).
    expect((await timedGet(`/posts/${post.id}/views`)).body).toEqual({ postId: post.id, views: 6 });
    expect((await timedGet('/posts/trending')).body).toEqual([]);
    // A view during the outage cannot be recorded: dropped and counted, never an unhandled rejection.
    await t.services.posts.internals.recorder.send();
    expect(sample(await scrape(t.app), 'blog_api_post_views_dropped_total')).toBeGreaterThan(0);

    // Writes need the session, which lives in Redis: 503 with a clear code, within the command timeout.
    const rowsBefore = await t.db.query('select * from posts order by id');
    for (const [method, path, body] of [
      ['POST', '/posts', { title: 'new', content: 'c' }],
      ['PUT', `/posts/${post.id}`, { title: 'changed' }],
      ['DELETE', `/posts/${post.id}`, undefined],
    ] as const) {
      const started = performance.now();
      const res = await jsonRequest(t.app, method, path, body, writer.auth);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(errorResponseSchema.parse(await res.json()).error.code).toBe('SERVICE_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(await t.db.query('select * from posts order by id')).toEqual(rowsBefore);

    // Someone changes the post in SQL while Redis is away: no invalidation can reach Redis.
    await t.db.query(`update posts set title = 'changed during the outage', version = version + 1, updated_at = now() where id = $1`, [post.id]);

    redis = await startProcessRedis({ port: redis.port, dir, appendOnly: true });
    await waitFor(() => t.services.posts.internals.generation.current() !== null, { what: 'the cache is in use again' });
    expect(postResultSchema.parse((await timedGet(`/posts/${post.id}`)).body)).toMatchObject({ source: 'database', data: { title: 'changed during the outage' } });
    expect(postResultSchema.parse((await timedGet(`/posts/${post.id}`)).body)).toMatchObject({ source: 'cache', data: { title: 'changed during the outage' } });
    // The pre-outage entry survived in Redis, unreachable: the new generation is what keeps it from being served.
    expect(t.services.posts.internals.generation.current()).toBe(generationBefore + 1);
    expect(await t.redis.get(staleEntry)).toMatch(/"before the outage"/);

    // Views: the durable 6, the 2 Redis kept, and the 2 reads just now; the ones during the outage were dropped.
    expect((await timedGet(`/posts/${post.id}/views`)).body).toEqual({ postId: post.id, views: 10 });
    await t.services.posts.internals.views.flush();
    expect(Number((await t.db.query<{ views: number }>('select views from posts where id = $1', [post.id]))[0]?.views)).toBe(10);

    // And writes work again.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${post.id}`, { title: 'after' }, writer.auth)).status).toBe(200);
    expect(postResultSchema.parse((await timedGet(`/posts/${post.id}`)).body).data.title).toBe('after');
  });
});

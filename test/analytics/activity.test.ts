import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityItemSchema } from '../../shared/analytics.ts';
import type { AppEvent } from '../../shared/events.ts';
import { pushActivity } from '../../server/features/analytics/activity.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, login, register, type ErrorJson } from '../auth/helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { produce } from './helpers.ts';

// Per-user recent activity: a list per user (LPUSH + LTRIM to 100), written by the stream worker.
let t: TestApp;
let user: { id: number; token: string };
beforeAll(async () => {
  t = await createTestApp({ env: { ANALYTICS_CLAIM_MIN_IDLE_MS: '200' } });
  const { id } = await register(t, 'writer@example.com');
  user = { id, token: (await login(t, 'writer@example.com', 'correct horse battery')).sessionId };
  t.services.analytics.worker.start();
  // The login above wrote a `user.login` event: once the worker has counted it, start from an empty list.
  await waitFor(() => t.services.analytics.stats().events.counted === 1, { timeoutMs: 20_000, what: 'the login event is counted' });
  await t.redis.del(t.deps.keys.activity(id));
});
afterAll(() => t.close());

async function produceAndWait(events: AppEvent[]): Promise<string[]> {
  const before = t.services.analytics.stats().events.counted;
  const ids = await produce(t.redis, t.deps.keys, events);
  await waitFor(() => t.services.analytics.stats().events.counted === before + events.length, { timeoutMs: 20_000, what: 'the worker has counted them' });
  return ids;
}

const activity = async (query = '') => {
  const res = await jsonRequest(t.app, 'GET', `/analytics/me/activity${query}`, undefined, bearer(user.token));
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { id: string; type: string; postId?: number; title?: string }[] }).items;
};

describe('recent activity (lists)', () => {
  it("records what the user did, newest first, and nothing for events that name no actor (views, trending)", async () => {
    const ids = await produceAndWait([
      { type: 'user.login', userId: user.id },
      { type: 'post.created', postId: 10, authorId: user.id, title: 'Hello' },
      { type: 'post.viewed', postId: 10, authorId: user.id, views: 1 },
      { type: 'post.updated', postId: 10, authorId: user.id, title: 'Hello again' },
      { type: 'trending.changed', window: '1h', postIds: [10] },
      { type: 'post.deleted', postId: 10, authorId: user.id },
      { type: 'user.login', userId: user.id + 1 },
    ]);
    const items = await activity();
    expect(items.map((i) => i.id)).toEqual([ids[5], ids[3], ids[1], ids[0]]);
    expect(items.map((i) => i.type)).toEqual(['post.deleted', 'post.updated', 'post.created', 'user.login']);
    expect(items[1]).toMatchObject({ postId: 10, title: 'Hello again' });
    for (const item of items) expect(activityItemSchema.parse(item)).toEqual(item);
    const key = t.deps.keys.activity(user.id);
    expect(key).toBe(`${t.config.REDIS_KEY_PREFIX}activity:{u:${user.id}}`);
    expect(await t.redis.pttl(key)).toBeGreaterThan(30 * 86_400_000 - 60_000);
  });

  it('keeps the 100 most recent entries (LTRIM), and answers at most `limit` of them', async () => {
    const events: AppEvent[] = Array.from({ length: 150 }, () => ({ type: 'user.login', userId: user.id }));
    const ids = await produceAndWait(events);
    expect(await t.redis.llen(t.deps.keys.activity(user.id))).toBe(100);
    expect((await activity('?limit=100')).map((i) => i.id)).toEqual(ids.slice(-100).reverse());
    expect(await activity()).toHaveLength(20);
    expect((await activity('?limit=3')).map((i) => i.id)).toEqual(ids.slice(-3).reverse());
    // The same over tRPC.
    const res = await jsonRequest(t.app, 'GET', `/trpc/analytics.myActivity?input=${encodeURIComponent(JSON.stringify({ limit: 2 }))}`, undefined, bearer(user.token));
    expect(((await res.json()) as { result: { data: { items: { id: string }[] } } }).result.data.items.map((i) => i.id)).toEqual(ids.slice(-2).reverse());
    const noInput = await jsonRequest(t.app, 'GET', '/trpc/analytics.myActivity', undefined, bearer(user.token));
    expect(((await noInput.json()) as { result: { data: { items: unknown[] } } }).result.data.items).toHaveLength(20);
  });

  it('writes an entry once even when its event is handled twice, and answers in event order whatever the write order', async () => {
    const key = t.deps.keys.activity(999);
    const entry = (id: string) => JSON.stringify({ id, type: 'user.login', at: new Date(Number(id.split('-')[0])).toISOString() });
    expect(await pushActivity(t.redis, t.deps.keys, 999, entry('2000-0'))).toBe(1);
    expect(await pushActivity(t.redis, t.deps.keys, 999, entry('2000-0'))).toBe(0);
    // A reclaimed event is written after newer ones.
    expect(await pushActivity(t.redis, t.deps.keys, 999, entry('1000-5'))).toBe(1);
    expect(await t.redis.llen(key)).toBe(2);
    expect((await t.services.analytics.myActivity(999, 10)).items.map((i) => i.id)).toEqual(['2000-0', '1000-5']);
  });

  it('refuses anonymous callers (401) and a bad limit (400 naming it)', async () => {
    expect((await jsonRequest(t.app, 'GET', '/analytics/me/activity')).status).toBe(401);
    for (const limit of ['0', '101', 'ten', '2.5']) {
      const res = await jsonRequest(t.app, 'GET', `/analytics/me/activity?limit=${limit}`, undefined, bearer(user.token));
      expect(res.status, limit).toBe(400);
      const body = (await res.json()) as ErrorJson;
      expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'limit', message: 'expected an integer from 1 to 100' }] });
    }
  });
});

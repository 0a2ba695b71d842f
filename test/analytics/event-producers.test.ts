import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityItemSchema } from '../../shared/analytics.ts';
import { appEventSchema, type AppEvent } from '../../shared/events.ts';
import { lastHours } from '../../server/features/analytics/calendar.ts';
import { bearer, login, register } from '../auth/helpers.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { countsByType } from './helpers.ts';

// The features that write `user.login` and `post.viewed` to the event stream, and what the
// analytics worker makes of them.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The stream's events, oldest first. */
async function streamEvents(): Promise<AppEvent[]> {
  const entries = (await t.redis.xrange(t.deps.keys.events(), '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => appEventSchema.parse(JSON.parse(fields[3]!)));
}

describe('producers of the event stream', () => {
  it('a successful login writes one `user.login` with the user id (and nothing else about them); a failed one writes none', async () => {
    const user = await register(t, 'producer-login@example.com', 'password-login');
    const before = (await streamEvents()).length;

    const refused = await jsonRequest(t.app, 'POST', '/auth/login', { email: 'producer-login@example.com', password: 'wrong password' });
    expect(refused.status).toBe(401);
    await login(t, 'producer-login@example.com', 'password-login');

    await waitFor(async () => (await streamEvents()).length > before, { timeoutMs: 20_000, what: 'the login event is in the stream' });
    const written = (await streamEvents()).slice(before);
    expect(written).toEqual([{ type: 'user.login', userId: user.id }]);
    const [, fields] = ((await t.redis.xrevrange(t.deps.keys.events(), '+', '-', 'COUNT', 1)) as [string, string[]][])[0]!;
    expect(fields.join(' ')).not.toContain('producer-login@example.com');
  });

  it('reads of a post write `post.viewed` entries whose views add up to the reads, batched per send, and the worker counts the views', async () => {
    await register(t, 'producer-views@example.com', 'password-views');
    const { sessionId } = await login(t, 'producer-views@example.com', 'password-views');
    const created = await jsonRequest(t.app, 'POST', '/posts', { title: 'Viewed', content: 'often' }, bearer(sessionId));
    const { id } = (await created.json()) as { id: number };
    const before = (await streamEvents()).length;

    const reads = await Promise.all(Array.from({ length: 25 }, () => jsonRequest(t.app, 'GET', `/posts/${id}`)));
    expect(reads.map((r) => r.status)).toEqual(Array(25).fill(200));
    await t.services.posts.sendViews();

    const viewed = (await streamEvents()).slice(before).filter((e) => e.type === 'post.viewed');
    expect(viewed.every((e) => e.postId === id)).toBe(true);
    expect(viewed.reduce((n, e) => n + e.views, 0)).toBe(25);
    // Concurrent reads share sends: far fewer entries than reads.
    expect(viewed.length).toBeLessThan(25);

    // The worker counts `post.viewed` by the views each entry stands for, and the login in the user's activity.
    t.services.analytics.worker.start();
    const hours = lastHours(Date.now(), 2);
    await waitFor(async () => ((await countsByType(t.redis, t.deps.keys, hours))['post.viewed'] ?? 0) >= 25, { timeoutMs: 20_000, what: 'the worker has counted the views' });
    expect((await countsByType(t.redis, t.deps.keys, hours))['post.viewed']).toBe(25);
    const activity = await jsonRequest(t.app, 'GET', '/analytics/me/activity', undefined, bearer(sessionId));
    const items = ((await activity.json()) as { items: unknown[] }).items.map((item) => activityItemSchema.parse(item));
    expect(items.map((i) => i.type)).toEqual(['post.created', 'user.login']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEventSchema } from '../../shared/events.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { author, createPost } from './helpers.ts';

// How the posts feature feeds the others (server/services.ts): post changes on the event stream,
// unique visitors written with the view counters, view counts read by analytics.
let t: TestApp;
let writer: Awaited<ReturnType<typeof author>>;
beforeAll(async () => {
  t = await createTestApp();
  writer = await author(t, 'wired@example.com');
});
afterAll(() => t.close());

const streamEvents = async () =>
  (await t.redis.xrange(t.deps.keys.events(), '-', '+')).map(([, fields]) => appEventSchema.parse(JSON.parse(fields[fields.indexOf('data') + 1]!)));

describe('post changes on the event stream', () => {
  it('created, updated and deleted are written after their commit; views are not', async () => {
    const post = await createPost(t, writer.auth, { title: 'streamed', content: 'c' });
    await jsonRequest(t.app, 'GET', `/posts/${post.id}`);
    expect((await jsonRequest(t.app, 'PUT', `/posts/${post.id}`, { title: 'streamed, edited' }, writer.auth)).status).toBe(200);
    expect((await jsonRequest(t.app, 'DELETE', `/posts/${post.id}`, undefined, writer.auth)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50)); // publishing is not awaited by the request
    const mine = (await streamEvents()).filter((e) => 'postId' in e && e.postId === post.id);
    expect(mine).toEqual([
      { type: 'post.created', postId: post.id, authorId: writer.id, title: 'streamed' },
      { type: 'post.updated', postId: post.id, authorId: writer.id, title: 'streamed, edited' },
      { type: 'post.deleted', postId: post.id, authorId: writer.id },
    ]);
  });

  it('a refused write publishes nothing', async () => {
    const other = await author(t, 'not-the-author@example.com');
    const post = await createPost(t, writer.auth, { title: 'mine', content: 'c' });
    const before = (await streamEvents()).length;
    expect((await jsonRequest(t.app, 'PUT', `/posts/${post.id}`, { title: 'x' }, other.auth)).status).toBe(403);
    expect((await jsonRequest(t.app, 'POST', '/posts', { title: '' }, writer.auth)).status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    expect((await streamEvents()).length).toBe(before);
  });
});

describe('analytics.post', () => {
  it('counts the views the posts feature recorded, and their distinct viewers as unique visitors', async () => {
    const post = await createPost(t, writer.auth, { title: 'analysed', content: 'c' });
    for (let i = 0; i < 3; i++) await jsonRequest(t.app, 'GET', `/posts/${post.id}`); // one anonymous visitor, 3 views
    await jsonRequest(t.app, 'GET', `/posts/${post.id}`, undefined, writer.auth); // a logged-in one
    await t.services.posts.internals.recorder.send();
    expect(await t.services.analytics.post(post.id)).toMatchObject({ postId: post.id, views: 4, uniqueVisitors: { today: 2, last7Days: 2 } });
    await expect(t.services.analytics.post(987_654)).rejects.toMatchObject({ appCode: 'NOT_FOUND' });
  });
});

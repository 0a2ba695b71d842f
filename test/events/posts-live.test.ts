import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, jsonRequest, testPrefix } from '../helpers/app.ts';
import type { Db } from '../../server/db/db.ts';
import { bearer, register, login } from '../auth/helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

// Two instances on one Redis, one key prefix and one SQL store, as two processes behind a load balancer.
let db: Db;
let a: LiveApp;
let b: LiveApp;
beforeAll(async () => {
  db = await createTestDb();
  const env = { REDIS_KEY_PREFIX: testPrefix() };
  a = await startLiveApp({ env, db });
  b = await startLiveApp({ env, db });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.close();
});

describe('post writes reach live subscribers', () => {
  it('a subscriber on B receives, in order, the posts created, updated and deleted through A; no email in any event', async () => {
    await register(a, 'live-author@example.com', 'password-live-1');
    const { sessionId, user } = await login(a, 'live-author@example.com', 'password-live-1');
    const sub = subscribePosts(client(b.url));
    await waitFor(() => b.services.events.stats().subscribers === 1, { timeoutMs: 5000, what: 'B has the subscriber' });

    const created = await jsonRequest(a.app, 'POST', '/posts', { title: 'Live one', content: 'first' }, bearer(sessionId));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await jsonRequest(a.app, 'PUT', `/posts/${id}`, { title: 'Live one, edited' }, bearer(sessionId))).status).toBe(200);
    expect((await jsonRequest(a.app, 'DELETE', `/posts/${id}`, undefined, bearer(sessionId))).status).toBe(200);

    await waitFor(() => sub.received.length === 3, { timeoutMs: 5000, what: 'three post events arrive on B' });
    expect(sub.received.map((r) => r.data)).toEqual([
      expect.objectContaining({ type: 'post.created', postId: id, authorId: user.id, title: 'Live one' }),
      expect.objectContaining({ type: 'post.updated', postId: id, authorId: user.id, title: 'Live one, edited' }),
      expect.objectContaining({ type: 'post.deleted', postId: id, authorId: user.id }),
    ]);
    expect(JSON.stringify(sub.received)).not.toContain('live-author@example.com');
    expect(sub.errors).toEqual([]);
    sub.unsubscribe();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postAnalyticsSchema } from '../../shared/analytics.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer, login, register } from '../auth/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await Promise.all(t.startup.map((task) => task.run()));
});
afterAll(() => t.close());

async function postAnalytics(id: number) {
  const res = await t.app.request(`/analytics/posts/${id}`);
  expect(res.status).toBe(200);
  return postAnalyticsSchema.parse(await res.json());
}

describe('reading a post feeds its analytics', () => {
  it('each distinct visitor of GET /posts/:id counts once in today\'s uniques, and views come from the posts feature', async () => {
    await register(t, 'viewed-author@example.com', 'password-viewed');
    const { sessionId } = await login(t, 'viewed-author@example.com', 'password-viewed');
    const created = await jsonRequest(t.app, 'POST', '/posts', { title: 'Seen', content: 'by a few' }, bearer(sessionId));
    const { id } = (await created.json()) as { id: number };

    const read = (headers: Record<string, string>) => jsonRequest(t.app, 'GET', `/posts/${id}`, undefined, headers);
    expect((await read({ 'user-agent': 'agent-a' })).status).toBe(200);
    expect((await read({ 'user-agent': 'agent-a' })).status).toBe(200);
    expect((await read({ 'user-agent': 'agent-b' })).status).toBe(200);
    expect((await read({ ...bearer(sessionId), 'user-agent': 'agent-a' })).status).toBe(200);

    // The visitor is recorded after the answer, without a wait: poll.
    const stats = await waitFor(async () => {
      const now = await postAnalytics(id);
      return now.uniqueVisitors.today >= 3 && now;
    }, { what: 'three unique visitors are counted' });
    expect(stats.uniqueVisitors.today).toBe(3);
    expect(stats.views).toBe(4);
  });
});

import { serve } from '@hono/node-server';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, sseReader, startLiveApp, subscribePosts, type LiveApp, type WireEvent } from './helpers.ts';

let t: LiveApp;
beforeAll(async () => {
  t = await startLiveApp();
});
afterAll(() => t.close());

const publishPosts = async (from: number, count: number) => {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await t.services.events.publish(postCreated(i)));
  return ids;
};
const subscribers = () => t.services.events.stats().subscribers;

describe('resume over tRPC', () => {
  it('reconnecting with the last id delivers exactly the events missed, then live ones, no duplicates', async () => {
    const api = client(t.url);
    const first = subscribePosts(api);
    await waitFor(() => subscribers() === 1, { timeoutMs: 5000, what: 'the first subscription is open' });
    const [seenId] = await publishPosts(1, 1);
    await waitFor(() => first.received.length === 1);
    first.unsubscribe();
    await waitFor(() => subscribers() === 0, { timeoutMs: 5000, what: 'the server notices the disconnect' });

    const missed = await publishPosts(2, 5);
    const again = subscribePosts(api, first.received[0]!.id);
    expect(first.received[0]!.id).toBe(seenId);
    await waitFor(() => again.received.length === 5, { timeoutMs: 5000, what: 'the 5 missed events arrive' });
    // A live event after the replay: it must come next, and nothing else may sneak in.
    const [live] = await publishPosts(7, 1);
    await waitFor(() => again.received.length === 6);
    expect(again.received.map((r) => r.id)).toEqual([...missed, live]);
    expect(again.received.map((r) => (r.data.type === 'post.created' ? r.data.postId : 0))).toEqual([2, 3, 4, 5, 6, 7]);
    again.unsubscribe();
    await waitFor(() => subscribers() === 0);
  });

  it('the typed client reconnects by itself after the server drops its connection, from the last id', async () => {
    // Our own server, to cut its sockets without closing it.
    const sockets = new Set<Socket>();
    const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({ server: s, url: `http://127.0.0.1:${info.port}` }),
      );
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    try {
      const sub = subscribePosts(client(url));
      await waitFor(() => subscribers() === 1, { timeoutMs: 5000, what: 'the subscription is open' });
      const before = await publishPosts(10, 3);
      await waitFor(() => sub.received.length === 3);

      for (const socket of sockets) socket.destroy();
      await waitFor(() => subscribers() === 0, { timeoutMs: 5000, what: 'the server notices the cut' });
      const during = await publishPosts(13, 5);

      // The link's EventSource reconnects on its own (after its retry delay) and resumes.
      await waitFor(() => sub.received.length === 8, { timeoutMs: 10_000, what: 'the 5 events published while cut off arrive' });
      const [after] = await publishPosts(18, 1);
      await waitFor(() => sub.received.length === 9);
      expect(sub.received.map((r) => r.id)).toEqual([...before, ...during, after]);
      expect(sub.errors).toEqual([]);
      expect(sub.states.some((s) => s.state === 'connecting' && s.error)).toBe(true);
      sub.unsubscribe();
      await waitFor(() => subscribers() === 0);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    }
  }, 20_000);
});

describe('resume over GET /events', () => {
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}/events${query}`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const events = sseReader(res.body!);
    expect(await events.next()).toEqual({ retry: '1000' });
    return events;
  };
  const dataEvents = async (events: ReturnType<typeof sseReader>, n: number) => {
    const got: WireEvent[] = [];
    while (got.length < n) {
      const e = await events.next();
      if (!e) throw new Error('stream ended');
      if (e.comment === undefined) got.push(e);
    }
    return got;
  };

  it.each([
    ['the Last-Event-ID header', (id: string) => ['?topics=posts', { 'last-event-id': id }] as const],
    ['?lastEventId=', (id: string) => [`?topics=posts&lastEventId=${id}`, {}] as const],
  ])('with %s: exactly the 5 missed events, then live ones', async (_, resumeWith) => {
    const first = await open('?topics=posts');
    await waitFor(() => subscribers() === 1);
    const [seenId] = await publishPosts(100, 1);
    const [seen] = await dataEvents(first, 1);
    expect(seen).toEqual({ id: seenId, event: 'post.created', data: JSON.stringify(postCreated(100)) });
    await first.cancel();
    await waitFor(() => subscribers() === 0, { timeoutMs: 5000, what: 'the server notices the disconnect' });

    const missed = await publishPosts(101, 5);
    const [query, headers] = resumeWith(seenId!);
    const again = await open(query, headers);
    const replayed = await dataEvents(again, 5);
    const [live] = await publishPosts(106, 1);
    const [next] = await dataEvents(again, 1);
    expect([...replayed, next!].map((e) => e.id)).toEqual([...missed, live]);
    expect([...replayed, next!].map((e) => JSON.parse(e.data!).postId)).toEqual([101, 102, 103, 104, 105, 106]);
    await again.cancel();
    await waitFor(() => subscribers() === 0);
  });

  it('refuses a malformed Last-Event-ID or topic with 400 and registers nothing', async () => {
    const bad = await fetch(`${t.url}/events`, { headers: { 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ field: '(root)' }] } });
    const topic = await fetch(`${t.url}/events?topics=posts,sessions`);
    expect(topic.status).toBe(400);
    expect(await topic.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ field: 'topics.1' }] } });
    expect(subscribers()).toBe(0);
  });
});

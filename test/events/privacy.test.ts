import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../shared/events.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, sseReader, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

let t: LiveApp;
beforeAll(async () => {
  t = await startLiveApp();
});
afterAll(() => t.close());

const secrets = ['reader@example.com', 'tok_4f1c2e9a', '203.0.113.7', 'argon2id'];
const leaky = { email: secrets[0], sessionToken: secrets[1], ip: secrets[2], passwordHash: secrets[3] };
const subscribers = () => t.services.events.stats().subscribers;

describe('only public fields reach subscribers', () => {
  it('publish() drops fields the shared schema does not list before writing', async () => {
    const id = await t.services.events.publish({ ...postCreated(1), ...leaky } as AppEvent);
    const [[, fields]] = (await t.redis.xrange(t.deps.keys.events(), id, id)) as [[string, string[]]];
    expect(fields).toEqual(['type', 'post.created', 'data', JSON.stringify(postCreated(1))]);
  });

  it('refuses an event that does not match its schema, writing nothing', async () => {
    const before = await t.redis.xlen(t.deps.keys.events());
    await expect(t.services.events.publish({ type: 'post.created', postId: -1, authorId: 1, title: 'x' })).rejects.toThrow(/postId/);
    await expect(t.services.events.publish({ type: 'session.created', token: 'x' } as unknown as AppEvent)).rejects.toThrow(/type/);
    expect(await t.redis.xlen(t.deps.keys.events())).toBe(before);
  });

  it('an anonymous subscriber gets the public projection of entries other producers wrote, and never a private or invalid one', async () => {
    const sub = subscribePosts(client(t.url)); // no token: anonymous
    const res = await fetch(`${t.url}/events?topics=posts,trending`);
    expect(res.status).toBe(200);
    const plain = sseReader(res.body!);
    await waitFor(() => subscribers() === 2, { timeoutMs: 5000, what: 'both subscribers are connected' });
    const before = await scrape(t.app);

    // Written straight to the stream, as a buggy or foreign producer might: extra fields, a
    // private event type, garbage. Then a clean event as a sentinel.
    const key = t.deps.keys.events();
    const withExtras = await t.redis.xadd(key, '*', 'type', 'post.updated', 'data', JSON.stringify({ type: 'post.updated', postId: 2, authorId: 1, title: 'edited', ...leaky, author: { email: secrets[0] } }));
    await t.redis.xadd(key, '*', 'type', 'user.login', 'data', JSON.stringify({ type: 'user.login', userId: 1, ...leaky }));
    await t.redis.xadd(key, '*', 'type', 'post.created', 'data', '{not json');
    await t.redis.xadd(key, '*', 'type', 'post.deleted', 'data', JSON.stringify({ type: 'post.deleted', postId: 'seven', email: secrets[0] }));
    const sentinel = await t.services.events.publish({ type: 'post.deleted', postId: 2, authorId: 1 });

    await waitFor(() => sub.received.length === 2, { timeoutMs: 5000, what: 'two events arrive on tRPC' });
    expect(sub.received).toEqual([
      { id: withExtras, data: { type: 'post.updated', postId: 2, authorId: 1, title: 'edited' } },
      { id: sentinel, data: { type: 'post.deleted', postId: 2, authorId: 1 } },
    ]);
    const wire = [(await plain.next())!, (await plain.next())!, (await plain.next())!];
    expect(wire[0]).toEqual({ retry: '1000' });
    expect(wire.slice(1).map((e) => [e.id, e.event, JSON.parse(e.data!)])).toEqual([
      [withExtras, 'post.updated', { type: 'post.updated', postId: 2, authorId: 1, title: 'edited' }],
      [sentinel, 'post.deleted', { type: 'post.deleted', postId: 2, authorId: 1 }],
    ]);
    const everything = JSON.stringify([sub.received, wire]);
    for (const secret of secrets) expect(everything).not.toContain(secret);

    const after = await scrape(t.app);
    const read = (outcome: string) => (sample(after, 'blog_api_live_events_read_total', { outcome }) ?? 0) - (sample(before, 'blog_api_live_events_read_total', { outcome }) ?? 0);
    expect([read('live'), read('private'), read('invalid')]).toEqual([2, 1, 2]);
    sub.unsubscribe();
    await plain.cancel();
    await waitFor(() => subscribers() === 0);
  });
});

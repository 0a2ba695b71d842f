import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../server/features/ratelimit/classify.ts';
import type { TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, sseReader, startedApp, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

const trpcPath = (lastEventId?: string) =>
  `/trpc/events.onPost?input=${encodeURIComponent(JSON.stringify(lastEventId ? { lastEventId } : {}))}`;

describe('subscriber cap', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp({ env: { EVENTS_MAX_SUBSCRIBERS: '2' } });
  });
  afterAll(() => t.close());

  it('refuses the subscriber past EVENTS_MAX_SUBSCRIBERS: 503 with a code on GET /events, the same error in tRPC', async () => {
    const held = await Promise.all([fetch(`${t.url}/events`), fetch(`${t.url}${trpcPath()}`)]);
    await waitFor(() => t.services.events.stats().subscribers === 2);

    const plain = await fetch(`${t.url}/events?topics=posts`);
    expect(plain.status).toBe(503);
    expect(plain.headers.get('retry-after')).toBe('5');
    expect(await plain.json()).toMatchObject({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance serves its maximum of 2 live subscribers; retry later', retryAfter: 5 },
    });

    // tRPC answers subscriptions with a stream whose error event carries the shape.
    const raw = await fetch(`${t.url}${trpcPath()}`);
    const events = sseReader(raw.body!);
    expect(await events.next()).toMatchObject({ event: 'connected' });
    const refused = await events.next();
    expect(refused?.event).toBe('serialized-error');
    expect(JSON.parse(refused!.data!)).toMatchObject({
      message: 'This instance serves its maximum of 2 live subscribers; retry later',
      data: { appCode: 'SERVICE_UNAVAILABLE', httpStatus: 503, retryAfter: 5 },
    });
    expect(await events.next()).toBeNull(); // the stream ends

    // The typed client sees it as a retryable connection error (it keeps retrying until admitted).
    const sub = subscribePosts(client(t.url));
    await waitFor(() => sub.states.some((s) => s.error), { timeoutMs: 5000, what: 'the refusal arrives' });
    expect(sub.states.find((s) => s.error)).toMatchObject({
      state: 'connecting',
      error: { data: { appCode: 'SERVICE_UNAVAILABLE', httpStatus: 503 } },
    });
    sub.unsubscribe();
    expect(t.services.events.stats().subscribers).toBe(2);
    await Promise.all(held.map((r) => r.body!.cancel()));
    await waitFor(() => t.services.events.stats().subscribers === 0);
  });
});

describe('slow consumers and heartbeats', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startedApp({ env: { EVENTS_SUBSCRIBER_BUFFER: '4', EVENTS_HEARTBEAT_MS: '1000' } });
  });
  afterAll(() => t.close());

  it.each([
    ['tRPC', trpcPath(), 'serialized-error'],
    ['GET /events', '/events?topics=posts', 'error'],
  ])('%s: a client that stops reading is dropped once its buffer is full, and told to reconnect', async (_, path, errorEvent) => {
    // In-process: the response body is a stream nobody reads, so the server's writes stall.
    const res = await t.app.request(path);
    const events = sseReader(res.body!);
    await events.next(); // connected / retry
    await waitFor(() => t.services.events.stats().subscribers === 1);
    let last = '';
    for (let i = 0; i < 30; i++) last = await t.services.events.publish(postCreated(i + 1));
    await waitFor(() => t.services.events.stats().subscribers === 0, { timeoutMs: 5000, what: 'the slow subscriber is dropped' });
    // Let the reader finish the burst, so the next test's subscriber starts after it.
    await waitFor(() => t.services.events.stats().lastId === last);

    // What was already in the pipes arrives, then the error, then the end: memory held is the buffer, not the backlog.
    const rest = [];
    for (let e = await events.next(); e; e = await events.next()) rest.push(e);
    const delivered = rest.filter((e) => e.id !== undefined);
    expect(delivered.length).toBeLessThan(30);
    expect(rest.at(-1)?.event).toBe(errorEvent);
    expect(rest.at(-1)?.data).toMatch(/fell behind by more than 4 events; reconnect with the last event id/);
    expect(rest.at(-1)?.data).toMatch(/SERVICE_UNAVAILABLE/);
  });

  it('GET /events sends `: ping` comments from one shared timer, cleared with the last stream', async () => {
    const res = await t.app.request('/events');
    const events = sseReader(res.body!);
    expect(await events.next()).toEqual({ retry: '1000' });
    expect(t.services.events.stats().heartbeat).toEqual({ listeners: 1, timer: true });
    expect(await events.next(3000)).toEqual({ comment: 'ping' });
    await events.cancel();
    await waitFor(() => t.services.events.stats().heartbeat.timer === false, { timeoutMs: 5000, what: 'the heartbeat timer stops' });
    expect(t.services.events.stats()).toMatchObject({ subscribers: 0, heartbeat: { listeners: 0, timer: false } });
  });
});

describe('rate limiting', () => {
  it('classifies a subscription, tRPC or plain, as one read', () => {
    const classify = createClassifier({ maxBatch: 10 });
    const url = `http://localhost${trpcPath('1-0')}`;
    expect(classify({ method: 'GET', path: new URL(url).pathname, url })).toEqual({ group: 'read', cost: 1, trpc: true });
    expect(classify({ method: 'GET', path: '/events', url: 'http://localhost/events?topics=posts' })).toEqual({ group: 'read', cost: 1, trpc: false });
  });

  it('spends one unit per subscription, none per event delivered', async () => {
    const t = await startedApp({ env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' } });
    try {
      const first = sseReader((await t.app.request('/events')).body!);
      await first.next();
      for (let i = 0; i < 5; i++) await t.services.events.publish(postCreated(i + 1));
      for (let i = 0; i < 5; i++) expect(await first.next()).toMatchObject({ event: 'post.created' });
      expect((await t.app.request('/events')).status).toBe(200);
      const third = await t.app.request('/events');
      expect(third.status).toBe(429);
      expect(await third.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' } });
    } finally {
      await t.close();
    }
  });
});

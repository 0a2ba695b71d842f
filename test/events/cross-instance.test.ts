import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPrefix } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

let a: LiveApp;
let b: LiveApp;
beforeAll(async () => {
  // Two instances of the app on one Redis and one key prefix, each behind its own HTTP server.
  const env = { REDIS_KEY_PREFIX: testPrefix() };
  a = await startLiveApp({ env });
  b = await startLiveApp({ env });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('two instances on one Redis', () => {
  it('a subscriber on B receives the events published through A, in order', async () => {
    const sub = subscribePosts(client(b.url));
    await waitFor(() => b.services.events.stats().subscribers === 1, { timeoutMs: 5000, what: 'B has the subscriber' });

    const ids: string[] = [];
    for (let i = 1; i <= 20; i++) ids.push(await a.services.events.publish(postCreated(i)));

    await waitFor(() => sub.received.length === 20, { timeoutMs: 5000, what: '20 events arrive on B' });
    expect(sub.received.map((r) => r.id)).toEqual(ids);
    expect(sub.received.map((r) => r.data)).toEqual(ids.map((_, i) => postCreated(i + 1)));
    expect(sub.errors).toEqual([]);
    // A had no subscriber: its reader read the same entries and handed them to nobody.
    expect(a.services.events.stats().subscribers).toBe(0);
    sub.unsubscribe();
    await waitFor(() => b.services.events.stats().subscribers === 0, { timeoutMs: 5000, what: 'B forgets the subscriber' });
  });
});

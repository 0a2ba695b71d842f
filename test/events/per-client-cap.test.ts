import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, register } from '../auth/helpers.ts';
import type { TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { postCreated, sseReader, startedApp } from './helpers.ts';

// Issue 15, point 2: one client (an address, or a signed-in user on any address) holds at most
// EVENTS_MAX_STREAMS_PER_CLIENT live streams per instance, REST and tRPC together; past it 429 +
// Retry-After, and EVENTS_MAX_SUBSCRIBERS stays the instance-wide guard behind it.
let t: TestApp;
beforeAll(async () => {
  t = await startedApp({
    clientAddress: (c) => c.req.header('x-test-ip'),
    env: { EVENTS_MAX_STREAMS_PER_CLIENT: '2', EVENTS_MAX_SUBSCRIBERS: '5', EVENTS_SUBSCRIBER_BUFFER: '4' },
  });
});
afterAll(() => t.close());

const trpcPath = `/trpc/events.onPost?input=${encodeURIComponent('{}')}`;
const stats = () => t.services.events.stats();

/** Opens a stream in-process from `ip`; the caller reads or cancels it (`events` is null for a refusal in JSON). */
async function open(ip: string, path = '/events', headers: Record<string, string> = {}) {
  const res = await t.app.request(path, { headers: { 'x-test-ip': ip, ...headers } });
  const streaming = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  return { res, events: streaming ? sseReader(res.body!) : null };
}

async function expectRefusedByClientCap(res: Response, held: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe('5');
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body.error).toEqual({
    code: 'TOO_MANY_REQUESTS',
    message: `You already hold ${held} live event streams on this instance, the most one client may; close one first`,
    retryAfter: 5,
    requestId: expect.any(String),
  });
}

type Stream = Awaited<ReturnType<typeof open>>;

/** Closes `closing` of `ip`, whose other stream `kept` stays open: a new stream of `ip` is then admitted. */
async function expectSlotFreed(ip: string, closing: Stream, kept: Stream) {
  await closing.events!.cancel();
  await waitFor(() => stats().subscribers === 1, { timeoutMs: 5000, what: 'the closed stream to be forgotten' });
  const again = await open(ip);
  expect(again.res.status).toBe(200);
  await closeAll([kept, again]);
}

async function closeAll(streams: Stream[]) {
  await Promise.all(streams.map((s) => s.events?.cancel()));
  await waitFor(() => stats().subscribers === 0, { timeoutMs: 5000, what: 'every stream to be forgotten' });
}

describe('live streams per client', () => {
  it('GET /events: the third stream of one address gets 429 with Retry-After; other addresses are admitted', async () => {
    const held = [await open('192.0.2.10'), await open('192.0.2.10')];
    for (const s of held) expect(s.res.status).toBe(200);
    await expectRefusedByClientCap((await open('192.0.2.10')).res, 2);
    // The refusal took no slot: the instance holds the two, and one client.
    expect(stats()).toMatchObject({ subscribers: 2, holders: 1 });

    const other = await open('192.0.2.11');
    expect(other.res.status).toBe(200);
    await closeAll([...held, other]);
    expect(stats().holders).toBe(0);
  });

  it('a closed stream frees its slot at once', async () => {
    const [first, second] = [await open('192.0.2.20'), await open('192.0.2.20')];
    await expectRefusedByClientCap((await open('192.0.2.20')).res, 2);
    await expectSlotFreed('192.0.2.20', first, second);
  });

  it('a stream that ends in error (dropped for falling behind) frees its slot too', async () => {
    const [slow, other] = [await open('192.0.2.30'), await open('192.0.2.30')];
    expect(await slow.events!.next()).toEqual({ retry: '1000' });
    // Nobody reads `slow` (nor `other`): both fill their buffers of 4 and are dropped with an error event.
    for (let i = 0; i < 12; i++) await t.services.events.publish(postCreated(i + 1));
    await waitFor(() => stats().subscribers === 0, { timeoutMs: 5000, what: 'the slow streams to be dropped' });
    expect(stats().holders).toBe(0);
    const after = [await open('192.0.2.30'), await open('192.0.2.30')];
    for (const s of after) expect(s.res.status).toBe(200);
    await closeAll([slow, other, ...after]);
  });

  it('tRPC subscriptions count with GET /events: past the cap the stream carries the 429 and ends', async () => {
    const rest = await open('192.0.2.40');
    const trpc = await open('192.0.2.40', trpcPath);
    expect(trpc.res.status).toBe(200);
    expect(await trpc.events!.next()).toMatchObject({ event: 'connected' });
    await waitFor(() => stats().subscribers === 2);

    const refused = await open('192.0.2.40', trpcPath);
    expect(await refused.events!.next()).toMatchObject({ event: 'connected' });
    const error = await refused.events!.next();
    expect(error?.event).toBe('serialized-error');
    expect(JSON.parse(error!.data!)).toMatchObject({
      message: 'You already hold 2 live event streams on this instance, the most one client may; close one first',
      data: { appCode: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfter: 5 },
    });
    expect(await refused.events!.next()).toBeNull();
    await expectRefusedByClientCap((await open('192.0.2.40')).res, 2);
    expect(stats().subscribers).toBe(2);

    // Closing the tRPC stream frees its slot for either transport.
    await expectSlotFreed('192.0.2.40', trpc, rest);
  });

  it('a signed-in user is one client whatever its addresses; its addresses stay free for others', async () => {
    await register(t, 'streamer@example.com', 'streamer password');
    const { sessionId } = await login(t, 'streamer@example.com', 'streamer password');
    const auth = bearer(sessionId);
    const held = [await open('192.0.2.50', '/events', auth), await open('192.0.2.51', trpcPath, auth)];
    for (const s of held) expect(s.res.status).toBe(200);
    await waitFor(() => stats().subscribers === 2);
    await expectRefusedByClientCap((await open('192.0.2.52', '/events', auth)).res, 2);
    // Anonymous callers on the user's addresses are clients of their own.
    const anonymous = await open('192.0.2.50');
    expect(anonymous.res.status).toBe(200);
    await closeAll([...held, anonymous]);
  });

  it('keeps the instance-wide cap as the last guard: 503 once 5 clients hold 5 streams', async () => {
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await open(`192.0.2.${60 + i}`));
    for (const s of held) expect(s.res.status).toBe(200);
    const refused = (await open('192.0.2.70')).res;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } });
    // Refused by the instance cap: the new client holds nothing.
    expect(stats()).toMatchObject({ subscribers: 5, holders: 5 });
    await closeAll(held);
    expect(stats().holders).toBe(0);
  });
});

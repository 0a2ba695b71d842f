import { createClient, type BlogClient } from '../../client/index.ts';
import type { LiveGap, LivePostEvent, LiveTrendingEvent } from '../../shared/live-events.ts';
import { createTestApp, type TestApp, type TestAppOptions } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

export interface LiveApp extends TestApp {
  url: string;
}

/**
 * The real app served over HTTP with its background work started (the live reader among it),
 * as the runtime entries run it. `close()` stops the server, then the app.
 */
export async function startLiveApp(opts: TestAppOptions = {}): Promise<LiveApp> {
  const t = await startedApp(opts);
  const server = await listen(t.app);
  return {
    ...t,
    url: server.url,
    close: async () => {
      t.background.forEach((task) => task.drain?.());
      await server.close();
      await t.close();
    },
  };
}

/** The app in-process with its background work started, once the live reader admits subscribers. */
export async function startedApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const t = await createTestApp(opts);
  t.background.forEach((task) => task.start());
  await waitFor(() => t.services.events.stats().lastId !== null, { timeoutMs: 5000, what: 'the live reader has found the end of the stream' });
  return t;
}

export type Received<E> = { id: string; data: E | LiveGap };

/** A typed-client subscription to `events.onPost` that records what arrives. */
export function subscribePosts(api: BlogClient, lastEventId?: string) {
  const received: Received<LivePostEvent>[] = [];
  const errors: unknown[] = [];
  const states: { state: string; error: unknown }[] = [];
  let started = 0;
  const sub = api.events.onPost.subscribe(lastEventId === undefined ? undefined : { lastEventId }, {
    onStarted: () => started++,
    onData: (item) => received.push(item),
    onError: (err) => errors.push(err),
    onConnectionStateChange: (s) => states.push({ state: s.state, error: s.error }),
  });
  return { received, errors, states, started: () => started, unsubscribe: () => sub.unsubscribe() };
}

export function subscribeTrending(api: BlogClient) {
  const received: Received<LiveTrendingEvent>[] = [];
  let started = 0;
  const sub = api.events.onTrending.subscribe(undefined, { onStarted: () => started++, onData: (item) => received.push(item) });
  return { received, started: () => started, unsubscribe: () => sub.unsubscribe() };
}

export const client = (url: string) => createClient({ url });

export function postCreated(postId: number, title = `post ${postId}`): LivePostEvent {
  return { type: 'post.created', postId, authorId: 1, title };
}

/** One Server-Sent Event as read off the wire. */
export interface WireEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/**
 * Reads a `text/event-stream` body event by event (a small parser for tests: `field: value` lines,
 * blank line ends an event, `:` lines are comments).
 */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(timeoutMs = 5000): Promise<WireEvent | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: WireEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else {
              const i = line.indexOf(':');
              const field = line.slice(0, i) as keyof WireEvent;
              event[field] = (event[field] === undefined || field !== 'data' ? '' : event[field] + '\n') + line.slice(i + 1).replace(/^ /, '');
            }
          }
          return event;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; buffered: ${JSON.stringify(buffer)}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left))),
        ]).finally(() => clearTimeout(timer));
        if (chunk === 'timeout') continue;
        if (chunk.done) return null;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

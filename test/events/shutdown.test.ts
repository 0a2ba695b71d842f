import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { sseReader, type WireEvent } from './helpers.ts';

const entries = {
  node: nodeEntry,
  bun: ['node_modules/.bin/bun', 'server/main.bun.ts'],
} as const;

// Long, so that a shutdown that waited for it stands out however slow a busy machine is.
const SHUTDOWN_TIMEOUT_MS = 20_000;

let running: ServerProcess | undefined;
afterEach(async () => {
  await running?.stop(1000);
  running = undefined;
});

async function drain(events: ReturnType<typeof sseReader>): Promise<WireEvent[]> {
  const got: WireEvent[] = [];
  for (let e = await events.next(10_000); e; e = await events.next(10_000)) got.push(e);
  return got;
}

describe.each(Object.entries(entries))('%s entry', (_, command) => {
  it('ends open SSE streams on SIGTERM and exits 0 well within SHUTDOWN_TIMEOUT_MS', async () => {
    const port = await freePort();
    running = await startServerProcess([...command], {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    }, port);
    // Live streams of both kinds; the reader admits subscribers a moment after start-up.
    const plainRes = await waitFor(async () => {
      const res = await fetch(`${running!.url}/events`);
      if (res.status === 200) return res;
      await res.body?.cancel();
      return null;
    }, { intervalMs: 50, what: 'GET /events admits a subscriber' });
    const plain = sseReader(plainRes.body!);
    expect(await plain.next()).toEqual({ retry: '1000' });
    const trpc = sseReader((await fetch(`${running.url}/trpc/events.onTrending`)).body!);
    expect(await trpc.next()).toMatchObject({ event: 'connected' });

    const started = Date.now();
    const [code, plainRest, trpcRest] = await Promise.all([running.stop(), drain(plain), drain(trpc)]);
    const elapsed = Date.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2); // the streams were ended, not cut by the timeout
    // Both streams ended cleanly: tRPC says `return` (its client then stops rather than retrying).
    expect(plainRest.filter((e) => e.event === 'error')).toEqual([]);
    expect(trpcRest.at(-1)).toMatchObject({ event: 'return' });
    expect(running.output()).not.toMatch(/timed out|error/i);
    running = undefined;
  }, 150_000);
});

import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { sseReader, type WireEvent } from './helpers.ts';

const entries = {
  node: nodeEntry,
  bun: ['node_modules/.bin/bun', 'server/main.bun.ts'],
} as const;

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
      SHUTDOWN_TIMEOUT_MS: '8000',
    }, port);
    // Live streams of both kinds; the reader admits subscribers a moment after start-up.
    let plainRes: Response;
    for (;;) {
      plainRes = await fetch(`${running.url}/events`);
      if (plainRes.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const plain = sseReader(plainRes.body!);
    expect(await plain.next()).toEqual({ retry: '1000' });
    const trpc = sseReader((await fetch(`${running.url}/trpc/events.onTrending`)).body!);
    expect(await trpc.next()).toMatchObject({ event: 'connected' });

    const started = Date.now();
    const [code, plainRest, trpcRest] = await Promise.all([running.stop(), drain(plain), drain(trpc)]);
    const elapsed = Date.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(3000);
    // Both streams ended cleanly: tRPC says `return` (its client then stops rather than retrying).
    expect(plainRest.filter((e) => e.event === 'error')).toEqual([]);
    expect(trpcRest.at(-1)).toMatchObject({ event: 'return' });
    expect(running.output()).not.toMatch(/timed out|error/i);
    running = undefined;
  }, 60_000);
});

import { afterAll, describe, expect, inject, it } from 'vitest';
import type { AppEvent } from '../../shared/events.ts';
import { ANALYTICS_GROUP } from '../../server/features/analytics/analytics.service.ts';
import { lastHours } from '../../server/features/analytics/calendar.ts';
import { groupBacklog } from '../../server/features/analytics/stream-consumer.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { createTestApp, testPrefix, type TestApp } from '../helpers/app.ts';
import { freeze, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { actorOf, countsByType, produce, sampleEvents, tally } from './helpers.ts';

// A real server process, its analytics worker mid-batch, is SIGKILLed; another instance claims
// what it left pending. Every event must be counted exactly once and written to activity once.
const prefix = testPrefix();
let child: ServerProcess | undefined;
let t: TestApp | undefined;
afterAll(async () => {
  if (child?.child.exitCode === null) child.child.kill('SIGKILL');
  await t?.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a consumer killed mid-batch (SIGKILL of a real server process)', () => {
  it('leaves its batch pending; the next consumer claims it with XAUTOCLAIM and every event is counted once', async () => {
    t = await createTestApp({ env: { REDIS_KEY_PREFIX: prefix, ANALYTICS_CLAIM_MIN_IDLE_MS: '300' } });
    const { redis } = t;
    const { keys } = t.deps;
    const stream = keys.events();
    const events: AppEvent[] = sampleEvents(4000);
    await produce(redis, keys, events);

    // `node --import tsx` (as in the Docker image), not the tsx CLI, which would run the server in a
    // child process of its own: the signals below must reach the process that holds the consumer.
    // Small batches: it works through the stream batch by batch.
    child = await startServerProcess([process.execPath, '--import', 'tsx', 'server/main.node.ts'], {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: 'memory://',
      ANALYTICS_STREAM_BATCH: '10',
    }, await freePort(), 45_000);
    const pid = child.child.pid!;

    // Freeze it (SIGSTOP) until it is caught holding a batch it has read and not acknowledged,
    // feeding it more events if it has run out; then kill it.
    let victim: { name: string; pending: number } | undefined;
    for (let attempt = 0; attempt < 200 && !victim; attempt++) {
      await freeze(pid);
      await pause(30); // what it sent before it stopped reaches Redis
      const consumers = (await redis.xinfo('CONSUMERS', stream, ANALYTICS_GROUP).catch(() => [])) as unknown[][];
      const holding = consumers.find((c) => Number(c[3]) > 0);
      if (holding) {
        victim = { name: String(holding[1]), pending: Number(holding[3]) };
        process.kill(pid, 'SIGKILL');
        break;
      }
      process.kill(pid, 'SIGCONT');
      if (attempt % 10 === 9 && events.length < 9000) {
        const more = sampleEvents(200, 200, events.length);
        events.push(...more);
        await produce(redis, keys, more);
      }
      await pause(5 + (attempt % 7));
    }
    expect(victim, 'the process was caught with unacknowledged entries').toBeDefined();
    await waitFor(() => child!.child.exitCode !== null || child!.child.signalCode !== null, { timeoutMs: 20_000, what: 'the killed process has exited' });
    const countedByVictim = Object.values(await countsByType(redis, keys, lastHours(Date.now(), 3))).reduce((a, b) => a + b, 0);
    expect(countedByVictim).toBeLessThan(events.length);
    console.log(`killed consumer ${victim!.name} holding ${victim!.pending} unacknowledged entries, after counting ${countedByVictim} of ${events.length}`);

    // The next consumer: this instance's worker claims the dead consumer's entries and reads the rest.
    t.services.analytics.worker.start();
    // The group exists (the killed process created it): a backlog of 0 is nothing pending, nothing undelivered.
    await waitFor(async () => (await groupBacklog(redis, stream, ANALYTICS_GROUP)) === 0, { timeoutMs: 20_000, what: 'every entry is acknowledged' });

    expect(await countsByType(redis, keys, lastHours(Date.now(), 3))).toEqual(tally(events));
    const stats = t.services.analytics.stats();
    expect(stats.events.counted).toBe(events.length - countedByVictim);
    expect(stats.events.alreadyCounted).toBe(0);
    expect(stats.stream.lost).toBe(0);

    // Activity, written before the count + ack, holds every actor's events once each.
    const expected = new Map<number, number>();
    for (const e of events) {
      const user = actorOf(e);
      if (user !== null) expected.set(user, (expected.get(user) ?? 0) + 1);
    }
    for (const [user, count] of expected) {
      const ids = (await redis.lrange(keys.activity(user), 0, -1)).map((entry) => (JSON.parse(entry) as { id: string }).id);
      expect(new Set(ids).size, `user ${user}: no entry twice`).toBe(ids.length);
      expect(ids.length, `user ${user}`).toBe(Math.min(count, 100));
    }
  }, 180_000);
});

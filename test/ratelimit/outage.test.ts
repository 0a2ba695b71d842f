import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { jsonRequest, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { createLimitedApp } from './apps.ts';

// This file freezes, stops and restarts its own redis-server, so it never disturbs the shared one.
let redis: Awaited<ReturnType<typeof startProcessRedis>>;
let t: TestApp;
const TIMEOUT_MS = 200;
// How long Redis stays frozen: far longer than the decision timeout, so an answer that waited for
// Redis shows, however slow a busy machine makes the requests.
const PAUSE_MS = 4000;

beforeAll(async () => {
  redis = await startProcessRedis();
  // The command timeout is far longer than the decision timeout: only the latter may bound a request.
  // GET /posts reads the post cache after the decision: its own bound keeps a frozen Redis from stalling it.
  t = await createLimitedApp(
    { RATE_LIMIT_TIMEOUT_MS: String(TIMEOUT_MS), REDIS_COMMAND_TIMEOUT_MS: '5000', POST_CACHE_TIMEOUT_MS: '50' },
    { redisUrl: redis.url },
  );
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

const connection = () => t.redis.status;

/** Sends a request and measures how long the answer took. */
async function timed(method: string, path: string) {
  const started = performance.now();
  const res = await jsonRequest(t.app, method, path, method === 'GET' ? undefined : {});
  return { res, ms: performance.now() - started };
}

/** Log lines about the limiter's view of Redis, as `<msg> <policy>`. */
const stateLines = () =>
  t.logs
    .map((line) => JSON.parse(line) as { msg: string; policy?: string })
    .filter((l) => l.msg.startsWith('rate limiting'))
    .map((l) => `${l.msg} ${l.policy}`);

async function expectRefusedClosed(res: Response) {
  expect(res.status).toBe(503);
  const body = errorResponseSchema.parse(await res.json());
  expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Rate limiting is unavailable; try again shortly' });
}

describe('Redis unavailable', () => {
  it('frozen Redis: within the timeout, reads fail open (no headers) and login/register fail closed (503); logged once, counted', async () => {
    expect((await timed('GET', '/posts')).res.headers.get('ratelimit-limit')).toBe('100');

    // CLIENT PAUSE: Redis accepts connections but answers nothing, like a stalled server.
    const admin = new Redis(redis.url);
    await admin.client('PAUSE', PAUSE_MS, 'ALL');
    const pausedAt = Date.now();
    try {
      const answers = await Promise.all([
        timed('GET', '/posts'), timed('GET', '/posts'), timed('GET', '/posts'),
        timed('POST', '/auth/login'), timed('POST', '/auth/login'), timed('POST', '/auth/register'),
        timed('POST', '/posts'),
      ]);
      for (const { ms } of answers) {
        expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
        expect(ms).toBeLessThan(PAUSE_MS / 2); // answered at the decision timeout, not when Redis answers again
      }
      const [r1, r2, r3, login1, login2, register, write] = answers.map((a) => a.res);
      for (const res of [r1!, r2!, r3!]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
      for (const res of [login1!, login2!, register!]) await expectRefusedClosed(res);
      // Writes fail open by default: the real create route is reached and refuses the anonymous caller.
      expect(write!.status).toBe(401);
      expect(Date.now() - pausedAt).toBeLessThan(PAUSE_MS); // all of that happened while Redis was frozen
    } finally {
      admin.disconnect();
    }

    const stats = t.services.rateLimit.stats();
    expect(stats.read).toMatchObject({ fail_open: 3, fail_closed: 0 });
    expect(stats.login).toMatchObject({ fail_open: 0, fail_closed: 2 });
    expect(stats.register).toMatchObject({ fail_closed: 1 });
    expect(stats.write).toMatchObject({ fail_open: 1 });
    // One line per policy when it started failing, however many requests failed.
    expect(stateLines().sort()).toEqual([
      'rate limiting unavailable: failing closed login',
      'rate limiting unavailable: failing closed register',
      'rate limiting unavailable: failing open read',
      'rate limiting unavailable: failing open write',
    ]);

    // Once Redis answers again, decisions (and headers) are back, and the recovery is logged once.
    const probe = new Redis(redis.url);
    await probe.ping().finally(() => probe.disconnect()); // a paused Redis holds the reply until the pause is over
    const back = await timed('GET', '/posts');
    expect(back.res.status).toBe(200);
    expect(back.res.headers.get('ratelimit-limit')).toBe('100');
    expect(stateLines().filter((l) => l.includes('available again'))).toEqual(['rate limiting available again read']);
  });

  it('stopped Redis: refused at once, so reads pass and login is 503 well within the timeout; recovers after a restart', async () => {
    const before = t.services.rateLimit.stats();
    await redis.stop();
    await waitFor(() => connection() !== 'ready', { what: 'the app sees Redis gone' });

    const read = await timed('GET', '/posts');
    expect(read.res.status).toBe(200);
    expect(read.ms).toBeLessThan(TIMEOUT_MS);
    const login = await timed('POST', '/auth/login');
    await expectRefusedClosed(login.res);
    expect(login.ms).toBeLessThan(TIMEOUT_MS);
    expect(t.services.rateLimit.stats().read.fail_open).toBe(before.read.fail_open + 1);
    expect(t.services.rateLimit.stats().login.fail_closed).toBe(before.login.fail_closed + 1);

    redis = await startProcessRedis({ port: redis.port });
    await waitFor(() => connection() === 'ready', { what: 'the app has reconnected' });
    const back = await timed('POST', '/auth/login');
    // The real login route refuses the empty body (400): reaching it shows the limiter let it through.
    expect(back.res.status).toBe(400);
    expect(back.res.headers.get('ratelimit-policy')).toBe('10;w=60, 50;w=3600');
  });
});

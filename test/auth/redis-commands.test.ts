import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer, DEMO, login } from './helpers.ts';

// What the app sends to Redis, counted with INFO commandstats on a private redis-server (the
// shared one also serves other test files, whose commands would blur the counts). Commands a
// Lua script runs are counted under their own names too, so a script call shows as one
// EVALSHA plus the commands inside it.
let redis: Awaited<ReturnType<typeof startProcessRedis>>;
let probe: Redis;
let t: TestApp;

beforeAll(async () => {
  redis = await startProcessRedis();
  probe = new Redis(redis.url);
  probe.on('error', () => {}); // it sees the outage below too
  t = await createTestApp({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await t.close();
  probe.disconnect();
  await redis.stop();
});

async function commandCalls(): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await probe.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}

/** Commands Redis executed while `fn` ran, by name (the probe's own INFO left out). */
async function commandsDuring(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls();
  await fn();
  const after = await commandCalls();
  const delta: Record<string, number> = {};
  for (const [name, calls] of after) {
    const d = calls - (before.get(name) ?? 0);
    if (d > 0 && name !== 'info') delta[name] = d;
  }
  return delta;
}

const me = (app: TestApp, token: string) => jsonRequest(app.app, 'GET', '/auth/me', undefined, bearer(token));

describe('Redis round trips', () => {
  it('resolving a session on the request path is one script call: the same commands as one direct resolve', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    expect((await me(t, sessionId)).status).toBe(200); // first call on this connection loads the script

    const direct = await commandsDuring(() => t.services.auth.sessions.resolve(parseSessionToken(sessionId)!));
    const viaHttp = await commandsDuring(async () => expect((await me(t, sessionId)).status).toBe(200));
    expect(viaHttp).toEqual(direct);
    // One round trip: a single EVALSHA; inside it a read, the clock and the roles, no write (not due).
    expect(viaHttp).toEqual({ evalsha: 1, hmget: 1, time: 1, smembers: 1 });
  });

  it('a touch that is due still costs one round trip, and writes the record and the index in it', async () => {
    const eager = await createTestApp({ redisUrl: redis.url, env: { SESSION_TOUCH_INTERVAL_SECONDS: '0' } });
    try {
      const { sessionId } = await login(eager, DEMO.email, DEMO.password);
      expect((await me(eager, sessionId)).status).toBe(200);
      const delta = await commandsDuring(async () => expect((await me(eager, sessionId)).status).toBe(200));
      // One EVALSHA; inside it: read, clock, write the record and its expiry, re-score the index
      // and extend the index's expiry when this session now outlives it, read the roles.
      expect(delta).toEqual({ evalsha: 1, hmget: 1, time: 1, hset: 1, pexpireat: 2, zadd: 1, pexpiretime: 1, smembers: 1 });
    } finally {
      await eager.close();
    }
  });

  it('a request with no token, or a malformed one, sends nothing to Redis', async () => {
    const delta = await commandsDuring(async () => {
      expect((await jsonRequest(t.app, 'GET', '/auth/me')).status).toBe(401);
      expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer('not-a-token'))).status).toBe(401);
      expect((await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, { cookie: 'sid=junk' })).status).toBe(401);
      expect((await t.app.request('/trpc/auth.me')).status).toBe(401);
    });
    expect(delta).toEqual({});
  });

  it('listing and revoking sessions among 100,000 unrelated keys issues no KEYS or SCAN', async () => {
    for (let batch = 0; batch < 10; batch++) {
      const pipeline = probe.pipeline();
      for (let i = 0; i < 10_000; i++) pipeline.set(`unrelated:${batch}:${i}`, 'x', 'EX', 600);
      await pipeline.exec();
    }
    expect(await probe.dbsize()).toBeGreaterThanOrEqual(100_000);

    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await login(t, DEMO.email, DEMO.password)).sessionId);
    const current = tokens[0]!;
    // Load the list and revoke scripts first (a server's first call of a script is NOSCRIPT + EVAL).
    await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(current));
    await jsonRequest(t.app, 'DELETE', `/auth/sessions/${'x'.repeat(22)}`, undefined, bearer(current));
    const delta = await commandsDuring(async () => {
      const listed = await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(current));
      const { sessions } = (await listed.json()) as { sessions: { id: string; current: boolean }[] };
      const other = sessions.find((s) => !s.current)!;
      expect((await jsonRequest(t.app, 'DELETE', `/auth/sessions/${other.id}`, undefined, bearer(current))).status).toBe(200);
      expect((await jsonRequest(t.app, 'POST', '/auth/logout-all', undefined, bearer(current))).status).toBe(200);
    });
    expect(delta.keys).toBeUndefined();
    expect(delta.scan).toBeUndefined();
    // Three requests, each resolving its session (1 EVALSHA) and running one list or revoke script.
    expect(delta.evalsha).toBe(6);
    expect(delta.eval).toBeUndefined();
    expect(await probe.dbsize()).toBeGreaterThanOrEqual(100_000);
  });
});

describe('Redis down', () => {
  it('a call that needs the session gets 503 at once (no hang, no 500); calls that do not are served', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    await redis.stop();
    await waitFor(() => t.redis.status !== 'ready', { what: 'the app sees Redis gone' });

    const t0 = Date.now();
    const res = await me(t, sessionId);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.error.message).toMatch(/^Session store unavailable/);

    const trpc = await t.app.request('/trpc/auth.me', { headers: bearer(sessionId) });
    expect(trpc.status).toBe(503);
    expect(((await trpc.json()) as { error: { data: { appCode: string } } }).error.data.appCode).toBe('SERVICE_UNAVAILABLE');

    expect((await jsonRequest(t.app, 'POST', '/auth/login', DEMO)).status).toBe(503);
    expect((await jsonRequest(t.app, 'GET', '/auth/me')).status).toBe(401);
    // A public route (registration is SQL only) serves a caller whose token cannot be checked, anonymously.
    const register = await jsonRequest(t.app, 'POST', '/auth/register', { email: 'while-down@example.com', password: 'sql is up' }, bearer(sessionId));
    expect(register.status).toBe(201);
    expect(t.logs.some((l) => l.includes('session store unavailable'))).toBe(true);
    expect(t.logs.join('\n')).not.toContain(sessionId.split('.')[1]);

    redis = await startProcessRedis({ port: redis.port });
    await waitFor(() => t.redis.status === 'ready', { what: 'the app has reconnected' });
    // A fresh redis-server without persistence: the old session is gone, and logging in works again.
    expect((await me(t, sessionId)).status).toBe(401);
    expect((await me(t, (await login(t, DEMO.email, DEMO.password)).sessionId)).status).toBe(200);
  });
});

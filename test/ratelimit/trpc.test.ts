import type { TRPCClient } from '@trpc/client';
import type { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, createClient } from '../../client/index.ts';
import type { AppEnv } from '../../server/http-env.ts';
import { jsonRequest, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';
import { bearerFor, limitedAppPerTest, procedureRuns, purposeBuiltApp, type TestRouter } from './apps.ts';
import { logSize } from './log.ts';

const createLimitedApp = limitedAppPerTest();
let t: TestApp;
let app: Hono<AppEnv>;
beforeEach(() => {
  Object.assign(procedureRuns, { list: 0, create: 0, login: 0 });
});

async function start(env: Record<string, string>) {
  t = await createLimitedApp(env);
  app = purposeBuiltApp(t);
}

/** A batched tRPC request, as httpBatchLink sends it. */
function batch(method: 'GET' | 'POST', paths: string[], headers: Record<string, string> = {}) {
  const input = JSON.stringify(Object.fromEntries(paths.map((_, i) => [i, {}])));
  const url = `/trpc/${paths.join(',')}?batch=1` + (method === 'GET' ? `&input=${encodeURIComponent(input)}` : '');
  return jsonRequest(app, method, url, method === 'POST' ? input : undefined, headers);
}

const remaining = (res: Response) => res.headers.get('ratelimit-remaining');

describe('tRPC batches', () => {
  it('cost one unit per call, so batching cannot stretch a budget; a refused batch spends nothing and runs nothing', async () => {
    await start({ RATE_LIMIT_MAX: '10' });
    const four = await batch('GET', ['posts.list', 'posts.list', 'posts.list', 'posts.list']);
    expect(four.status).toBe(200);
    expect(remaining(four)).toBe('6');
    // `health` is a read like any other: three calls, three units.
    expect(remaining(await batch('GET', ['health', 'posts.list', 'posts.list']))).toBe('3');
    expect(procedureRuns.list).toBe(6);

    const five = await batch('GET', Array(5).fill('posts.list'));
    expect(five.status).toBe(429);
    const body = (await five.json()) as { error: { data: { appCode: string; retryAfter: number; httpStatus: number } } }[];
    expect(body).toHaveLength(5);
    for (const call of body) expect(call.error.data).toMatchObject({ appCode: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfter: Number(five.headers.get('retry-after')) });
    expect(procedureRuns.list).toBe(6);
    expect((await t.services.rateLimit.limiters.read.peek('ip:unknown')).remaining).toBe(3);
  });

  it('reads `%2C` as a call separator, as tRPC does', async () => {
    await start({ RATE_LIMIT_MAX: '10' });
    const res = await jsonRequest(app, 'GET', `/trpc/posts.list%2Cposts.list%2Cposts.list?batch=1&input=${encodeURIComponent('{"0":{},"1":{},"2":{}}')}`);
    expect(res.status).toBe(200);
    expect(procedureRuns.list).toBe(3);
    expect(remaining(res)).toBe('7');
  });

  it('refuses a batch over RATE_LIMIT_MAX_BATCH with 400 before any work, spending nothing', async () => {
    await start({ RATE_LIMIT_MAX: '100', RATE_LIMIT_MAX_BATCH: '5' });
    expect((await batch('GET', Array(5).fill('posts.list'))).status).toBe(200);
    const res = await batch('GET', Array(6).fill('posts.list'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { data: { appCode: 'BAD_REQUEST', httpStatus: 400 } } });
    expect(procedureRuns.list).toBe(5);
    expect(t.services.rateLimit.stats().read).toMatchObject({ allowed: 1, refused: 0 });
    expect((await t.services.rateLimit.limiters.read.peek('ip:unknown')).remaining).toBe(95);
  });

  it('charges a batch that mixes groups in full to its strictest group', async () => {
    await start({ RATE_LIMIT_LOGIN: '3/1m', RATE_LIMIT_WRITE: '10/1m' });
    const res = await batch('POST', ['auth.login', 'posts.create']);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBe('3;w=60');
    expect(remaining(res)).toBe('1');
    expect((await t.services.rateLimit.limiters.write.peek('ip:unknown')).remaining).toBe(10);
  });

  it('refuses with 400 a batch that could never fit its policy, instead of a 429 that no wait would cure', async () => {
    await start({ RATE_LIMIT_LOGIN: '2/1m,5/1h' });
    const res = await batch('POST', ['auth.login', 'auth.login', 'auth.login']);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; data: { appCode: string } } }[];
    expect(body[0]!.error).toMatchObject({
      message: 'This batch of 3 calls can never fit the login limit of 2 per 60 s: send fewer calls per batch',
      data: { appCode: 'BAD_REQUEST' },
    });
    expect(procedureRuns.login).toBe(0);
  });
});

describe('the typed client over real HTTP', () => {
  it('surfaces a refusal as a typed error with retryAfter, while REST and tRPC share the read budget', async () => {
    await start({ RATE_LIMIT_MAX: '3' });
    const server = await listen(app);
    try {
      const api = createClient({ url: server.url }) as unknown as TRPCClient<TestRouter>;
      const windowOpened = Date.now();
      expect((await fetch(`${server.url}/posts`)).status).toBe(200);
      expect(await api.posts.list.query()).toEqual([]);
      expect(await api.posts.list.query()).toEqual([]);
      const err = await api.posts.list.query().then(
        () => null,
        (e: unknown) => e,
      );
      const info = apiError(err);
      expect(info).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
      // The window opened with the first request: what is left of its 60 s, however slow the machine.
      expect(info!.retryAfter).toBeGreaterThanOrEqual(59 - Math.ceil((Date.now() - windowOpened) / 1000));
      expect(info!.retryAfter).toBeLessThanOrEqual(60);
      expect(info!.message).toMatch(/^Too many requests: the read limit is 3 per 60 s/);
      expect(procedureRuns.list).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('identity', () => {
  it("an authenticated caller spends its user's budget, wherever it calls from; anonymous callers spend their address's", async () => {
    await start({ RATE_LIMIT_MAX: '2', TRUST_PROXY: '1' });
    const get = (headers: Record<string, string>) => jsonRequest(app, 'GET', '/posts', undefined, headers).then((r) => r.status);
    const [user7, user8] = [await bearerFor(t, 7), await bearerFor(t, 8)];
    // User 7 from two addresses: one budget.
    expect([await get({ ...user7, 'x-forwarded-for': '198.51.100.1' }), await get({ ...user7, 'x-forwarded-for': '198.51.100.2' })]).toEqual([200, 200]);
    expect(await get({ ...user7, 'x-forwarded-for': '198.51.100.3' })).toBe(429);
    // Another user, and anonymous callers on those addresses, are untouched.
    expect(await get({ ...user8, 'x-forwarded-for': '198.51.100.1' })).toBe(200);
    expect(await get({ 'x-forwarded-for': '198.51.100.1' })).toBe(200);
    const { keys } = t.deps;
    expect(await logSize(t.redis, keys.rateLimit('read', 'user:7'))).toBe(2);
    expect(await logSize(t.redis, keys.rateLimit('read', 'ip:198.51.100.1'))).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { jsonRequest, type TestApp } from '../helpers/app.ts';
import { limitedAppPerTest } from './apps.ts';
import { logSize } from './log.ts';

const createLimitedApp = limitedAppPerTest();
let t: TestApp;

const rateLimitHeaders = (res: Response) => ({
  policy: res.headers.get('ratelimit-policy'),
  limit: res.headers.get('ratelimit-limit'),
  remaining: res.headers.get('ratelimit-remaining'),
  reset: res.headers.get('ratelimit-reset'),
  xLimit: res.headers.get('x-ratelimit-limit'),
  xRemaining: res.headers.get('x-ratelimit-remaining'),
  xReset: res.headers.get('x-ratelimit-reset'),
});

describe("the tutorial's loop of 101 requests to GET /posts", () => {
  it('passes 100 with the headers counting down, and answers the 101st with 429, Retry-After and the error shape', async () => {
    t = await createLimitedApp(); // defaults: 100 per 60 s
    const firstSent = Date.now();
    let firstAnswered = 0;
    for (let i = 1; i <= 100; i++) {
      const sent = Date.now();
      const res = await t.app.request('/posts');
      const answered = Date.now();
      if (i === 1) firstAnswered = answered;
      expect(res.status).toBe(200);
      const h = rateLimitHeaders(res);
      expect(h).toMatchObject({ policy: '100;w=60', limit: '100', remaining: String(100 - i), xLimit: '100', xRemaining: String(100 - i) });
      // X-RateLimit-Reset: when the first request leaves the window, in epoch ms (the tutorial's
      // unit); RateLimit-Reset: the same moment in seconds from now.
      const xReset = Number(h.xReset);
      expect(xReset).toBeGreaterThanOrEqual(firstSent + 60_000 - 1);
      expect(xReset).toBeLessThanOrEqual(firstAnswered + 60_000 + (answered - sent) + 1);
      expect(Number(h.reset)).toBeGreaterThanOrEqual(Math.ceil((xReset - answered) / 1000));
      expect(Number(h.reset)).toBeLessThanOrEqual(Math.ceil((xReset - sent) / 1000));
    }

    const refusedSent = Date.now();
    const res = await t.app.request('/posts');
    expect(res.status).toBe(429);
    const body = errorResponseSchema.parse(await res.json());
    expect(body.error).toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^Too many requests: the read limit is 100 per 60 s; retry in \d+ s$/) });
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(body.error.retryAfter).toBe(retryAfter);
    // The first request leaves the window 60 s after it was decided.
    expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((firstSent + 60_000 - Date.now()) / 1000));
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((firstAnswered + 60_000 - refusedSent) / 1000));
    expect(rateLimitHeaders(res)).toMatchObject({ limit: '100', remaining: '0', reset: String(retryAfter), xRemaining: '0' });
    expect(t.services.rateLimit.stats().read).toEqual({ allowed: 100, refused: 1, fail_open: 0, fail_closed: 0 });
  });

  it('spends the read budget on routes that do not exist yet too (404s cost the server as well)', async () => {
    t = await createLimitedApp();
    for (let i = 0; i < 100; i++) expect((await t.app.request('/no-such-route')).status).toBe(404);
    const res = await t.app.request('/posts/1/views');
    expect(res.status).toBe(429);
  });
});

describe('policies by route group', () => {
  it('the REST probes /health and /metrics are exempt: no budget spent, no headers, never 429', async () => {
    t = await createLimitedApp({ RATE_LIMIT_MAX: '1' });
    for (let i = 0; i < 5; i++) {
      for (const res of [await t.app.request('/health'), await t.app.request('/metrics')]) {
        expect(res.status).not.toBe(429);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
    }
    expect((await t.app.request('/posts')).headers.get('ratelimit-remaining')).toBe('0');
    // Spent: still answered.
    expect((await t.app.request('/health')).status).toBe(200);
  });

  it('the tRPC health procedure is a read (was free: batches of 50 pings never spent a unit)', async () => {
    t = await createLimitedApp({ RATE_LIMIT_MAX: '100' });
    const fifty = `/trpc/${Array(50).fill('health').join(',')}?batch=1`;
    const first = await t.app.request(fifty);
    expect(first.status).toBe(200);
    expect(rateLimitHeaders(first)).toMatchObject({ policy: '100;w=60', remaining: '50' });
    expect((await t.app.request(fifty)).headers.get('ratelimit-remaining')).toBe('0');
    const refused = await t.app.request(fifty);
    expect(refused.status).toBe(429);
    const calls = (await refused.json()) as { error: { data: { appCode: string } } }[];
    expect(calls).toHaveLength(50);
    for (const call of calls) expect(call.error.data.appCode).toBe('TOO_MANY_REQUESTS');
    // The same read budget as every other read; the REST probe still answers, uncharged.
    expect((await t.app.request('/trpc/health')).status).toBe(429);
    expect((await t.app.request('/posts')).status).toBe(429);
    const probe = await t.app.request('/health');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('ratelimit-limit')).toBeNull();
  });

  it('one read budget for REST and tRPC queries; writes, login and register each have their own', async () => {
    t = await createLimitedApp({
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WRITE: '2/1m',
      RATE_LIMIT_LOGIN: '2/1m,3/1h',
      RATE_LIMIT_REGISTER: '1/1h',
    });
    const app = t.app;
    const spend = async (method: string, path: string, times: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < times; i++) statuses.push((await jsonRequest(app, method, path, method === 'GET' ? undefined : {})).status);
      return statuses;
    };
    // Login: 2 per minute (and 3 per hour), from REST and from the tRPC procedure alike.
    expect((await jsonRequest(app, 'POST', '/auth/login', {})).headers.get('ratelimit-policy')).toBe('2;w=60, 3;w=3600');
    expect((await jsonRequest(app, 'POST', '/trpc/auth.login', {})).status).not.toBe(429);
    expect(await spend('POST', '/auth/login', 1)).toEqual([429]);
    // The real register route validates the body: reaching it (400, not 429) shows the limiter let it through.
    expect(await spend('POST', '/auth/register', 2)).toEqual([400, 429]);
    expect(await spend('PUT', '/posts/1', 1)).not.toContain(429);
    // The real create route refuses an anonymous caller (401): reaching it shows the limiter let it through.
    expect(await spend('POST', '/posts', 2)).toEqual([401, 429]);
    // None of that touched the read budget: GET and tRPC queries share it.
    expect((await app.request('/posts')).headers.get('ratelimit-remaining')).toBe('2');
    expect((await app.request('/trpc/posts.list')).headers.get('ratelimit-remaining')).toBe('1');
    expect((await app.request('/posts')).status).toBe(200);
    expect((await app.request('/posts')).status).toBe(429);
    expect(t.services.rateLimit.stats()).toMatchObject({
      login: { allowed: 2, refused: 1 },
      register: { allowed: 1, refused: 1 },
      write: { allowed: 2, refused: 1 },
      read: { allowed: 3, refused: 1 },
    });
  });

  it('CORS preflights spend nothing', async () => {
    t = await createLimitedApp({ RATE_LIMIT_MAX: '1' });
    for (let i = 0; i < 3; i++) expect((await t.app.request('/posts', { method: 'OPTIONS' })).status).not.toBe(429);
    expect((await t.app.request('/posts')).status).toBe(200);
  });
});

describe('identity', () => {
  it('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot mint fresh budgets', async () => {
    t = await createLimitedApp({ RATE_LIMIT_MAX: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.request('/posts', { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(await t.redis.exists(t.deps.keys.rateLimit('read', 'ip:unknown'))).toBe(1);
  });

  it('behind one trusted proxy, the rightmost X-Forwarded-For entry is the client; entries to its left are ignored', async () => {
    t = await createLimitedApp({ RATE_LIMIT_MAX: '2', TRUST_PROXY: 'true' });
    const from = async (xff: string) => (await t.app.request('/posts', { headers: { 'x-forwarded-for': xff } })).status;
    expect([await from('203.0.113.9'), await from('1.1.1.1, 203.0.113.9'), await from('2.2.2.2, 203.0.113.9')]).toEqual([200, 200, 429]);
    expect(await from('203.0.113.10')).toBe(200);
    expect(await logSize(t.redis, t.deps.keys.rateLimit('read', 'ip:203.0.113.9'))).toBe(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { scanKeys, valuesOf } from '../auth/helpers.ts';
import { jsonRequest, type TestApp } from '../helpers/app.ts';
import { createLimitedApp } from './apps.ts';

// Procedure and path names that exist on Object.prototype. The classifier looked them up in plain
// objects, found Object.prototype's functions as their "group", and the request went uncharged: a
// batch opening with `constructor` ran its other calls past the limiter.

let t: TestApp;
beforeAll(async () => {
  // Each case its own X-Forwarded-For address, so its own fresh budgets.
  t = await createLimitedApp({ TRUST_PROXY: '1', RATE_LIMIT_MAX: '100', RATE_LIMIT_WRITE: '30/1m', RATE_LIMIT_LOGIN: '10/1m' });
});
afterAll(() => t.close());

const prototypeNames = Object.getOwnPropertyNames(Object.prototype);
let lastAddress = 0;
const freshAddress = () => ({ 'x-forwarded-for': `198.51.100.${++lastAddress}` });

interface TrpcError {
  error: { message: string; code: number; data: { code: string; httpStatus: number; appCode: string; path: string } };
}

const notFound = (name: string) => ({
  error: {
    message: `No procedure found on path "${name}"`,
    code: -32004,
    data: expect.objectContaining({ code: 'NOT_FOUND', httpStatus: 404, path: name, appCode: 'NOT_FOUND' }),
  },
});

/** Everything under the app's prefix but the rate-limit windows: what a refused request must leave alone. */
async function storedExceptLimits(): Promise<Record<string, string[]>> {
  const keys = (await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)).filter((k) => !k.startsWith(`${t.config.REDIS_KEY_PREFIX}rl:`));
  return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await valuesOf(t.redis, k)] as const)));
}

describe('Object.prototype names as tRPC procedures', () => {
  it.each(prototypeNames)('GET /trpc/%s: 404 in tRPC format, charged one read unit', async (name) => {
    const before = await storedExceptLimits();
    const res = await t.app.request(`/trpc/${name}`, { headers: freshAddress() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(notFound(name));
    expect(res.headers.get('ratelimit-policy')).toBe('100;w=60');
    expect(res.headers.get('ratelimit-remaining')).toBe('99');
    expect(await storedExceptLimits()).toEqual(before);
  });

  it('POST /trpc/toString (a mutation): 404, charged one write unit', async () => {
    const res = await jsonRequest(t.app, 'POST', '/trpc/toString', {}, freshAddress());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(notFound('toString'));
    expect(res.headers.get('ratelimit-policy')).toBe('30;w=60');
    expect(res.headers.get('ratelimit-remaining')).toBe('29');
  });

  it('a batch opening with `constructor` is charged for every call, and refused once the budget is spent', async () => {
    const address = freshAddress();
    const url = `/trpc/constructor,posts.list?batch=1&input=${encodeURIComponent('{"1":{}}')}`;
    const first = await t.app.request(url, { headers: address });
    expect(first.status).toBe(207);
    const [unknown, list] = (await first.json()) as [TrpcError, { result: { data: unknown } }];
    expect(unknown).toEqual(notFound('constructor'));
    expect(list.result.data).toBeDefined();
    expect(first.headers.get('ratelimit-remaining')).toBe('98');
    // The rest of the budget, 49 batches of 2; the next is refused before anything runs.
    for (let i = 0; i < 49; i++) expect((await t.app.request(url, { headers: address })).status).toBe(207);
    // tRPC names the unknown call first; the call that exists is refused by the limiter.
    const refused = await t.app.request(url, { headers: address });
    expect(refused.status).toBe(207);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const calls = (await refused.json()) as TrpcError[];
    expect(calls.map((c) => c.error.data.appCode)).toEqual(['NOT_FOUND', 'TOO_MANY_REQUESTS']);
  });

  it('`__proto__` beside auth.login is charged to the login budget, the strictest of the batch', async () => {
    const res = await jsonRequest(t.app, 'POST', '/trpc/__proto__,auth.login?batch=1', { 1: {} }, freshAddress());
    expect(res.headers.get('ratelimit-policy')).toBe('10;w=60');
    expect(res.headers.get('ratelimit-remaining')).toBe('8');
    const [unknown] = (await res.json()) as TrpcError[];
    expect(unknown).toEqual(notFound('__proto__'));
  });
});

describe('Object.prototype names as REST paths', () => {
  it.each(prototypeNames)('GET /%s: 404 in the error shape, charged one read unit', async (name) => {
    const res = await t.app.request(`/${name}`, { headers: freshAddress() });
    expect(res.status).toBe(404);
    const { error } = errorResponseSchema.parse(await res.json());
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: `No route for GET /${name}` });
    expect(res.headers.get('ratelimit-remaining')).toBe('99');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../server/router.ts';
import { singleQueryOf } from '../../server/transport/trpc-single-query.ts';
import { bearer, login, register } from '../auth/helpers.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { createPost } from '../posts/helpers.ts';

/**
 * A single GET query is answered without tRPC's fetch adapter (server/transport/trpc-single-query.ts).
 * Each case here is sent twice, once as the client sends it and once with an extra query parameter,
 * which tRPC ignores and which sends it the adapter's way: both answers must be the same.
 */
let t: TestApp;
let user: Record<string, string>;
let postId: number;
let sent = 0;
/** A fresh address per request, so each starts from a full rate-limit budget and the headers agree. */
const fresh = () => ({ 'x-forwarded-for': `10.9.${(++sent >> 8) & 255}.${sent & 255}` });

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '10', TRUST_PROXY: '1' } });
  await register(t, 'single@example.com');
  const { sessionId } = await login(t, 'single@example.com', 'correct horse battery', fresh());
  user = bearer(sessionId);
  postId = (await createPost(t, { ...user, ...fresh() }, { title: 'One + one', content: 'is two' })).id;
  // Warm the cache, so both answers come from it.
  await jsonRequest(t.app, 'GET', `/posts/${postId}`, undefined, fresh());
});
afterAll(() => t?.close());

const VARIABLE_HEADERS = new Set(['x-request-id', 'date', 'ratelimit-reset', 'ratelimit', 'x-ratelimit-reset']);

async function answer(url: string, headers: Record<string, string>) {
  const res = await jsonRequest(t.app, 'GET', url, undefined, headers);
  const kept = [...res.headers].filter(([name]) => !VARIABLE_HEADERS.has(name)).sort(([a], [b]) => a.localeCompare(b));
  return { status: res.status, headers: Object.fromEntries(kept), body: (await res.json()) as unknown };
}

const REMAINING = ['ratelimit-remaining', 'x-ratelimit-remaining'];

/** `signedIn`: the two calls share the user's budget, so the second has one unit less left. */
async function expectSameAnswers(url: string, headers: () => Record<string, string> = fresh, signedIn = false) {
  expect(singleQueryOf(appRouter, '/trpc', `http://localhost${url}`), `${url} takes the short way`).toBeDefined();
  const viaAdapter = `${url}${url.includes('?') ? '&' : '?'}via=adapter`;
  expect(singleQueryOf(appRouter, '/trpc', `http://localhost${viaAdapter}`)).toBeUndefined();
  const short = await answer(url, headers());
  const full = await answer(viaAdapter, headers());
  if (signedIn) {
    for (const name of REMAINING) full.headers[name] = String(Number(full.headers[name]) + 1);
  }
  expect(short).toEqual(full);
  return short;
}

const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`;

describe('a single GET query answered without the adapter', () => {
  it('gives the adapter answer for a cached read, a missing post and invalid input', async () => {
    const found = await expectSameAnswers(`/trpc/posts.get?${input({ id: postId })}`);
    expect(found).toMatchObject({ status: 200, body: { result: { data: { source: 'cache', data: { id: postId, title: 'One + one' } } } } });
    expect(found.headers).toMatchObject({ 'content-type': 'application/json', vary: 'trpc-accept, accept', 'ratelimit-limit': '10' });
    expect((await expectSameAnswers(`/trpc/posts.get?${input({ id: 987654 })}`)).status).toBe(404);
    expect((await expectSameAnswers(`/trpc/posts.get?${input({ id: 'one' })}`)).status).toBe(400);
    expect((await expectSameAnswers('/trpc/posts.get')).status).toBe(400);
    // '+' in a query string is a space, as URLSearchParams reads it: `{"id": 1}`.
    expect((await expectSameAnswers(`/trpc/posts.get?input={"id":+${postId}}`)).status).toBe(200);
  });

  it('gives the adapter answer for a caller without a session, and with one', async () => {
    expect((await expectSameAnswers('/trpc/auth.me')).status).toBe(401);
    expect((await expectSameAnswers('/trpc/auth.me', () => ({ ...user, ...fresh() }), true)).status).toBe(200);
    expect((await expectSameAnswers('/trpc/analytics.site', () => ({ ...user, ...fresh() }), true)).status).toBe(403);
  });

  it('gives the adapter answer when the rate limit refuses the call', async () => {
    const address = { 'x-forwarded-for': '10.99.0.1' };
    for (let i = 0; i < 10; i++) expect((await jsonRequest(t.app, 'GET', '/trpc/posts.trending', undefined, address)).status).toBe(200);
    const refused = await expectSameAnswers(`/trpc/posts.get?${input({ id: postId })}`, () => address);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('leaves batches, mutations, subscriptions, unknown and prototype names, and unparsable input to the adapter', () => {
    const takes = (path: string) => singleQueryOf(appRouter, '/trpc', `http://localhost${path}`) !== undefined;
    expect(takes(`/trpc/posts.get?${input({ id: 1 })}`)).toBe(true);
    expect(takes(`/trpc/posts.get?batch=1&${input({ 0: { id: 1 } })}`)).toBe(false);
    expect(takes('/trpc/posts.get,posts.list?batch=1')).toBe(false);
    expect(takes('/trpc/posts.create')).toBe(false);
    expect(takes('/trpc/events.onPost')).toBe(false);
    expect(takes('/trpc/posts.nothing')).toBe(false);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(takes(`/trpc/${name}`)).toBe(false);
    expect(takes('/trpc/posts.get?input=%7B')).toBe(false);
    expect(takes('/trpc/posts.get?input=%E0%A4%A')).toBe(false);
    expect(takes('/trpc/posts.get?connectionParams=1')).toBe(false);
    expect(takes('/other/posts.get')).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlogClient } from '../../client/client.ts';
import { openApiDocument } from '../../server/openapi/openapi.routes.ts';
import { routeDocs } from '../../server/openapi/routes.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { createContractChecker } from '../helpers/contract.ts';
import { author, createPost, postStores } from '../posts/helpers.ts';

/**
 * Compile-time only (tsc --noEmit checks this file in CI; vitest never calls it): numeric inputs
 * are `number` for a typed client. Each `@ts-expect-error` fails the type check if the line
 * below it ever compiles.
 */
export function typedInputs(api: BlogClient) {
  // @ts-expect-error a post id is a number, not a string
  void api.posts.get.query({ id: 'one' });
  // @ts-expect-error a numeric string is no better: REST may coerce its query strings, tRPC does not
  void api.posts.get.query({ id: '1' });
  // @ts-expect-error the radius is a number
  void api.geo.nearby.query({ longitude: 13.4, latitude: 52.5, radius: 'far' });
  // @ts-expect-error coordinates are numbers
  void api.geo.nearby.query({ longitude: '13.4', latitude: 52.5, radius: 5 });
  // @ts-expect-error page sizes are numbers
  void api.posts.list.query({ limit: '20' });
  // @ts-expect-error analytics ids are numbers
  void api.analytics.post.query({ id: '1' });
  void api.posts.get.query({ id: 1 });
  void api.geo.nearby.query({ longitude: 13.4, latitude: 52.5, radius: 5 });
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('the REST edge keeps the document', () => {
  it('still reads numbers from path and query strings, and refuses an empty one rather than read it as 0', async () => {
    const { auth } = await author(t, 'edge@example.com');
    const post = await createPost(t, auth, { title: 'Edge', content: 'x', location: { longitude: 13.4, latitude: 52.5 } });
    expect((await jsonRequest(t.app, 'GET', `/posts/${post.id}`)).status).toBe(200);
    const near = await jsonRequest(t.app, 'GET', '/geo/nearby?longitude=13.4&latitude=52.5&radius=5&limit=5');
    expect(near.status).toBe(200);
    expect(((await near.json()) as unknown[]).length).toBe(1);
    const empty = await jsonRequest(t.app, 'GET', '/geo/nearby?longitude=&latitude=52.5&radius=5');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ field: 'longitude', message: 'expected a longitude in degrees' }] } });
    const word = await jsonRequest(t.app, 'GET', '/posts/one');
    expect(word.status).toBe(400);
    expect(await word.json()).toMatchObject({ error: { details: [{ field: 'id', message: 'expected a numeric post id' }] } });
  });

  it('refuses a string id over tRPC: the typed input is what the procedure accepts', async () => {
    const res = await t.app.request(`/trpc/posts.get?input=${encodeURIComponent(JSON.stringify({ id: '1' }))}`);
    expect(res.status).toBe(400);
  });

  it('answers a body not sent as JSON with 415, and writes nothing', async () => {
    const { auth } = await author(t, 'media@example.com');
    const before = await postStores(t);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await t.app.request('/posts', {
        method: 'POST',
        headers: { ...auth, ...(type && { 'content-type': type }) },
        body: JSON.stringify({ title: 'Not JSON', content: 'x' }),
      });
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    }
    expect(await postStores(t)).toEqual(before);
  });

  it('answers a wrong method on a known path with 405 and Allow, an unknown path with 404', async () => {
    const patch = await t.app.request('/posts/1', { method: 'PATCH' });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
    expect(await patch.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
    const post = await t.app.request('/health', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await t.app.request('/nowhere')).status).toBe(404);
  });
});

describe('the response checker', () => {
  const checker = createContractChecker(openApiDocument(routeDocs));
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'x-request-id': 'r1', ...headers } });

  it('passes what the document declares', async () => {
    expect(await checker.problems({ method: 'GET', path: '/posts/1/views' }, json(200, { postId: 1, views: 3 }))).toEqual([]);
  });

  it('fails an undeclared status, a body off its schema, a missing required header, a wrong media type', async () => {
    expect(await checker.problems({ method: 'GET', path: '/posts/1/views' }, json(418, {}))).toEqual([
      expect.stringContaining('status 418 is not declared'),
    ]);
    expect(await checker.problems({ method: 'GET', path: '/posts/1/views' }, json(200, { postId: 1, views: -1 }))).toEqual([
      expect.stringContaining('body does not match its schema'),
    ]);
    const error = { error: { code: 'TOO_MANY_REQUESTS', message: 'slow down' } };
    expect(await checker.problems({ method: 'GET', path: '/posts' }, json(429, error))).toEqual([
      '429 without its required header Retry-After',
    ]);
    expect(await checker.problems({ method: 'POST', path: '/auth/login' }, json(200, { sessionId: 's', user: { id: 1, email: 'a@b.c' } }))).toEqual([
      '200 without its required header Set-Cookie',
    ]);
    const text = new Response('hi', { status: 200, headers: { 'content-type': 'text/plain', 'x-request-id': 'r1' } });
    expect(await checker.problems({ method: 'GET', path: '/posts/1/views' }, text)).toEqual([expect.stringContaining('answered text/plain')]);
    expect(await checker.problems({ method: 'PATCH', path: '/posts/1' }, json(404, error))).toEqual([
      expect.stringContaining('expected 405'),
    ]);
    expect(await checker.problems({ method: 'GET', path: '/posts/1/views' }, new Response('{}', { status: 200 }))).toContain('no X-Request-Id');
  });
});

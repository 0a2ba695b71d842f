import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { jsonRequest } from '../helpers/app.ts';
import { changes, createFuzzWorld, type FuzzWorld } from './world.ts';

/** Bugs the fuzzers found, each pinned by the smallest request that showed it. */

let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld();
});
afterAll(() => world?.close());

interface TrpcError {
  error: { message: string; data: { appCode: string; httpStatus: number; details?: { field: string; message: string }[] } };
}

describe('a NUL character in a post (was a 500: PostgreSQL refuses U+0000 in text)', () => {
  it.each([
    ['POST /posts title', 'POST', '/posts', { title: 'a\u0000b', content: 'x' }, 'title'],
    ['POST /posts content', 'POST', '/posts', { title: 't', content: '\u0000' }, 'content'],
    ['PUT /posts/1 title', 'PUT', '/posts/1', { title: '\u0000' }, 'title'],
    ['PUT /posts/1 content', 'PUT', '/posts/1', { content: 'x\u0000' }, 'content'],
  ])('%s is a 400 naming the field, and nothing is written', async (_, method, path, body, field) => {
    const before = await world.snapshot();
    const res = await jsonRequest(world.t.app, method, path, body, await world.sessionHeaders());
    expect(res.status).toBe(400);
    const { error } = errorResponseSchema.parse(await res.json());
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field, message: 'expected no NUL (U+0000) characters' }]);
    expect(changes(before, await world.snapshot())).toBe('');
  });

  it('over tRPC too (posts.create), with appCode VALIDATION_FAILED', async () => {
    const res = await jsonRequest(world.t.app, 'POST', '/trpc/posts.create', { title: 'ok', content: 'a\u0000' }, await world.sessionHeaders());
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as TrpcError;
    expect(error.data.appCode).toBe('VALIDATION_FAILED');
    expect(error.data.details).toEqual([{ field: 'content', message: 'expected no NUL (U+0000) characters' }]);
  });
});

describe('a tRPC body over the limit (was a 413 in the REST shape, which a tRPC client cannot read)', () => {
  const oversized = () => JSON.stringify({ email: 'x'.repeat(world.bodyLimit), password: 'p' });
  /** A login over the limit, with its Content-Length as a real client sends it. */
  const postOversized = (path: string) => {
    const body = oversized();
    return world.t.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });
  };

  it('with Content-Length: 413 in tRPC format with appCode PAYLOAD_TOO_LARGE', async () => {
    const res = await postOversized('/trpc/auth.login');
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { error } = (await res.json()) as TrpcError;
    expect(error.data).toMatchObject({ appCode: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
    expect(error.message).toBe(`Request body is larger than ${world.bodyLimit} bytes`);
  });

  it('streamed without Content-Length: the same', async () => {
    const bytes = new TextEncoder().encode(oversized());
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.subarray(i, i + 16_384));
        controller.close();
      },
    });
    const res = await world.t.app.request('/trpc/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as TrpcError).error.data.appCode).toBe('PAYLOAD_TOO_LARGE');
  });

  it('REST keeps its own shape', async () => {
    const res = await postOversized('/auth/login');
    expect(res.status).toBe(413);
    expect(errorResponseSchema.parse(await res.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('a tRPC refusal before any procedure runs (was answered as text/plain)', () => {
  it('a POST without a content type is 415 with a JSON content type', async () => {
    const res = await world.t.app.request('/trpc/auth.login', { method: 'POST', body: '{}' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as TrpcError).error.data.appCode).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

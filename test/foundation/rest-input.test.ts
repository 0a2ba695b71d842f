import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AppEnv } from '../../server/http-env.ts';
import { createLogger } from '../../server/logger.ts';
import { notFound, onError } from '../../server/middleware/error-handler.ts';
import { requestContext } from '../../server/middleware/request-context.ts';
import { readJson } from '../../server/transport/rest.ts';

const written: unknown[] = [];
const schema = z.object({ title: z.string().min(1).max(5), n: z.number().int().optional() });
const app = new Hono<AppEnv>()
  .use(requestContext({ logger: createLogger('silent') }))
  .post('/things', async (c) => {
    const input = await readJson(c, schema);
    written.push(input);
    return c.json(input, 201);
  })
  .get('/boom', () => {
    throw new Error('secret internals at /srv/app.ts:12');
  });
app.onError(onError);
app.notFound(notFound([]));

const post = (body: string) => app.request('/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('REST input', () => {
  it('accepts a valid body', async () => {
    const res = await post('{"title":"ok","n":2}');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ title: 'ok', n: 2 });
  });

  it('malformed JSON is a 400 BAD_REQUEST and nothing is written', async () => {
    written.length = 0;
    const res = await post('{"title":');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: object }).error).toMatchObject({ code: 'BAD_REQUEST', message: 'Malformed JSON body' });
    expect(written).toEqual([]);
  });

  it('a wrong field is a 400 naming it', async () => {
    written.length = 0;
    const res = await post('{"title":"much too long","n":"x"}');
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; details: { field: string }[]; message: string } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((d) => d.field)).toEqual(['title', 'n']);
    expect(error.message).toMatch(/^Invalid input: title: .*; n: /);
    expect(written).toEqual([]);
  });

  it('an unexpected error is a 500 that reveals nothing', async () => {
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  });
});

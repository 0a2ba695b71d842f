import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { healthSchema } from '../../shared/health.ts';
import { createCaller } from '../../server/router.ts';
import { createContextInner } from '../../server/context.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
});
afterAll(() => t.close());

describe('health', () => {
  it('GET /health answers ok with both stores up', async () => {
    const res = await t.app.request('/health');
    expect(res.status).toBe(200);
    const body = healthSchema.parse(await res.json());
    expect(body.status).toBe('ok');
    expect(body.redis.status).toBe('up');
    expect(body.redis.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.db.status).toBe('up');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the health procedure gives the same answer over tRPC', async () => {
    const res = await t.app.request('/trpc/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: unknown } };
    expect(healthSchema.parse(body.result.data).status).toBe('ok');
  });

  it('can be called in-process with createCaller', async () => {
    const caller = createCaller(
      createContextInner(t.deps, t.services, { requestId: 'r1', log: t.deps.logger, session: null, clientIp: '127.0.0.1', userAgent: '' }),
    );
    expect((await caller.health()).db.status).toBe('up');
  });
});

describe('error shape', () => {
  it('unknown routes are 404 in the error shape with the request id', async () => {
    const res = await t.app.request('/no/such/route', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /no/such/route', requestId: 'abc-123' } });
  });

  it('replaces a malformed X-Request-Id with a generated one', async () => {
    const res = await t.app.request('/health', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a body over the limit is 413 in the error shape', async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/login', JSON.stringify({ x: 'y'.repeat(4096) }));
    expect(res.status).toBe(413);
    const body = errorResponseSchema.parse(await res.json());
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.error.message).toBe('Request body is larger than 2048 bytes');
  });

  it('a body over the limit on tRPC is 413 in tRPC format', async () => {
    const res = await jsonRequest(t.app, 'POST', '/trpc/auth.login', JSON.stringify({ x: 'y'.repeat(4096) }));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { message: string; data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('PAYLOAD_TOO_LARGE');
    expect(body.error.message).toBe('Request body is larger than 2048 bytes');
  });

  it('a mutation-style POST to a query is 405 in the error shape', async () => {
    const res = await jsonRequest(t.app, 'POST', '/trpc/health', {});
    expect(res.status).toBe(405);
    const body = (await res.json()) as { error: { data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('METHOD_NOT_ALLOWED');
  });

  it('unknown procedures are 404 with our code', async () => {
    const res = await t.app.request('/trpc/nope.nothing');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('NOT_FOUND');
  });

  it('every request is logged as one JSON line with its request id', async () => {
    await t.app.request('/health', { headers: { 'x-request-id': 'log-check-1' } });
    const line = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'log-check-1');
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/health', status: 200 });
  });
});

describe('tRPC responses', () => {
  it('carry the headers middleware set, like REST ones', async () => {
    const res = await t.app.request('/trpc/health', { headers: { 'x-request-id': 'trpc-headers-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trpc-headers-1');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

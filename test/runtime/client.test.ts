import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, createClient } from '../../client/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  t = await createTestApp();
  server = await listen(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe('typed client over real HTTP', () => {
  it('queries health', async () => {
    const api = createClient({ url: server.url });
    const health = await api.health.query();
    expect(health.status).toBe('ok');
    expect(health.redis.status).toBe('up');
  });

  it('sends custom headers and batches concurrent calls into one request', async () => {
    const seen: string[] = [];
    const api = createClient({
      url: server.url,
      headers: { 'x-request-id': 'client-test' },
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await Promise.all([api.health.query(), api.health.query(), api.health.query()]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('batch=1');
  });

  it('surfaces the error shape through apiError', async () => {
    const api = createClient({ url: server.url, fetch: () => Promise.resolve(new Response('nope', { status: 500 })) });
    const err = await api.health.query().catch((e: unknown) => e);
    expect(apiError(err)).toBeNull();
    expect(apiError(new Error('plain'))).toBeNull();
  });
});

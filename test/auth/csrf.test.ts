import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, DEMO, login, type ErrorJson } from './helpers.ts';

// The sid cookie and CSRF: a cookie-authenticated unsafe request must come from this site (or an
// allowed origin); otherwise the cookie grants nothing. In-process requests have host `localhost`.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { CSRF_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' } });
});
afterAll(() => t.close());

const cookie = (token: string) => ({ cookie: `sid=${token}` });
const logout = (headers: Record<string, string>) => jsonRequest(t.app, 'POST', '/auth/logout', undefined, headers);
const alive = async (token: string) => (await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token))).status === 200;

describe('CSRF protection for cookie-authenticated requests', () => {
  it.each([
    ['no Origin and no Referer', {}],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a foreign Referer', { referer: 'https://evil.example/page' }],
    ['an opaque Origin', { origin: 'null' }],
    ['a lookalike host', { origin: 'http://localhost.evil.example' }],
  ])('refuses an unsafe request with %s: 403, and the session is untouched', async (_, headers) => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await logout({ ...cookie(sessionId), ...headers });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as ErrorJson;
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/^Cross-site request refused/);
    expect(await alive(sessionId)).toBe(true);
  });

  it.each([
    ['its own Origin', { origin: 'http://localhost' }],
    ['its own Referer', { referer: 'http://localhost/settings' }],
    ['an allowed Origin', { origin: 'https://app.example.com' }],
    ['another allowed Origin', { origin: 'http://localhost:5173' }],
  ])('accepts an unsafe request with %s', async (_, headers) => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    expect((await logout({ ...cookie(sessionId), ...headers })).status).toBe(200);
    expect(await alive(sessionId)).toBe(false);
  });

  it('exempts Bearer requests: a browser never adds that header by itself', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    expect((await logout({ ...bearer(sessionId), origin: 'https://evil.example' })).status).toBe(200);
  });

  it('exempts safe methods', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await jsonRequest(t.app, 'GET', '/auth/me', undefined, { ...cookie(sessionId), origin: 'https://evil.example' });
    expect(res.status).toBe(200);
  });

  it('serves a public route anonymously: the cross-site cookie grants nothing, so there is nothing to refuse', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await jsonRequest(t.app, 'POST', '/auth/register', { email: 'csrf-public@example.com', password: 'long enough' }, {
      ...cookie(sessionId),
      origin: 'https://evil.example',
    });
    expect(res.status).toBe(201);
  });

  it('refuses a cross-site tRPC mutation with 403 in the tRPC error shape', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await jsonRequest(t.app, 'POST', '/trpc/auth.logoutAll', {}, { ...cookie(sessionId), origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { message: string; data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('FORBIDDEN');
    expect(body.error.message).toMatch(/^Cross-site request refused/);
  });
});

describe('the sid cookie', () => {
  it('omits Secure only in development', async () => {
    const dev = await createTestApp({ env: { NODE_ENV: 'development' } });
    try {
      const res = await jsonRequest(dev.app, 'POST', '/auth/login', DEMO);
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^sid=\d+\.[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    } finally {
      await dev.close();
    }
  });
});

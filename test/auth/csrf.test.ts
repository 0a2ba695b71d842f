import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, DEMO, login, scanKeys, valuesOf, type ErrorJson } from './helpers.ts';

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

/** What a browser sends from a page that is not this site's. */
const foreignPages: [string, Record<string, string>][] = [
  ['a foreign Origin', { origin: 'https://evil.example' }],
  ['a foreign Referer', { referer: 'https://evil.example/page' }],
  ['an opaque Origin (a sandboxed frame)', { origin: 'null' }],
  ['a lookalike host', { origin: 'http://localhost.evil.example' }],
];

describe('CSRF protection for cookie-authenticated requests', () => {
  it.each([['no Origin and no Referer', {}], ...foreignPages])('refuses an unsafe request with %s: 403, and the session is untouched', async (_, headers) => {
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
    const res = await jsonRequest(t.app, 'GET', '/posts', undefined, { ...cookie(sessionId), origin: 'https://evil.example' });
    expect(res.status).toBe(200);
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

/** Every key under the app's prefix with its value, and the SQL tables' row counts: equal before and after a refused request. */
async function stored() {
  const keys = await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX);
  const redis = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await valuesOf(t.redis, k)] as const)));
  const [rows] = await t.db.query<Record<string, number>>('select (select count(*) from users)::int as users, (select count(*) from posts)::int as posts');
  return { redis, ...rows };
}

const send = (path: string, headers: Record<string, string>, body: string) => t.app.request(path, { method: 'POST', headers, body });

async function expectError(res: Response, status: number, code: string, message: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('set-cookie')).toBeNull();
  const { error } = (await res.json()) as ErrorJson;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

const crossSite = /^Cross-site request refused: POST \/auth\/(login|register) needs an Origin or Referer from this site/;

describe('login CSRF (was: a text/plain login from any Origin answered 200 and set the sid cookie)', () => {
  // The attacker's own account, posted by a form on their page: the visitor would be signed into it.
  const attackerCredentials = JSON.stringify(DEMO);

  it('refuses the reported attack, a text/plain login from a foreign Origin: 403, no cookie, nothing stored', async () => {
    const before = await stored();
    const res = await send('/auth/login', { 'content-type': 'text/plain', origin: 'https://evil.example' }, attackerCredentials);
    await expectError(res, 403, 'FORBIDDEN', crossSite);
    expect(await stored()).toEqual(before);
  });

  it.each(foreignPages)('refuses a JSON login with %s: 403, no cookie, nothing stored', async (_, headers) => {
    const before = await stored();
    await expectError(await send('/auth/login', { 'content-type': 'application/json', ...headers }, attackerCredentials), 403, 'FORBIDDEN', crossSite);
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['no content type', {}],
  ])('refuses a %s login even without an Origin: 415, no cookie, nothing stored', async (_, headers) => {
    const before = await stored();
    await expectError(await send('/auth/login', headers, attackerCredentials), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    expect(await stored()).toEqual(before);
  });

  it('refuses register from a foreign Origin (403) and as text/plain (415): no account is created', async () => {
    const before = await stored();
    const body = JSON.stringify({ email: 'csrf-register@example.com', password: 'long enough' });
    await expectError(await send('/auth/register', { 'content-type': 'application/json', origin: 'https://evil.example' }, body), 403, 'FORBIDDEN', crossSite);
    await expectError(await send('/auth/register', { 'content-type': 'text/plain' }, body), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['its own Origin', { origin: 'http://localhost' }],
    ['its own Referer', { referer: 'http://localhost/login' }],
    ['an allowed Origin', { origin: 'https://app.example.com' }],
    ['no Origin at all (curl, the tutorial)', {}],
  ])('still logs in from %s with a JSON body: 200 and the sid cookie', async (_, headers) => {
    const res = await send('/auth/login', { 'content-type': 'application/json; charset=utf-8', ...headers }, attackerCredentials);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^sid=/);
  });

  it('holds for every JSON route: a text/plain POST /posts with a valid Bearer token is 415 and writes nothing', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(sessionId))).status).toBe(200); // marked active today
    const before = await stored();
    const res = await send('/posts', { 'content-type': 'text/plain', ...bearer(sessionId) }, JSON.stringify({ title: 'CSRF', content: 'x' }));
    await expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['auth.login', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\nuser@example.com\r\n--x--\r\n'],
    ['auth.register', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\nx@example.com\r\n--x--\r\n'],
    ['auth.login', 'application/octet-stream', attackerCredentials],
    ['auth.login', 'text/plain', attackerCredentials],
  ])('tRPC: %s sent as %s is 415 in tRPC format, nothing stored', async (procedure, type, body) => {
    const before = await stored();
    const res = await send(`/trpc/${procedure}`, { 'content-type': type, origin: 'https://evil.example' }, body);
    expect(res.status).toBe(415);
    const { error } = (await res.json()) as { error: { data: { appCode: string; httpStatus: number } } };
    expect(error.data).toMatchObject({ appCode: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 });
    expect(await stored()).toEqual(before);
  });
});

describe('the origin check compares scheme, host and port (was: the host only)', () => {
  it.each([
    ['https://localhost', 'another scheme'],
    ['http://localhost:8080', 'another port'],
  ])('refuses a cookie-authenticated write from %s (%s): 403, the session is untouched', async (origin) => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await logout({ ...cookie(sessionId), origin });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/^Cross-site request refused/);
    expect(await alive(sessionId)).toBe(true);
  });

  it('refuses a login from https://localhost to this http site', async () => {
    const before = await stored();
    await expectError(await send('/auth/login', { 'content-type': 'application/json', origin: 'https://localhost' }, JSON.stringify(DEMO)), 403, 'FORBIDDEN', crossSite);
    expect(await stored()).toEqual(before);
  });

  it("behind a trusted proxy the site's scheme is X-Forwarded-Proto's; without TRUST_PROXY the header is ignored", async () => {
    const proxied = await createTestApp({ env: { TRUST_PROXY: '1' } });
    try {
      const { sessionId } = await login(proxied, DEMO.email, DEMO.password);
      const logoutVia = (app: TestApp, headers: Record<string, string>) => jsonRequest(app.app, 'POST', '/auth/logout', undefined, { ...cookie(sessionId), ...headers });
      // TLS ends at the proxy: the app sees http, the browser's page is https.
      expect((await logoutVia(proxied, { 'x-forwarded-proto': 'http', origin: 'https://localhost' })).status).toBe(403);
      expect((await logoutVia(t, { 'x-forwarded-proto': 'https', origin: 'https://localhost' })).status).toBe(403);
      expect((await logoutVia(proxied, { 'x-forwarded-proto': 'https', origin: 'https://localhost' })).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});

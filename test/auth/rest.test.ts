import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginResultSchema, meSchema, refreshResultSchema, sessionListSchema } from '../../shared/auth.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { clockReaches } from '../helpers/wait.ts';
import { bearer, DEMO, login, register, storesSnapshot, type ErrorJson } from './helpers.ts';

// Every REST route under /auth, in-process, against the real Redis and an in-memory PGlite.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clientAddress: (c) => c.req.header('x-test-ip') });
});
afterAll(() => t.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorOf = async (res: Response) => ((await res.json()) as ErrorJson).error;
const me = (token: string) => jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token));
let n = 0;
const freshEmail = () => `rest-${++n}@example.com`;

describe('POST /auth/register', () => {
  it('answers 201 with the user, the email trimmed and lower-cased', async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/register', { email: '  Ada.Lovelace@Example.COM ', password: 'analytical engine' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { id: number; email: string } };
    expect(body).toEqual({ user: { id: expect.any(Number), email: 'ada.lovelace@example.com' } });
    const [row] = await t.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [body.user.id]);
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(t, 'ADA.lovelace@example.com', 'analytical engine')).user.id).toBe(body.user.id);
  });

  it('answers 409 for an email already registered, in any case, and writes nothing', async () => {
    const email = freshEmail();
    await register(t, email);
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'POST', '/auth/register', { email: email.toUpperCase(), password: 'another password' });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'CONFLICT', message: 'Email already registered', details: [{ field: 'email' }] });
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it.each([
    ['a weak password', { email: 'weak@example.com', password: 'short' }, ['password'], /password: Too small: expected string to have >=8 characters/],
    ['a password over 128 characters', { email: 'long@example.com', password: 'x'.repeat(129) }, ['password'], /password: Too big/],
    ['an email over 254 characters', { email: `${'x'.repeat(250)}@example.com`, password: 'long enough' }, ['email'], /email: Too big/],
    ['an invalid email', { email: 'not-an-email', password: 'long enough' }, ['email'], /email: Invalid email/],
    ['wrong types', { email: 42, password: ['x'] }, ['email', 'password'], /email: Invalid input: expected string, received number/],
    ['missing fields', {}, ['email', 'password'], /email: Invalid input/],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_, body, fields, message) => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'POST', '/auth/register', body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.map((d) => d.field)).toEqual(fields);
    expect(error.message).toMatch(message);
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it('refuses malformed JSON with 400 and writes nothing', async () => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'POST', '/auth/register', '{"email":');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'BAD_REQUEST', message: 'Malformed JSON body' });
    expect(await storesSnapshot(t)).toEqual(before);
  });
});

describe('POST /auth/login', () => {
  it("answers the tutorial's shape and sets the sid cookie", async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/login', DEMO, { 'user-agent': 'curl/8.5.0', 'x-test-ip': '203.0.113.9' });
    expect(res.status).toBe(200);
    const body = loginResultSchema.parse(await res.json());
    expect(Object.keys(body)).toEqual(['sessionId', 'user']);
    expect(body.user).toEqual({ id: expect.any(Number), email: DEMO.email });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^sid=${body.sessionId.replace('.', '\\.')};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Secure'); // NODE_ENV=test; only development omits it
    expect(cookie).toContain('Max-Age=2592000');

    const who = meSchema.parse(await (await me(body.sessionId)).json());
    expect(who.user).toEqual({ id: body.user.id, email: DEMO.email, roles: [] });
    const listed = sessionListSchema.parse(await (await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(body.sessionId))).json());
    expect(listed.sessions.find((s) => s.current)).toMatchObject({ id: who.session.id, ip: '203.0.113.9', userAgent: 'curl/8.5.0' });
  });

  it.each([
    ['a missing password', { email: DEMO.email }, ['password']],
    ['an oversized password', { email: DEMO.email, password: 'p'.repeat(129) }, ['password']],
    ['an email of the wrong type', { email: true, password: 'password123' }, ['email']],
  ])('refuses %s with 400 naming the field, counting no attempt', async (_, body, fields) => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'POST', '/auth/login', body);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).details?.map((d) => d.field)).toEqual(fields);
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it('answers 401 for a wrong password', async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/login', { email: DEMO.email, password: 'wrong password' }, { 'x-test-ip': '198.51.100.1' });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid email or password' });
  });
});

describe('authentication on the request path', () => {
  it('accepts the token as Bearer and as the sid cookie', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    expect((await me(sessionId)).status).toBe(200);
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, { cookie: `sid=${sessionId}` })).status).toBe(200);
  });

  it.each([
    ['no token', {}, 'Authentication required: send Authorization: Bearer <sessionId> or the sid cookie', undefined],
    ['a malformed Bearer token', bearer('abc123'), 'Malformed session token', 'authorization'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'Malformed session token', 'authorization'],
    ['an empty Bearer', { authorization: 'Bearer ' }, 'Malformed session token', 'authorization'],
    ['a malformed cookie', { cookie: 'sid=nope' }, 'Malformed session token', 'sid'],
    ['a well-formed token with no session', bearer(`1.${'A'.repeat(43)}`), 'Session expired or revoked: log in again', 'authorization'],
  ])('answers 401 UNAUTHORIZED for %s, saying why', async (_, headers, message, field) => {
    const res = await jsonRequest(t.app, 'GET', '/auth/me', undefined, headers);
    expect(res.status).toBe(401);
    const error = await errorOf(res);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe(message);
    expect(error.details?.[0]?.field).toBe(field);
  });

  it('still serves public routes to a caller with a dead token, and clears a dead cookie', async () => {
    // /health answers before the session middleware; the tRPC health query goes through it.
    const res = await jsonRequest(t.app, 'GET', '/trpc/health', undefined, { cookie: `sid=1.${'B'.repeat(43)}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^sid=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax/);
  });
});

describe('logout, refresh and sessions', () => {
  it('POST /auth/logout ends the session and clears the cookie; the token is refused after', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const res = await jsonRequest(t.app, 'POST', '/auth/logout', undefined, bearer(sessionId));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Logged out successfully' });
    expect(res.headers.get('set-cookie')).toMatch(/^sid=; Max-Age=0/);
    const after = await me(sessionId);
    expect(after.status).toBe(401);
    expect((await errorOf(after)).message).toMatch(/expired or revoked/);
    expect((await jsonRequest(t.app, 'POST', '/auth/logout', undefined, bearer(sessionId))).status).toBe(401);
  });

  it('POST /auth/refresh slides the idle expiry; without a live token it is 401', async () => {
    const { sessionId } = await login(t, DEMO.email, DEMO.password);
    const before = meSchema.parse(await (await me(sessionId)).json()).session;
    await clockReaches(Date.parse(before.lastSeenAt) + 20, '20 ms after the last touch');
    const res = await jsonRequest(t.app, 'POST', '/auth/refresh', undefined, bearer(sessionId));
    expect(res.status).toBe(200);
    const body = refreshResultSchema.parse(await res.json());
    expect(body.message).toBe('Session refreshed');
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));
    expect(body.absoluteExpiresAt).toBe(before.absoluteExpiresAt);
    expect((await jsonRequest(t.app, 'POST', '/auth/refresh')).status).toBe(401);
    expect((await jsonRequest(t.app, 'POST', '/auth/refresh', undefined, bearer('x'))).status).toBe(401);
  });

  it('GET /auth/sessions lists every session, the current one marked, never a token', async () => {
    const email = freshEmail();
    await register(t, email, 'listing password');
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await login(t, email, 'listing password', { 'user-agent': `agent-${i}` })).sessionId);
    const res = await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(tokens[1]!));
    const text = await res.text();
    for (const token of tokens) expect(text).not.toContain(token.split('.')[1]);
    const { sessions } = sessionListSchema.parse(JSON.parse(text));
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['agent-1']);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(3);
  });

  it('DELETE /auth/sessions/:id revokes that session only; unknown, foreign and malformed ids are refused', async () => {
    const email = freshEmail();
    await register(t, email, 'revoking password');
    const [a, b, c] = [await login(t, email, 'revoking password'), await login(t, email, 'revoking password'), await login(t, email, 'revoking password')];
    const { sessions } = sessionListSchema.parse(await (await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(a.sessionId))).json());
    const bId = meSchema.parse(await (await me(b.sessionId)).json()).session.id;
    expect(sessions.map((s) => s.id)).toContain(bId);

    const res = await jsonRequest(t.app, 'DELETE', `/auth/sessions/${bId}`, undefined, bearer(a.sessionId));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Session revoked', revoked: 1 });
    expect((await me(b.sessionId)).status).toBe(401);
    expect((await me(a.sessionId)).status).toBe(200);
    expect((await me(c.sessionId)).status).toBe(200);

    const again = await jsonRequest(t.app, 'DELETE', `/auth/sessions/${bId}`, undefined, bearer(a.sessionId));
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe('NOT_FOUND');

    // Someone else's session id is not found among the caller's: nothing is revoked.
    const demo = await login(t, DEMO.email, DEMO.password);
    const demoId = meSchema.parse(await (await me(demo.sessionId)).json()).session.id;
    expect((await jsonRequest(t.app, 'DELETE', `/auth/sessions/${demoId}`, undefined, bearer(a.sessionId))).status).toBe(404);
    expect((await me(demo.sessionId)).status).toBe(200);

    const before = await storesSnapshot(t);
    const bad = await jsonRequest(t.app, 'DELETE', '/auth/sessions/not-a-session-id', undefined, bearer(a.sessionId));
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).details?.map((d) => d.field)).toEqual(['id']);
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it('POST /auth/logout-all leaves only the current session', async () => {
    const email = freshEmail();
    await register(t, email, 'everywhere password');
    const tokens = [];
    for (let i = 0; i < 4; i++) tokens.push((await login(t, email, 'everywhere password')).sessionId);
    const res = await jsonRequest(t.app, 'POST', '/auth/logout-all', undefined, bearer(tokens[2]!));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Logged out of all other sessions', revoked: 3 });
    const statuses = await Promise.all(tokens.map(async (tk) => (await me(tk)).status));
    expect(statuses).toEqual([401, 401, 200, 401]);
    const { sessions } = sessionListSchema.parse(await (await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(tokens[2]!))).json());
    expect(sessions.map((s) => s.current)).toEqual([true]);
  });

  it('POST /auth/password checks the current password, stores the new one and ends every other session', async () => {
    const email = freshEmail();
    await register(t, email, 'old password 1');
    const [current, other] = [await login(t, email, 'old password 1'), await login(t, email, 'old password 1')];
    const headers = { ...bearer(current.sessionId), 'x-test-ip': '192.0.2.50' };

    const wrong = await jsonRequest(t.app, 'POST', '/auth/password', { currentPassword: 'not it', newPassword: 'new password 2' }, headers);
    expect(wrong.status).toBe(403);
    expect(await errorOf(wrong)).toMatchObject({ code: 'FORBIDDEN', details: [{ field: 'currentPassword' }] });

    const before = await storesSnapshot(t);
    const weak = await jsonRequest(t.app, 'POST', '/auth/password', { currentPassword: 'old password 1', newPassword: 'short' }, headers);
    expect(weak.status).toBe(400);
    expect((await errorOf(weak)).details?.map((d) => d.field)).toEqual(['newPassword']);
    expect(await storesSnapshot(t)).toEqual(before);

    const ok = await jsonRequest(t.app, 'POST', '/auth/password', { currentPassword: 'old password 1', newPassword: 'new password 2' }, headers);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ message: 'Password changed; other sessions ended', revoked: 1 });
    expect((await me(current.sessionId)).status).toBe(200);
    expect((await me(other.sessionId)).status).toBe(401);
    expect((await jsonRequest(t.app, 'POST', '/auth/login', { email, password: 'old password 1' })).status).toBe(401);
    expect((await login(t, email, 'new password 2')).user.email).toBe(email);
  });

  it('the password change needs a session', async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/password', { currentPassword: 'a', newPassword: 'bbbbbbbb' });
    expect(res.status).toBe(401);
  });
});

describe('what Redis holds', () => {
  it('no key and no value anywhere under the prefix contains a token issued over HTTP', async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await login(t, DEMO.email, DEMO.password, { 'x-test-ip': `10.9.9.${i}` })).sessionId);
    await jsonRequest(t.app, 'POST', '/auth/refresh', undefined, bearer(tokens[0]!));
    await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, { cookie: `sid=${tokens[1]}` });
    await jsonRequest(t.app, 'POST', '/auth/login', { email: DEMO.email, password: 'a wrong one' });
    const { redis: stored } = await storesSnapshot(t);
    const keys = Object.keys(stored);
    expect(keys.some((k) => k.includes(':sess:'))).toBe(true);
    expect(keys.some((k) => k.includes(':login-attempts:'))).toBe(true);
    for (const token of tokens) {
      const secret = token.split('.')[1]!;
      for (const [key, values] of Object.entries(stored)) {
        expect(key).not.toContain(secret);
        for (const value of values) expect(value, key).not.toContain(secret);
      }
    }
  });
});

describe('expiry', () => {
  it('refuses a session once its idle timeout passes without use', async () => {
    const short = await createTestApp({ env: { SESSION_TTL_SECONDS: '1', SESSION_TOUCH_INTERVAL_SECONDS: '0' } });
    try {
      const { sessionId } = await login(short, DEMO.email, DEMO.password);
      expect((await jsonRequest(short.app, 'GET', '/auth/me', undefined, bearer(sessionId))).status).toBe(200);
      const lastUse = Date.now(); // that request slid the idle expiry to at most this + 1 s
      await clockReaches(lastUse + 1200, 'past the idle expiry');
      const res = await jsonRequest(short.app, 'GET', '/auth/me', undefined, bearer(sessionId));
      expect(res.status).toBe(401);
      expect((await errorOf(res)).message).toBe('Session expired or revoked: log in again');
    } finally {
      await short.close();
    }
  });

  it('keeps an active session alive past its idle timeout, but never past its absolute lifetime', async () => {
    const short = await createTestApp({
      env: { SESSION_TTL_SECONDS: '1', SESSION_MAX_AGE_SECONDS: '3', SESSION_TOUCH_INTERVAL_SECONDS: '0' },
    });
    try {
      const { sessionId } = await login(short, DEMO.email, DEMO.password);
      const first = meSchema.parse(await (await jsonRequest(short.app, 'GET', '/auth/me', undefined, bearer(sessionId))).json()).session;
      const absolute = Date.parse(first.absoluteExpiresAt);
      // Refresh every 300 ms: each one slides the 1 s idle expiry, so the session outlives it...
      while (Date.now() < absolute - 400) {
        const res = await jsonRequest(short.app, 'POST', '/auth/refresh', undefined, bearer(sessionId));
        expect(res.status).toBe(200);
        const body = refreshResultSchema.parse(await res.json());
        expect(Date.parse(body.expiresAt)).toBeLessThanOrEqual(absolute);
        expect(body.absoluteExpiresAt).toBe(first.absoluteExpiresAt);
        await sleep(300); // pacing: a refresh every 300 ms
      }
      // ...until the absolute lifetime, which no refresh extends.
      await clockReaches(absolute, 'the absolute expiry');
      expect((await jsonRequest(short.app, 'POST', '/auth/refresh', undefined, bearer(sessionId))).status).toBe(401);
      expect((await jsonRequest(short.app, 'GET', '/auth/me', undefined, bearer(sessionId))).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

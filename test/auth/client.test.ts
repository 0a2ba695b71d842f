import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, createClient, createSessionClient } from '../../client/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';
import { DEMO } from './helpers.ts';

// auth.* through the typed client over real HTTP, and a client that carries its own session.
let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '2', LOGIN_SLOWDOWN_MS: '0' } });
  server = await listen(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const caught = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => apiError(err));

describe('createSessionClient', () => {
  it('logs in, then carries the token itself; logout forgets it', async () => {
    const seen: (string | null)[] = [];
    const session = createSessionClient({ url: server.url, onTokenChange: (tk) => seen.push(tk) });
    expect(session.token).toBeNull();
    expect(await caught(session.api.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });

    const result = await session.login({ email: DEMO.email, password: DEMO.password });
    expect(result).toEqual({ sessionId: expect.stringMatching(/^\d+\.[A-Za-z0-9_-]{43}$/), user: { id: expect.any(Number), email: DEMO.email } });
    expect(session.token).toBe(result.sessionId);
    const me = await session.api.auth.me.query();
    expect(me.user.email).toBe(DEMO.email);

    await session.logout();
    expect(session.token).toBeNull();
    expect(seen).toEqual([result.sessionId, null]);
    // The old token is dead on the server too.
    const stale = createClient({ url: server.url, token: result.sessionId });
    expect(await caught(stale.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED', message: 'Session expired or revoked: log in again' });
  });

  it('starts from a stored token, and a logout of an already-dead session still forgets it', async () => {
    const first = createSessionClient({ url: server.url });
    const { sessionId } = await first.login(DEMO);
    const restored = createSessionClient({ url: server.url, token: sessionId });
    expect((await restored.api.auth.me.query()).user.email).toBe(DEMO.email);
    await first.logout();
    await restored.logout();
    expect(restored.token).toBeNull();
  });
});

describe('auth.* through the typed client', () => {
  it('register, login, me, sessions, revokeSession, logoutAll, refresh, changePassword, logout', async () => {
    const anon = createClient({ url: server.url });
    const { user } = await anon.auth.register.mutate({ email: 'Client@Example.com', password: 'client password 1' });
    expect(user).toEqual({ id: expect.any(Number), email: 'client@example.com' });
    expect(await caught(anon.auth.register.mutate({ email: 'client@example.com', password: 'client password 1' }))).toMatchObject({
      code: 'CONFLICT',
      httpStatus: 409,
    });

    let token: string | null = null;
    const api = createClient({ url: server.url, token: () => token });
    const logins = [];
    for (let i = 0; i < 3; i++) logins.push(await anon.auth.login.mutate({ email: 'client@example.com', password: 'client password 1' }));
    token = logins[0]!.sessionId;

    const me = await api.auth.me.query();
    expect(me.user).toEqual({ id: user.id, email: 'client@example.com', roles: [] });
    const { sessions } = await api.auth.sessions.query();
    expect(sessions).toHaveLength(3);
    expect(sessions.find((s) => s.current)?.id).toBe(me.session.id);

    const victim = sessions.find((s) => !s.current)!;
    expect(await api.auth.revokeSession.mutate({ id: victim.id })).toEqual({ message: 'Session revoked', revoked: 1 });
    expect(await caught(api.auth.revokeSession.mutate({ id: victim.id }))).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(await caught(api.auth.revokeSession.mutate({ id: 'bad' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      httpStatus: 400,
      details: [{ field: 'id' }],
    });
    expect(await api.auth.logoutAll.mutate()).toEqual({ message: 'Logged out of all other sessions', revoked: 1 });
    expect((await api.auth.sessions.query()).sessions.map((s) => s.current)).toEqual([true]);

    const refreshed = await api.auth.refresh.mutate();
    expect(Date.parse(refreshed.expiresAt)).toBeLessThanOrEqual(Date.parse(refreshed.absoluteExpiresAt));

    const other = await anon.auth.login.mutate({ email: 'client@example.com', password: 'client password 1' });
    expect(await api.auth.changePassword.mutate({ currentPassword: 'client password 1', newPassword: 'client password 2' })).toEqual({
      message: 'Password changed; other sessions ended',
      revoked: 1,
    });
    expect(await caught(createClient({ url: server.url, token: other.sessionId }).auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED' });

    expect(await api.auth.logout.mutate()).toEqual({ message: 'Logged out successfully' });
    expect(await caught(api.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });

  it('surfaces validation errors naming the field, and the login throttle with retryAfter', async () => {
    const anon = createClient({ url: server.url });
    expect(await caught(anon.auth.register.mutate({ email: 'x@example.com', password: 'short' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'password' }],
    });
    const wrong = () => caught(anon.auth.login.mutate({ email: 'throttled@example.com', password: 'guess' }));
    expect(await wrong()).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid email or password' });
    expect(await wrong()).toMatchObject({ code: 'UNAUTHORIZED' });
    const refused = await wrong();
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
    expect(refused?.retryAfter).toBeGreaterThan(0);
  });

  it('reads a token from connectionParams, the way subscriptions over SSE will send it', async () => {
    const { sessionId } = await createClient({ url: server.url }).auth.login.mutate(DEMO);
    const params = encodeURIComponent(JSON.stringify({ token: sessionId }));
    const res = await fetch(`${server.url}/trpc/auth.me?connectionParams=${params}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { data: { user: { email: string } } } }).result.data.user.email).toBe(DEMO.email);

    const bad = await fetch(`${server.url}/trpc/auth.me?connectionParams=${encodeURIComponent(JSON.stringify({ token: 'junk' }))}`);
    expect(bad.status).toBe(401);
    const body = (await bad.json()) as { error: { data: { details: { field: string }[] } } };
    expect(body.error.data.details[0]?.field).toBe('connectionParams');
  });
});

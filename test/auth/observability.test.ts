import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { bearer, DEMO, login, register } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await Promise.all(t.startup.map((task) => task.run()));
});
afterAll(() => t.close());

const created = async () => sample(await scrape(t.app), 'blog_api_sessions_created_total') ?? 0;
const revoked = async (reason: string) => sample(await scrape(t.app), 'blog_api_sessions_revoked_total', { reason }) ?? 0;

describe('session metrics', () => {
  it('a login counts one session created; logout, revoke and logout-all count what they ended', async () => {
    await register(t, 'metrics@example.com', 'password-metrics');
    const before = { created: await created(), logout: await revoked('logout'), all: await revoked('logout_all'), revoke: await revoked('revoke') };

    const a = await login(t, 'metrics@example.com', 'password-metrics');
    const b = await login(t, 'metrics@example.com', 'password-metrics');
    const c = await login(t, 'metrics@example.com', 'password-metrics');
    const d = await login(t, 'metrics@example.com', 'password-metrics');
    expect(await created()).toBe(before.created + 4);

    const list = (await (await jsonRequest(t.app, 'GET', '/auth/sessions', undefined, bearer(a.sessionId))).json()) as { sessions: { id: string; current: boolean }[] };
    const other = list.sessions.find((s) => !s.current)!;
    expect((await jsonRequest(t.app, 'DELETE', `/auth/sessions/${other.id}`, undefined, bearer(a.sessionId))).status).toBe(200);
    expect(await revoked('revoke')).toBe(before.revoke + 1);

    expect((await jsonRequest(t.app, 'POST', '/auth/logout-all', undefined, bearer(a.sessionId))).status).toBe(200);
    expect(await revoked('logout_all')).toBe(before.all + 2);

    expect((await jsonRequest(t.app, 'POST', '/auth/logout', undefined, bearer(a.sessionId))).status).toBe(200);
    expect(await revoked('logout')).toBe(before.logout + 1);
    void [b, c, d];
  });
});

describe('logs', () => {
  it('a login and an authenticated request log lines with request ids and without the token or password', async () => {
    t.logs.length = 0;
    const res = await jsonRequest(t.app, 'POST', '/auth/login', DEMO, { 'x-request-id': 'login-log-1' });
    expect(res.status).toBe(200);
    const { sessionId } = (await res.json()) as { sessionId: string };
    const me = await jsonRequest(t.app, 'GET', '/auth/me', undefined, { ...bearer(sessionId), 'x-request-id': 'me-log-1' });
    expect(me.status).toBe(200);

    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.requestId === 'login-log-1').map((l) => l.msg)).toEqual(expect.arrayContaining(['login', 'request']));
    expect(lines.filter((l) => l.requestId === 'me-log-1').map((l) => l.msg)).toContain('request');
    const all = t.logs.join('\n');
    expect(all).not.toContain(sessionId);
    expect(all).not.toContain(sessionId.split('.')[1]);
    expect(all).not.toContain(DEMO.password);
  });
});

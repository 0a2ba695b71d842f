import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.ts';
import { createLogger } from '../../server/logger.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';

// Secrets a caller sends; none may reach a log line, in any field, at any level.
const token = 'tok_5Yb8uQm2Xr7LpW4zN9vK1sHd3Fg6Jc0A';
const cookieToken = 'ck_Zt3Wq8Rn5Lm1Vb7Xp2Ys9Kd4Hf6Ja0Gc';
const password = 'correct horse battery staple 42!';
const secrets = [token, cookieToken, password];

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { LOG_LEVEL: 'debug' } });
  // A route that does what careless code does: logs what it was sent, then fails with a message
  // that quotes the request. Registered on the real app, behind the real middleware.
  t.app.post('/test/careless', async (c) => {
    const body: unknown = await c.req.json();
    c.get('log').info('careless handler got', {
      body,
      headers: Object.fromEntries(c.req.raw.headers),
      note: `caller sent ${c.req.header('authorization')} and ${c.req.header('cookie')}`,
    });
    throw new AppError('INTERNAL', 'boom', {
      cause: new Error(`failed for ${c.req.header('authorization')} with cookie ${c.req.header('cookie')}`),
    });
  });
  t.app.get('/test/busy', () => {
    throw new AppError('SERVICE_UNAVAILABLE', 'Busy right now', { retryAfter: 1 });
  });
});
afterAll(() => t.close());

function linesOf(requestId: string): Record<string, unknown>[] {
  return t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === requestId);
}

function expectNoSecret(lines: string[]) {
  for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
}

const secretHeaders = {
  authorization: `Bearer ${token}`,
  cookie: `sid=${cookieToken}; theme=dark`,
};

describe('logs never carry a token, cookie or password', () => {
  it('requests with a bearer token, a cookie and a password body are logged with their request id only', async () => {
    const ids = ['log-secret-1', 'log-secret-2', 'log-secret-3', 'log-secret-4'];
    await t.app.request('/health', { headers: { ...secretHeaders, 'x-request-id': ids[0]! } });
    await jsonRequest(t.app, 'POST', '/trpc/health', { email: 'user@example.com', password }, { ...secretHeaders, 'x-request-id': ids[1]! });
    await jsonRequest(t.app, 'POST', '/auth/login', { email: 'user@example.com', password }, { ...secretHeaders, 'x-request-id': ids[2]! });
    const res = await jsonRequest(t.app, 'POST', '/test/careless', { email: 'user@example.com', password, nested: { token } }, {
      ...secretHeaders,
      'x-request-id': ids[3]!,
    });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(token);

    for (const id of ids) expect(linesOf(id).length, `lines for ${id}`).toBeGreaterThan(0);
    // The careless route's own line and the error line are there, redacted, not dropped.
    const careless = linesOf(ids[3]!);
    expect(careless.map((l) => l.msg)).toEqual(['careless handler got', 'request failed', 'request']);
    expect(careless[0]).toMatchObject({
      body: { email: 'user@example.com', password: '[redacted]', nested: { token: '[redacted]' } },
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
      note: 'caller sent Bearer [redacted] and sid=[redacted]; theme=dark',
    });
    expect(careless[1]).toMatchObject({ level: 'error', err: { message: 'failed for Bearer [redacted] with cookie sid=[redacted]; theme=dark' } });
    expectNoSecret(t.logs);
  });
});

describe('the login line', () => {
  it('names the new session by its public id, the one GET /auth/sessions lists, not by its token', async () => {
    const res = await jsonRequest(t.app, 'POST', '/auth/login', { email: 'user@example.com', password: 'password123' }, { 'x-request-id': 'public-session-id-1' });
    expect(res.status).toBe(200);
    const { sessionId } = (await res.json()) as { sessionId: string };
    const login = linesOf('public-session-id-1').find((l) => l.msg === 'login');
    const listed = (await (await t.app.request('/auth/sessions', { headers: { authorization: `Bearer ${sessionId}` } })).json()) as { sessions: { id: string }[] };
    expect(listed.sessions.map((s) => s.id)).toContain(login?.publicSessionId);
    expect(JSON.stringify(linesOf('public-session-id-1'))).not.toContain(sessionId);
  });
});

describe('logger', () => {
  function capture() {
    const lines: string[] = [];
    return { lines, log: createLogger('debug', (l) => lines.push(l)) };
  }

  it('redacts secret field names at any depth and in child bindings', () => {
    const { lines, log } = capture();
    log.child({ sessionToken: token }).info('x', {
      user: { id: 1, credentials: { password } },
      list: [{ newPassword: password }, { apiKey: token }],
      'set-cookie': `sid=${cookieToken}`,
      sid: cookieToken,
    });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      sessionToken: '[redacted]',
      user: { id: 1, credentials: '[redacted]' },
      list: [{ newPassword: '[redacted]' }, { apiKey: '[redacted]' }],
      'set-cookie': '[redacted]',
      sid: '[redacted]',
    });
    expectNoSecret(lines);
  });

  it("keeps a session's public id (not a secret: it names the session for revocation), and still redacts the session token", () => {
    const { lines, log } = capture();
    log.info('x', { publicSessionId: 'pub_q3Fz', public_session_id: 'pub_q3Fz', sessionId: token, session_id: token });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      publicSessionId: 'pub_q3Fz',
      public_session_id: 'pub_q3Fz',
      sessionId: '[redacted]',
      session_id: '[redacted]',
    });
  });

  it('scrubs bearer tokens, sid cookies and URL passwords out of messages and errors', () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error(`refused Bearer ${token} at redis://default:${password.replaceAll(' ', '')}@cache:6379`), {
      command: { name: 'auth', args: [password] },
    });
    log.error(`request with Cookie: sid=${cookieToken}`, { err });
    expect(lines[0]).toContain('Bearer [redacted]');
    expect(lines[0]).toContain('redis://default:[redacted]@cache:6379');
    expect(lines[0]).toContain('sid=[redacted]');
    expect(lines[0]).not.toContain('"command"');
    expectNoSecret([lines[0]!, lines[0]!.replaceAll(' ', '')]);
    expect(lines[0]).not.toContain(password.replaceAll(' ', ''));
  });

  it('unwraps the causes of an error the same way: name, scrubbed message and stack, nothing else', () => {
    const { lines, log } = capture();
    const root = Object.assign(new Error(`AUTH failed with Bearer ${token}`), { command: { name: 'auth', args: [password] } });
    const err = new Error('cache fill timed out', { cause: new Error('redis write failed', { cause: root }) });
    log.warn('cache fill not stored', { err });
    const line = JSON.parse(lines[0]!) as { err: { message: string; cause: { message: string; cause: Record<string, unknown> } } };
    expect(line.err.message).toBe('cache fill timed out');
    expect(line.err.cause.message).toBe('redis write failed');
    expect(line.err.cause.cause).toMatchObject({ name: 'Error', message: 'AUTH failed with Bearer [redacted]' });
    expect(Object.keys(line.err.cause.cause).sort()).toEqual(['message', 'name', 'stack']);
    expectNoSecret(lines);
  });

  it('logs cycles and shared objects without throwing', () => {
    const { lines, log } = capture();
    const shared = { a: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared, n: 10n };
    cyclic.self = cyclic;
    log.info('x', { cyclic });
    expect(JSON.parse(lines[0]!)).toMatchObject({ cyclic: { shared: { a: 1 }, again: { a: 1 }, n: '10', self: '[circular]' } });
  });
});

describe('a deliberate 503 is a warning, not an error', () => {
  it('is logged as "request refused" at warn with its code and reason, and no stack', async () => {
    const res = await t.app.request('/test/busy', { headers: { 'x-request-id': 'log-busy-1' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const lines = linesOf('log-busy-1');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'request refused'], ['info', 'request']]);
    expect(lines[0]).toEqual(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', reason: 'Busy right now', path: '/test/busy' }));
    expect(lines[0]).not.toHaveProperty('err');
  });
});

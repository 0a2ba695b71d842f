import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, DEMO, login, scanKeys } from './helpers.ts';

// Logout racing authenticated requests on the same session. Every request touches (interval 0),
// so every one of them writes: the case where a touch that checked nothing would re-create the
// session that logout just deleted.
let t: TestApp;
let userId: number;
beforeAll(async () => {
  t = await createTestApp({ env: { SESSION_TOUCH_INTERVAL_SECONDS: '0', SESSION_MAX_PER_USER: '10000' } });
  const { sessionId, user } = await login(t, DEMO.email, DEMO.password);
  userId = user.id;
  // Start from zero sessions.
  expect((await jsonRequest(t.app, 'POST', '/auth/logout', undefined, bearer(sessionId))).status).toBe(200);
});
afterAll(() => t.close());

const TRIALS = 1000;
const PARALLEL_TRIALS = 50;

describe('logout racing touches', () => {
  it(`${TRIALS} trials of a logout concurrent with authenticated requests leave 0 sessions alive`, async () => {
    const started = Date.now();
    const statuses = { before: 0, after: 0 };
    const tokens: string[] = [];

    async function trial() {
      const { token } = await t.services.auth.sessions.create({ userId, email: DEMO.email, ip: '127.0.0.1', userAgent: 'race' });
      tokens.push(token);
      // The logout starts now; each request after a random 0-6 ms, so touches land before, during and after it.
      const later = <T>(fn: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => fn().then(resolve, reject), Math.random() * 6));
      const me = () => later(() => jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token)).then((r) => r.status));
      const logout = jsonRequest(t.app, 'POST', '/auth/logout', undefined, bearer(token)).then((r) => r.status);
      const [logoutStatus, ...touches] = await Promise.all([logout, me(), me(), me(), me(), me()]);
      expect([200, 401]).toContain(logoutStatus);
      for (const s of touches) {
        expect([200, 401]).toContain(s);
        if (s === 200) statuses.before++;
        else statuses.after++;
      }
    }

    for (let done = 0; done < TRIALS; done += PARALLEL_TRIALS) {
      await Promise.all(Array.from({ length: PARALLEL_TRIALS }, trial));
      expect(Date.now() - started, 'bounded in time').toBeLessThan(60_000);
    }

    expect(tokens).toHaveLength(TRIALS);
    console.log(`logout race: ${TRIALS} trials in ${Date.now() - started} ms; requests resolved before their logout ${statuses.before}, after ${statuses.after}`);
    // The race happened: some requests resolved before their logout and some after.
    expect(statuses.before).toBeGreaterThan(0);
    expect(statuses.after).toBeGreaterThan(0);

    // 0 sessions alive: no record, no index entry, nothing resolves.
    expect(await scanKeys(t.redis, t.deps.keys.sessionPrefix(userId))).toEqual([]);
    expect(await t.redis.zcard(t.deps.keys.userSessions(userId))).toBe(0);
    const resolved = await Promise.all(tokens.map((tk) => t.services.auth.sessions.resolve(parseSessionToken(tk)!)));
    expect(resolved.filter(Boolean)).toHaveLength(0);
  }, 90_000);

  it('control: a touch without the existence check would re-create a revoked session', async () => {
    const { token, publicId } = await t.services.auth.sessions.create({ userId, email: DEMO.email, ip: '127.0.0.1', userAgent: 'race' });
    const key = t.deps.keys.session(userId, parseSessionToken(token)!.tokenHash);
    await t.services.auth.sessions.revoke(userId, publicId);
    // What a naive touch (HSET + PEXPIRE) does to a key that logout just deleted:
    await t.redis.eval("redis.call('HSET', KEYS[1], 'lastSeenAt', 1); redis.call('PEXPIRE', KEYS[1], 60000)", 1, key);
    expect(await t.redis.exists(key)).toBe(1);
    await t.redis.del(key);
    // The real touch script finds nothing and writes nothing.
    expect(await t.services.auth.sessions.resolve(parseSessionToken(token)!, { force: true })).toBeNull();
    expect(await t.redis.exists(key)).toBe(0);
  });
});

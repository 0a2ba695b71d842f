import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../../server/context.ts';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { adminProcedure, createCallerFactory, router } from '../../server/trpc.ts';
import { createTestApp, createTestDb, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, DEMO, grantAdmin, login, register } from './helpers.ts';

// Roles (granted in SQL by the operator, mirrored in a Redis set read with the session); the demo
// user seed. How roles are granted and revoked, and the CLI, are in admin-role.test.ts.
const adminOnly = router({ secret: adminProcedure.query(({ ctx }) => `hello admin ${ctx.session.userId}`) });
const createCaller = createCallerFactory(adminOnly);

async function callerFor(t: TestApp, token: string | null) {
  const session = token ? await t.services.auth.sessions.resolve(parseSessionToken(token)!) : null;
  return createCaller(createContextInner(t.deps, t.services, { requestId: 'r', log: t.deps.logger, session, clientIp: '127.0.0.1', userAgent: '' }));
}

const rolesOf = async (t: TestApp, token: string) =>
  ((await (await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token))).json()) as { user: { roles: string[] } }).user.roles;

describe('roles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('mirrors an admin\'s roles in a Redis set read with the session, and admin procedures accept them', async () => {
    const boss = await register(t, 'boss@example.com', 'boss password');
    await grantAdmin(t, 'boss@example.com');
    const { sessionId } = await login(t, 'boss@example.com', 'boss password');
    expect(await rolesOf(t, sessionId)).toEqual(['admin']);
    const key = t.deps.keys.userRoles(boss.id);
    expect(await t.redis.smembers(key)).toEqual(['admin']);
    for (const k of [key, t.deps.keys.userRolesVersion(boss.id)]) {
      const ttl = await t.redis.pttl(k);
      expect(ttl, k).toBeGreaterThan(2_592_000_000 - 60_000);
      expect(ttl, k).toBeLessThanOrEqual(2_592_000_000);
    }
    expect(await (await callerFor(t, sessionId)).secret()).toBe(`hello admin ${boss.id}`);

    // A user whose roles never changed has no Redis key for them at all.
    const user = await login(t, DEMO.email, DEMO.password);
    expect(await rolesOf(t, user.sessionId)).toEqual([]);
    expect(await t.redis.exists(t.deps.keys.userRoles(user.user.id), t.deps.keys.userRolesVersion(user.user.id))).toBe(0);
    await expect((await callerFor(t, user.sessionId)).secret()).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Admin role required' });
    await expect((await callerFor(t, null)).secret()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('demo user seed', () => {
  it('is idempotent across restarts and concurrent instances', async () => {
    const db = await createTestDb();
    const apps: TestApp[] = await Promise.all([createTestApp({ db }), createTestApp({ db })]);
    apps.push(await createTestApp({ db }));
    try {
      const rows = await db.query<{ email: string }>('select email from users');
      expect(rows).toEqual([{ email: DEMO.email }]);
      expect((await login(apps[2]!, DEMO.email, DEMO.password)).user.email).toBe(DEMO.email);
    } finally {
      for (const app of apps) await app.close();
      await db.close();
    }
  });

  it('is skipped when SEED_DEMO is false', async () => {
    const t = await createTestApp({ env: { SEED_DEMO: 'false' } });
    try {
      expect(await t.db.query('select 1 from users')).toEqual([]);
      expect((await jsonRequest(t.app, 'POST', '/auth/login', DEMO)).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

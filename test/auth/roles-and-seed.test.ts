import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../../server/context.ts';
import type { Db } from '../../server/db/db.ts';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { adminProcedure, createCallerFactory, router } from '../../server/trpc.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { bearer, DEMO, login, register } from './helpers.ts';

// ADMIN_EMAILS -> a Redis set of roles per user, read with the session; the demo user seed.
const adminOnly = router({ secret: adminProcedure.query(({ ctx }) => `hello admin ${ctx.session.userId}`) });
const createCaller = createCallerFactory(adminOnly);

async function callerFor(t: TestApp, token: string | null) {
  const session = token ? await t.services.auth.sessions.resolve(parseSessionToken(token)!) : null;
  return createCaller(createContextInner(t.deps, t.services, { requestId: 'r', log: t.deps.logger, session, clientIp: '127.0.0.1', userAgent: '' }));
}

const rolesOf = async (t: TestApp, token: string) =>
  ((await (await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token))).json()) as { user: { roles: string[] } }).user.roles;

describe('roles from ADMIN_EMAILS', () => {
  let db: Db;
  const prefix = testPrefix();
  const apps: TestApp[] = [];
  const start = async (adminEmails: string) => {
    const app = await createTestApp({ db, env: { REDIS_KEY_PREFIX: prefix, ADMIN_EMAILS: adminEmails } });
    apps.push(app);
    return app;
  };
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.close();
  });

  it('gives admins the admin role at login, in a Redis set read with the session, and admin procedures accept them', async () => {
    const t = await start('Boss@Example.com, other@example.com');
    const boss = await register(t, 'boss@example.com', 'boss password');
    const { sessionId } = await login(t, 'boss@example.com', 'boss password');
    expect(await rolesOf(t, sessionId)).toEqual(['admin']);
    const key = t.deps.keys.userRoles(boss.id);
    expect(await t.redis.smembers(key)).toEqual(['admin']);
    const ttl = await t.redis.pttl(key);
    expect(ttl).toBeGreaterThan(2_592_000_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(2_592_000_000);
    expect(await (await callerFor(t, sessionId)).secret()).toBe(`hello admin ${boss.id}`);

    const user = await login(t, DEMO.email, DEMO.password);
    expect(await rolesOf(t, user.sessionId)).toEqual([]);
    expect(await t.redis.exists(t.deps.keys.userRoles(user.user.id))).toBe(0);
    await expect((await callerFor(t, user.sessionId)).secret()).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Admin role required' });
    await expect((await callerFor(t, null)).secret()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('keeps roles in step at start-up: granted without a new login, and taken back when the email leaves the list', async () => {
    const first = apps[0]!;
    const { sessionId, user } = await login(first, DEMO.email, DEMO.password);
    expect(await rolesOf(first, sessionId)).toEqual([]);

    // A restart with the demo user listed: its existing session is an admin one at once.
    const promoted = await start('boss@example.com,user@example.com');
    expect(await rolesOf(promoted, sessionId)).toEqual(['admin']);
    const [boss] = await db.query<{ id: number }>('select id from users where email = $1', ['boss@example.com']);
    expect((await promoted.redis.smembers(promoted.deps.keys.admins())).sort()).toEqual([String(boss!.id), String(user.id)].sort());

    // A restart without it: the role is gone from live sessions too.
    const demoted = await start('boss@example.com');
    expect(await rolesOf(demoted, sessionId)).toEqual([]);
    expect(await demoted.redis.smembers(demoted.deps.keys.admins())).not.toContain(String(user.id));
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

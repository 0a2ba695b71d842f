import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runAdminCli } from '../../server/admin/admin-cli.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { createDb, type Db } from '../../server/db/db.ts';
import { migrate } from '../../server/db/migrate.ts';
import { createRoles } from '../../server/features/auth/roles.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { bearer, grantAdmin, login, register, storesSnapshot } from './helpers.ts';

// Issue 15, point 3: the admin role comes from an operator's command (`npm run admin -- grant`),
// written in SQL; registering an address never grants it, and no instance changes roles on its own.

const rolesOf = async (t: TestApp, token: string) => {
  const res = await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(token));
  expect(res.status).toBe(200);
  return ((await res.json()) as { user: { roles: string[] } }).user.roles;
};
/** An admin-only route: 200 for an admin, 403 for anyone else signed in. */
const siteAnalytics = (t: TestApp, token: string) => jsonRequest(t.app, 'GET', '/analytics/site', undefined, bearer(token)).then((r) => r.status);

describe('ADMIN_EMAILS', () => {
  it('is refused at start-up with what to do instead, so no listed address can be registered into admin', () => {
    const message =
      'Invalid environment variable ADMIN_EMAILS: no longer read: registering a listed address made its registrant admin. ' +
      'Grant the role to an existing account with `npm run admin -- grant <email>` (docs/security.md)';
    expect(() => loadConfig({ ADMIN_EMAILS: 'boss@example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_EMAILS: 'boss@example.com' })).toThrow(message);
    // Empty counts as unset, like every variable.
    expect(() => loadConfig({ ADMIN_EMAILS: '' })).not.toThrow();
  });
});

describe('granting and revoking', () => {
  let db: Db;
  const prefix = testPrefix();
  const apps: TestApp[] = [];
  /** Another instance on the same stores: its start-up mirrors roles from SQL. */
  const instance = async () => {
    const app = await createTestApp({ db, env: { REDIS_KEY_PREFIX: prefix } });
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

  it('a self-registered account has no role; a grant reaches its live sessions at once, a revoke takes it back at once', async () => {
    const t = await instance();
    await register(t, 'boss@example.com', 'boss password');
    const { sessionId } = await login(t, 'boss@example.com', 'boss password');
    expect(await rolesOf(t, sessionId)).toEqual([]);
    expect(await siteAnalytics(t, sessionId)).toBe(403);

    expect(await t.services.auth.grantRole('boss@example.com', 'admin')).toMatchObject({ roles: ['admin'], changed: true });
    expect(await rolesOf(t, sessionId)).toEqual(['admin']);
    expect(await siteAnalytics(t, sessionId)).toBe(200);
    expect(await db.query('select role from user_roles')).toEqual([{ role: 'admin' }]);

    expect(await t.services.auth.revokeRole('boss@example.com', 'admin')).toMatchObject({ roles: [], changed: true });
    expect(await rolesOf(t, sessionId)).toEqual([]);
    expect(await siteAnalytics(t, sessionId)).toBe(403);
  });

  it('no instance changes roles by starting: they stay what the operator granted, across instances and restarts', async () => {
    const [a] = apps;
    await grantAdmin(a!, 'boss@example.com');
    const { sessionId } = await login(a!, 'boss@example.com', 'boss password');
    const b = await instance();
    const c = await instance();
    for (const t of [a!, b, c]) expect(await rolesOf(t, sessionId)).toEqual(['admin']);
    await c.services.auth.revokeRole('boss@example.com', 'admin');
    const d = await instance();
    for (const t of [a!, b, c, d]) expect(await rolesOf(t, sessionId)).toEqual([]);
  });

  it('start-up puts back roles Redis lost, from SQL', async () => {
    const [a] = apps;
    const boss = await grantAdmin(a!, 'boss@example.com').then(() => login(a!, 'boss@example.com', 'boss password'));
    await a!.redis.del(a!.deps.keys.userRoles(boss.user.id), a!.deps.keys.userRolesVersion(boss.user.id));
    expect(await rolesOf(a!, boss.sessionId)).toEqual([]);
    const restarted = await instance();
    expect(await rolesOf(restarted, boss.sessionId)).toEqual(['admin']);
  });

  it('a write of roles read before a revoke (a login, a start-up) cannot put them back after it', async () => {
    const [a] = apps;
    const { sessionId, user } = await login(a!, 'boss@example.com', 'boss password');
    const [before] = await db.query<{ roles_version: number }>('select roles_version from users where id = $1', [user.id]);
    const stale = { userId: user.id, email: user.email, roles: ['admin'], version: before!.roles_version };
    await a!.services.auth.revokeRole('boss@example.com', 'admin');
    const roles = createRoles({ redis: a!.redis, keys: a!.deps.keys, db, ttlMs: 60_000, logger: a!.deps.logger });
    await roles.publish(stale);
    expect(await rolesOf(a!, sessionId)).toEqual([]);
    expect(await a!.redis.exists(a!.deps.keys.userRoles(user.id))).toBe(0);
  });

  it('refuses an email with no account: 404, nothing written', async () => {
    const [a] = apps;
    const before = await storesSnapshot(a!);
    const rolesBefore = await db.query('select * from user_roles');
    await expect(a!.services.auth.grantRole('nobody@example.com', 'admin')).rejects.toMatchObject({
      appCode: 'NOT_FOUND',
      message: 'No account for nobody@example.com',
    });
    expect(await storesSnapshot(a!)).toEqual(before);
    expect(await db.query('select * from user_roles')).toEqual(rolesBefore);
  });
});

// Each step opens the embedded database from disk (the CLI, then the server's view): slow on a busy machine.
describe('npm run admin', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'blog-admin-'));
  const prefix = testPrefix();
  const env = { NODE_ENV: 'test', DATA_DIR: dataDir, REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix, SEED_DEMO: 'false' };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join('\n') };
  };
  /** The server's view: an app on the same PGlite directory and Redis prefix (the CLI needs the directory free). */
  const withServer = async <T>(fn: (t: TestApp) => Promise<T>): Promise<T> => {
    const db = await createDb({ url: join(dataDir, 'pg') });
    await migrate(db);
    const t = await createTestApp({ db, env: { REDIS_KEY_PREFIX: prefix, SEED_DEMO: 'false' } });
    try {
      return await fn(t);
    } finally {
      await t.close();
      await db.close();
    }
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('grant and revoke change the role in SQL and in live sessions; list shows who has one', async () => {
    const sessionId = await withServer(async (t) => {
      await register(t, 'ops@example.com', 'ops password');
      return (await login(t, 'ops@example.com', 'ops password')).sessionId;
    });
    expect(await run('grant', ' Ops@Example.com')).toEqual({ code: 0, out: ['admin granted to ops@example.com (user 1); roles now: admin'], err: '' });
    expect(await run('grant', 'ops@example.com')).toMatchObject({ code: 0, out: ['ops@example.com already had admin (user 1); roles now: admin'] });
    expect(await run('list')).toMatchObject({ code: 0, out: ['1\tops@example.com\tadmin'] });
    await withServer(async (t) => expect(await rolesOf(t, sessionId)).toEqual(['admin']));
    expect(await run('revoke', 'ops@example.com')).toMatchObject({ code: 0, out: ['admin revoked from ops@example.com (user 1); roles now: none'] });
    expect(await run('list')).toMatchObject({ code: 0, out: ['no account has a role'] });
    await withServer(async (t) => expect(await rolesOf(t, sessionId)).toEqual([]));
  });

  it('fails with the reason, writing nothing, for an email with no account', async () => {
    expect(await run('grant', 'nobody@example.com')).toEqual({ code: 1, out: [], err: 'No account for nobody@example.com' });
    await withServer(async (t) => expect(await t.db.query('select * from user_roles')).toEqual([]));
  });

  it('refuses to open the embedded database while a server holds it', async () => {
    await withServer(async () => {
      const { code, err } = await run('list');
      expect(code).toBe(1);
      expect(err).toBe(
        `The database in ${join(dataDir, 'pg')} is in use by process ${process.pid} (this one): PGlite serves one process. Stop that process first, ` +
          `or set DATABASE_URL to a PostgreSQL server (if no such process uses it, delete ${join(dataDir, 'pg')}.lock)`,
      );
    });
  });

  it.each([
    [[], 'no command given'],
    [['grant'], 'grant takes one email address'],
    [['grant', 'not-an-email'], 'grant takes one email address'],
    [['revoke', 'a@example.com', 'b@example.com'], 'revoke takes one email address'],
    [['promote', 'a@example.com'], 'unknown command: promote'],
  ])('answers %j with usage, exit 2, opening nothing', async (argv, reason) => {
    const { code, out, err } = await run(...argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.split('\n')[0]).toBe(reason);
    expect(err).toContain('usage: npm run admin -- <command>');
  });

  it('runs as its own process (the npm script), with the exit code', async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/admin/main.ts'], { env: { ...process.env, ...env } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^no command given\nusage: npm run admin -- <command>/);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAdminArgs, runAdminCommand, type AdminCommand } from '../../server/admin/admin-commands.ts';
import { createDb, type Db } from '../../server/db/db.ts';
import { migrate } from '../../server/db/migrate.ts';
import type { PostEvent } from '../../server/features/posts/posts.service.ts';
import { ACCOUNT_GONE_TTL_MS } from '../../server/features/auth/session.store.ts';
import { createTestApp, createTestDb, jsonRequest, type TestApp } from '../helpers/app.ts';
import { bearer, grantAdmin, login, register, scanKeys, storesSnapshot, type ErrorJson } from './helpers.ts';

// Issue 15, point 7: deleting an account (the user with their password, an admin with theirs, the
// operator's command) ends every session and takes the posts with it; a write by a user who no
// longer exists is a 401, never a 500.

const PASSWORD = 'correct horse battery';
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A user with two sessions. */
async function member(app: TestApp, email: string) {
  const user = await register(app, email, PASSWORD);
  const tokens = [(await login(app, email, PASSWORD)).sessionId, (await login(app, email, PASSWORD)).sessionId];
  return { user, tokens, auth: bearer(tokens[0]!) };
}
const newPost = (app: TestApp, auth: Record<string, string>, tag: string) =>
  jsonRequest(app.app, 'POST', '/posts', { title: 'A post', content: 'Body', tags: [tag], location: { longitude: 2.35, latitude: 48.85 } }, auth);
async function postOf(app: TestApp, auth: Record<string, string>, tag: string): Promise<number> {
  const res = await newPost(app, auth, tag);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}
/** What a deletion answers. */
const deletedBody = (user: { id: number; email: string }, sessionsRevoked: number, postsDeleted: number) => ({
  message: 'Account deleted, with its sessions and posts',
  user,
  sessionsRevoked,
  postsDeleted,
});
const errorOf = async (res: Response) => ((await res.json()) as ErrorJson).error;
const trpc = (path: string, input: unknown, headers: Record<string, string>) => jsonRequest(t.app, 'POST', `/trpc/${path}`, input, headers);
/** The user's own Redis keys (all under their hash tag). */
const keysOfUser = (app: TestApp, id: number) => scanKeys(app.redis, app.config.REDIS_KEY_PREFIX).then((keys) => keys.filter((k) => k.includes(`{u:${id}}`)));

async function expectAccountGone(app: TestApp, id: number, tokens: string[]) {
  for (const token of tokens) {
    const me = await jsonRequest(app.app, 'GET', '/auth/me', undefined, bearer(token));
    expect(me.status).toBe(401);
    expect(await errorOf(me)).toMatchObject({ code: 'UNAUTHORIZED', message: 'Session expired or revoked: log in again' });
    expect((await newPost(app, bearer(token), 'after')).status).toBe(401);
  }
  expect(await app.db.query('select id from users where id = $1', [id])).toEqual([]);
  expect(await app.db.query('select id from posts where author_id = $1', [id])).toEqual([]);
  // Of the user's keys only the gone marker is left, and it expires.
  expect(await keysOfUser(app, id)).toEqual([app.deps.keys.userGone(id)]);
  const ttl = await app.redis.pttl(app.deps.keys.userGone(id));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(ACCOUNT_GONE_TTL_MS);
}

describe('deleting your own account', () => {
  it('REST: every session ends, the posts go (cache, indexes, events), the sessions then get 401 on reads and writes', async () => {
    const leaving = await member(t, 'leaving@example.com');
    const stays = await member(t, 'stays@example.com');
    const mine = [await postOf(t, leaving.auth, 'farewell'), await postOf(t, leaving.auth, 'farewell')];
    const theirs = await postOf(t, stays.auth, 'farewell');
    for (const id of mine) expect((await jsonRequest(t.app, 'GET', `/posts/${id}`)).status).toBe(200); // cached now
    // The activity list, filled from the event stream by the analytics worker, goes too.
    await t.redis.lpush(t.deps.keys.activity(leaving.user.id), '{"type":"user.login"}');
    const events: PostEvent[] = [];
    const unsubscribe = t.services.posts.onEvent((e) => events.push(e));

    const res = await jsonRequest(t.app, 'DELETE', '/auth/account', { password: PASSWORD }, leaving.auth);
    unsubscribe();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(deletedBody(leaving.user, 2, 2));
    expect(res.headers.get('set-cookie')).toMatch(/^sid=; Max-Age=0;/);
    await expectAccountGone(t, leaving.user.id, leaving.tokens);
    for (const id of mine) expect((await jsonRequest(t.app, 'GET', `/posts/${id}`)).status).toBe(404);
    const tagged = (await (await jsonRequest(t.app, 'GET', '/posts?tags=farewell')).json()) as { data: { id: number }[] };
    expect(tagged.data.map((p) => p.id)).toEqual([theirs]);
    expect((await jsonRequest(t.app, 'GET', `/users/${leaving.user.id}/posts`)).status).toBe(404);
    expect(events.map((e) => [e.type, e.postId])).toEqual(mine.map((id) => ['post.deleted', id]));
    // The password opens nothing any more.
    expect((await jsonRequest(t.app, 'POST', '/auth/login', { email: 'leaving@example.com', password: PASSWORD })).status).toBe(401);
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, stays.auth)).status).toBe(200);
  });

  it('tRPC: a wrong password is a 403 and deletes nothing; the right one deletes', async () => {
    const leaving = await member(t, 'leaving-trpc@example.com');
    await postOf(t, leaving.auth, 'trpc');
    const wrong = await trpc('auth.deleteAccount', { password: 'not my password' }, leaving.auth);
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { message: string; data: unknown } }).error).toMatchObject({
      message: 'Password is incorrect',
      data: { appCode: 'FORBIDDEN', httpStatus: 403, details: [{ field: 'password', message: 'incorrect' }] },
    });
    expect(await t.db.query('select count(*)::int as n from posts where author_id = $1', [leaving.user.id])).toEqual([{ n: 1 }]);
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, leaving.auth)).status).toBe(200);

    const right = await trpc('auth.deleteAccount', { password: PASSWORD }, leaving.auth);
    expect(right.status).toBe(200);
    expect(((await right.json()) as { result: { data: unknown } }).result.data).toEqual(deletedBody(leaving.user, 2, 1));
    await expectAccountGone(t, leaving.user.id, leaving.tokens);
  });
});

describe('bad input', () => {
  let auth: Record<string, string>;
  beforeAll(async () => {
    ({ auth } = await member(t, 'careful@example.com'));
    // Marks the caller active today first: a refused call must then write nothing at all.
    await jsonRequest(t.app, 'GET', '/auth/me', undefined, auth);
  });

  it.each([
    [{}, 'password', 'Invalid input: expected string, received undefined'],
    [{ password: '' }, 'password', 'Too small: expected string to have >=1 characters'],
    [{ password: 42 }, 'password', 'Invalid input: expected string, received number'],
  ])('DELETE /auth/account with %j: 400 naming the field, nothing written', async (body, field, message) => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'DELETE', '/auth/account', body, auth);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: 'VALIDATION_FAILED',
      message: `Invalid input: ${field}: ${message}`,
      details: [{ field, message }],
      requestId: expect.any(String),
    });
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it('DELETE /auth/account without a session: 401, nothing written', async () => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'DELETE', '/auth/account', { password: PASSWORD });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await storesSnapshot(t)).toEqual(before);
  });

  it('DELETE /users/:id by a non-admin: 403, nothing written; a bad id from an admin: 400', async () => {
    const [victim] = await t.db.query<{ id: number }>('select id from users where email = $1', ['careful@example.com']);
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'DELETE', `/users/${victim!.id}`, { password: PASSWORD }, auth);
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toEqual({ code: 'FORBIDDEN', message: 'Admin role required', requestId: expect.any(String) });
    expect(await storesSnapshot(t)).toEqual(before);

    await register(t, 'careful-admin@example.com', PASSWORD);
    await grantAdmin(t, 'careful-admin@example.com');
    const admin = bearer((await login(t, 'careful-admin@example.com', PASSWORD)).sessionId);
    await jsonRequest(t.app, 'GET', '/auth/me', undefined, admin);
    const beforeBadId = await storesSnapshot(t);
    const badId = await jsonRequest(t.app, 'DELETE', '/users/abc', { password: PASSWORD }, admin);
    expect(badId.status).toBe(400);
    expect(await errorOf(badId)).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Invalid input: id: expected a numeric user id',
      details: [{ field: 'id', message: 'expected a numeric user id' }],
      requestId: expect.any(String),
    });
    expect(await storesSnapshot(t)).toEqual(beforeBadId);
  });
});

describe('an admin deleting an account', () => {
  it('needs the admin role and the admin\'s own password; an unknown id is 404; then the account is gone', async () => {
    await register(t, 'chief@example.com', PASSWORD);
    await grantAdmin(t, 'chief@example.com');
    const chief = bearer((await login(t, 'chief@example.com', PASSWORD)).sessionId);
    const victim = await member(t, 'spammer@example.com');
    await postOf(t, victim.auth, 'spam');

    const wrong = await jsonRequest(t.app, 'DELETE', `/users/${victim.user.id}`, { password: 'guess' }, chief);
    expect(wrong.status).toBe(403);
    expect(await errorOf(wrong)).toMatchObject({ code: 'FORBIDDEN', message: 'Password is incorrect', details: [{ field: 'password', message: 'incorrect' }] });
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, victim.auth)).status).toBe(200);

    const unknown = await jsonRequest(t.app, 'DELETE', '/users/999999', { password: PASSWORD }, chief);
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'NOT_FOUND', message: 'User 999999 not found' });
    expect(await t.redis.exists(t.deps.keys.userGone(999_999))).toBe(0);

    // Over tRPC a non-admin is refused before anything is checked.
    const notAdmin = await trpc('auth.deleteUser', { userId: victim.user.id, password: PASSWORD }, victim.auth);
    expect(notAdmin.status).toBe(403);
    expect(((await notAdmin.json()) as { error: { message: string } }).error.message).toBe('Admin role required');

    const res = await jsonRequest(t.app, 'DELETE', `/users/${victim.user.id}`, { password: PASSWORD }, chief);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(deletedBody(victim.user, 2, 1));
    await expectAccountGone(t, victim.user.id, victim.tokens);
    expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, chief)).status).toBe(200);
  });
});

describe('the operator', () => {
  it('npm run admin -- delete-user <email> deletes and reports; an unknown email fails with the reason', async () => {
    const leaving = await member(t, 'by-operator@example.com');
    await postOf(t, leaving.auth, 'ops');
    const command = parseAdminArgs(['delete-user', 'By-Operator@example.com']) as AdminCommand;
    expect(await runAdminCommand(t.services.auth, command)).toEqual({
      ok: true,
      lines: [`deleted by-operator@example.com (user ${leaving.user.id}): 2 sessions ended, 1 posts deleted`],
    });
    await expectAccountGone(t, leaving.user.id, leaving.tokens);
    await expect(runAdminCommand(t.services.auth, command)).rejects.toMatchObject({ appCode: 'NOT_FOUND', message: 'No account for by-operator@example.com' });
    expect(parseAdminArgs(['delete-user'])).toEqual({ error: 'delete-user takes one email address' });
  });
});

describe('races', () => {
  it('a write by a user whose row is gone (deleted after the session check) is a 401, never a 500, and writes nothing', async () => {
    const ghost = await member(t, 'ghost@example.com');
    await jsonRequest(t.app, 'GET', '/auth/me', undefined, ghost.auth);
    // As if the row went between the session check and the insert: the foreign key is what notices.
    await t.db.query('delete from users where id = $1', [ghost.user.id]);
    const before = await storesSnapshot(t);
    const res = await newPost(t, ghost.auth, 'haunted');
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({ code: 'UNAUTHORIZED', message: 'This account no longer exists', requestId: expect.any(String) });
    expect(await storesSnapshot(t)).toEqual(before);
    expect(await t.db.query('select id from posts where author_id = $1', [ghost.user.id])).toEqual([]);
  });

  it('a login that passed its password check as the account was deleted gets no session', async () => {
    const late = await member(t, 'late@example.com');
    await t.services.auth.deleteUserByEmail('late@example.com');
    await expect(
      t.services.auth.sessions.create({ userId: late.user.id, email: 'late@example.com', ip: '192.0.2.1', userAgent: 'racing login' }),
    ).rejects.toMatchObject({ appCode: 'UNAUTHORIZED', message: 'This account no longer exists' });
    expect(await keysOfUser(t, late.user.id)).toEqual([t.deps.keys.userGone(late.user.id)]);
  });
});

/** PGlite serialises transactions; PostgreSQL runs them at once, where the row lock does the work. */
const stores: [string, () => Promise<Db>][] = [['PGlite', () => createTestDb()]];
const postgresUrl = inject('postgresUrl');
if (postgresUrl) {
  stores.push([
    'PostgreSQL',
    async () => {
      const admin = await createDb({ url: postgresUrl });
      const name = `accounts_${randomUUID().replaceAll('-', '')}`;
      await admin.query(`create database ${name}`);
      await admin.close();
      const db = await createDb({ url: postgresUrl.replace(/\/postgres$/, `/${name}`) });
      await migrate(db);
      return db;
    },
  ]);
}

describe.each(stores)('posting while the account is deleted (%s)', (_, openDb) => {
  let app: TestApp;
  let db: Db;
  beforeAll(async () => {
    db = await openDb();
    app = await createTestApp({ db });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('every create answers 201 or 401, never 500; no post of the user survives, in SQL or in the indexes', async () => {
    const busy = await member(app, 'busy@example.com');
    const tag = 'last-words';
    const creates = Array.from({ length: 12 }, () => newPost(app, busy.auth, tag).then((r) => r.status));
    const deletion = jsonRequest(app.app, 'DELETE', '/auth/account', { password: PASSWORD }, busy.auth);
    const [statuses, deleted] = await Promise.all([Promise.all(creates), deletion]);
    expect(deleted.status).toBe(200);
    expect(statuses.every((s) => s === 201 || s === 401)).toBe(true);
    const { postsDeleted } = (await deleted.json()) as { postsDeleted: number };
    expect(postsDeleted).toBe(statuses.filter((s) => s === 201).length);
    expect(await app.db.query('select id from posts where author_id = $1', [busy.user.id])).toEqual([]);
    expect(await app.redis.zcard(app.deps.keys.userPosts(busy.user.id))).toBe(0);
    expect(await app.redis.scard(app.deps.keys.tagPosts(tag))).toBe(0);
    await expectAccountGone(app, busy.user.id, busy.tokens);
  });
});

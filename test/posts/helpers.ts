import type { Db, Queryable } from '../../server/db/db.ts';
import { jsonRequest, type AnyTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, login, register, scanKeys, valuesOf } from '../auth/helpers.ts';

export { bearer };

/** A registered, logged-in user and the headers that authenticate as them. */
export async function author(t: AnyTestApp, email: string): Promise<{ id: number; token: string; auth: Record<string, string> }> {
  const password = 'correct horse battery';
  const user = await register(t, email, password);
  const { sessionId } = await login(t, email, password);
  return { id: user.id, token: sessionId, auth: bearer(sessionId) };
}

export interface PostJson {
  id: number;
  authorId: number;
  title: string;
  content: string;
  tags: string[];
  location: { longitude: number; latitude: number } | null;
  createdAt: string;
  updatedAt: string;
}

export async function createPost(t: AnyTestApp, auth: Record<string, string>, body: Record<string, unknown>): Promise<PostJson> {
  const res = await jsonRequest(t.app, 'POST', '/posts', body, auth);
  if (res.status !== 201) throw new Error(`create post: ${res.status} ${await res.text()}`);
  return (await res.json()) as PostJson;
}

export async function getJson<T = unknown>(t: AnyTestApp, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await jsonRequest(t.app, 'GET', path, undefined, headers);
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Everything the app stored about posts: every key under the prefix with its value, the posts
 * table and the view flushes. Views buffered in the process are sent first, so that earlier
 * reads' views do not land in the middle of a comparison.
 */
export async function postStores(t: TestApp): Promise<{ redis: Record<string, string[]>; posts: unknown[]; flushes: unknown[] }> {
  await t.services.posts.internals.recorder.send();
  const redis: Record<string, string[]> = {};
  for (const key of await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)) {
    // Sessions are touched, and active users and unique visitors marked, by any call (refused
    // ones too): not what these checks are about.
    if (/:(sess|sessions|ratelimit|uv|\{dau\}):/.test(key)) continue;
    redis[key] = await valuesOf(t.redis, key);
  }
  const posts = await t.db.query('select * from posts order by id');
  const flushes = await t.db.query('select * from view_flushes order by seq');
  return { redis, posts, flushes };
}

/** A `Db` that counts the single-post loads (`... from posts where id = $1`) and can hold them at a gate. */
export function instrumentedDb(inner: Db) {
  let loads = 0;
  let gate: Promise<void> | null = null;
  const isPostLoad = (sql: string) => /from posts where id = \$1$/.test(sql.trim());
  const wrap = (q: Queryable): Queryable => ({
    query: async <T extends object>(sql: string, params?: unknown[]) => {
      if (isPostLoad(sql)) {
        loads++;
        // Read first, then wait: the row is what SQL held when the load ran, as with a slow network.
        const rows = await q.query<T>(sql, params);
        if (gate) await gate;
        return rows;
      }
      return q.query<T>(sql, params);
    },
    exec: (sql) => q.exec(sql),
  });
  const db: Db = {
    ...wrap(inner),
    kind: inner.kind,
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
    ping: (ms) => inner.ping(ms),
    close: () => inner.close(),
  };
  return {
    db,
    loads: () => loads,
    resetLoads: () => void (loads = 0),
    /** Holds every post load after it read its row, until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

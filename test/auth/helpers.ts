import type { Redis } from 'ioredis';
import type { Db } from '../../server/db/db.ts';
import { jsonRequest, type AnyTestApp, type TestApp } from '../helpers/app.ts';

export const DEMO = { email: 'user@example.com', password: 'password123' };

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The error body of a REST answer. */
export interface ErrorJson {
  error: { code: string; message: string; details?: { field: string; message: string }[]; retryAfter?: number; requestId?: string };
}

export async function register(t: AnyTestApp, email: string, password = 'correct horse battery') {
  const res = await jsonRequest(t.app, 'POST', '/auth/register', { email, password });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { user: { id: number; email: string } }).user;
}

/** The operator's `npm run admin -- grant <email>`, in-process: the account must exist. */
export async function grantAdmin(t: AnyTestApp, email: string): Promise<void> {
  await t.services.auth.grantRole(email, 'admin');
}

export async function login(t: AnyTestApp, email: string, password: string, headers: Record<string, string> = {}) {
  const res = await jsonRequest(t.app, 'POST', '/auth/login', { email, password }, headers);
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { sessionId: string; user: { id: number; email: string } };
}

/** Every key under `prefix`, by SCAN (fine in a test; the app never scans). */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

/** Every string stored in `key`, read the way its type needs. */
export async function valuesOf(redis: Redis, key: string): Promise<string[]> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return [(await redis.get(key)) ?? ''];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).flat();
    case 'zset':
      return redis.zrange(key, 0, -1, 'WITHSCORES');
    case 'set':
      return (await redis.smembers(key)).sort();
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'stream':
      return (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
    case 'none':
      return [];
    default:
      throw new Error(`unexpected type ${type} for ${key}`);
  }
}

/** Everything the app stored, in Redis (under its prefix) and in SQL, to compare before and after a refused call. */
export async function storesSnapshot(t: TestApp): Promise<{ redis: Record<string, string[]>; users: unknown[] }> {
  const redis: Record<string, string[]> = {};
  for (const key of await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)) redis[key] = await valuesOf(t.redis, key);
  const users = await (t.db as Db).query('select id, email, password_hash, created_at from users order by id');
  return { redis, users };
}

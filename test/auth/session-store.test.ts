import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSessionStore, type SessionStore } from '../../server/features/auth/session.store.ts';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import type { ParsedToken } from '../../server/identity.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys, type Keys } from '../../server/redis/keys.ts';
import { testPrefix } from '../helpers/app.ts';
import { clockReaches } from '../helpers/wait.ts';
import { scanKeys, valuesOf } from './helpers.ts';

// The session store's contract, straight against Redis (no HTTP): what each script guarantees.
let redis: Redis;
let keys: Keys;
let store: SessionStore;
let nextUser = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const parse = (token: string): ParsedToken => {
  const parsed = parseSessionToken(token);
  if (!parsed) throw new Error(`unparseable token ${token}`);
  return parsed;
};

function makeStore(o: Partial<Parameters<typeof createSessionStore>[0]> = {}) {
  return createSessionStore({ redis, keys, idleTtlMs: 60_000, maxAgeMs: 3_600_000, touchIntervalMs: 1000, maxPerUser: 5, ...o });
}
const newSession = (s: SessionStore, userId = nextUser++) =>
  s.create({ userId, email: `u${userId}@example.com`, ip: '10.0.0.1', userAgent: 'vitest' });

beforeAll(async () => {
  redis = createRedis({ url: inject('redisUrl'), commandTimeoutMs: 2000, logger: createLogger('silent') });
  await redis.connect();
  keys = createKeys(testPrefix());
  store = makeStore();
});
afterAll(() => closeRedis(redis));

const allKeys = () => scanKeys(redis, keys.prefix);

describe('session store', () => {
  it('creates a session that resolves to its user, with a token of 256 random bits', async () => {
    const created = await newSession(store, 7);
    expect(created.token).toMatch(/^7\.[A-Za-z0-9_-]{43}$/);
    expect(created.publicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(created.absoluteExpiresAt - created.createdAt).toBe(3_600_000);
    expect(created.expiresAt - created.createdAt).toBe(60_000);
    const session = await store.resolve(parse(created.token));
    expect(session).toMatchObject({ id: created.publicId, userId: 7, email: 'u7@example.com', roles: [], createdAt: created.createdAt });
  });

  it('stores the token nowhere: no key and no value holds it or its secret part', async () => {
    const tokens = await Promise.all([1, 2, 3].map(() => newSession(store, 8)));
    await store.resolve(parse(tokens[0]!.token), { force: true });
    const all = await allKeys();
    expect(all.length).toBeGreaterThan(3);
    for (const key of all) {
      const values = await valuesOf(redis, key);
      for (const { token } of tokens) {
        const secret = token.split('.')[1]!;
        expect(key).not.toContain(secret);
        for (const v of values) expect(v).not.toContain(secret);
      }
    }
  });

  it('every key it writes has a TTL', async () => {
    await newSession(store);
    for (const key of await allKeys()) {
      expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
  });

  it('refuses malformed and unknown tokens', async () => {
    expect(parseSessionToken('abc123')).toBeNull();
    expect(parseSessionToken('0.' + 'a'.repeat(43))).toBeNull();
    expect(parseSessionToken('1.' + 'a'.repeat(42))).toBeNull();
    expect(parseSessionToken('99999999999.' + 'a'.repeat(43))).toBeNull();
    expect(await store.resolve(parse('1.' + 'a'.repeat(43)))).toBeNull();
  });

  it('touches at most once per interval, then slides the idle expiry', async () => {
    const s = makeStore({ idleTtlMs: 3000, touchIntervalMs: 500 });
    const { token, createdAt, expiresAt } = await newSession(s);
    for (let i = 0; i < 20; i++) {
      const seen = await s.resolve(parse(token));
      expect(seen?.lastSeenAt).toBe(createdAt);
      expect(seen?.expiresAt).toBe(expiresAt);
    }
    await clockReaches(createdAt + 500, 'one touch interval after the creation');
    const touched = await s.resolve(parse(token));
    expect(touched!.lastSeenAt).toBeGreaterThanOrEqual(createdAt + 500);
    expect(touched!.expiresAt).toBe(touched!.lastSeenAt + 3000);
    const pttl = await redis.pttl(keys.session(touched!.userId, parse(token).tokenHash));
    expect(pttl).toBeGreaterThan(2500);
  });

  it('refuses a session after its idle timeout', async () => {
    const s = makeStore({ idleTtlMs: 1000, touchIntervalMs: 0 });
    const { token } = await newSession(s);
    expect(await s.resolve(parse(token))).not.toBeNull();
    const lastUse = Date.now(); // the touch set the idle expiry to at most this + 1000
    await clockReaches(lastUse + 1100, 'past the idle expiry');
    expect(await s.resolve(parse(token))).toBeNull();
  });

  it('never extends a session past its absolute lifetime, however often it is refreshed', async () => {
    const s = makeStore({ idleTtlMs: 1000, maxAgeMs: 1500, touchIntervalMs: 0 });
    const { token, absoluteExpiresAt } = await newSession(s);
    // Refresh until 1 s after creation: by then a refresh would reach past the absolute expiry
    // (500 ms on), and it is still 500 ms before it.
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      const session = await s.resolve(parse(token), { force: true });
      expect(session).not.toBeNull();
      expect(session!.expiresAt).toBeLessThanOrEqual(absoluteExpiresAt);
      await sleep(100); // pacing: refreshes spread over the session's life
    }
    const last = await s.resolve(parse(token), { force: true });
    expect(last?.expiresAt).toBe(absoluteExpiresAt);
    await clockReaches(absoluteExpiresAt, 'the absolute expiry');
    expect(await s.resolve(parse(token), { force: true })).toBeNull();
  });

  it('revoking one session leaves the others working, and a revoked one is never re-created by a touch', async () => {
    const userId = nextUser++;
    const [a, b, c] = await Promise.all([newSession(store, userId), newSession(store, userId), newSession(store, userId)]);
    expect(await store.revoke(userId, b!.publicId)).toBe(true);
    expect(await store.revoke(userId, b!.publicId)).toBe(false);
    expect(await store.resolve(parse(b!.token), { force: true })).toBeNull();
    expect(await redis.exists(keys.session(userId, parse(b!.token).tokenHash))).toBe(0);
    expect(await store.resolve(parse(a!.token))).not.toBeNull();
    expect(await store.resolve(parse(c!.token))).not.toBeNull();
    expect((await store.list(userId)).map((s) => s.id).sort()).toEqual([a!.publicId, c!.publicId].sort());
  });

  it('revokeOthers leaves only the kept session', async () => {
    const userId = nextUser++;
    const sessions = await Promise.all([1, 2, 3, 4].map(() => newSession(store, userId)));
    const keep = sessions[2]!;
    expect(await store.revokeOthers(userId, keep.publicId)).toBe(3);
    expect((await store.list(userId)).map((s) => s.id)).toEqual([keep.publicId]);
    for (const s of sessions) expect((await store.resolve(parse(s.token))) !== null).toBe(s === keep);
  });

  it('does not let one user revoke or list another user\'s session', async () => {
    const me = nextUser++;
    await newSession(store, me);
    const theirs = await newSession(store);
    expect(await store.revoke(me, theirs.publicId)).toBe(false);
    expect(await store.revokeOthers(me, 'x'.repeat(22))).toBe(1);
    expect(await store.resolve(parse(theirs.token))).not.toBeNull();
  });

  it('lists sessions without tokens, pruning expired ones from the index', async () => {
    const s = makeStore({ idleTtlMs: 600, touchIntervalMs: 0 });
    const userId = nextUser++;
    const short = await newSession(s, userId);
    const long = await newSession(store, userId);
    expect((await store.list(userId)).length).toBe(2);
    await clockReaches(short.expiresAt, "the short session's idle expiry");
    const listed = await store.list(userId);
    expect(listed.map((x) => x.id)).toEqual([long.publicId]);
    expect(listed[0]).toMatchObject({ ip: '10.0.0.1', userAgent: 'vitest' });
    expect(await redis.zscore(keys.userSessions(userId), parse(short.token).tokenHash)).toBeNull();
  });

  it('keeps at most maxPerUser sessions under concurrent logins, ending the ones closest to expiry', async () => {
    const userId = nextUser++;
    const first = await newSession(store, userId);
    const rest = await Promise.all(Array.from({ length: 20 }, () => newSession(store, userId)));
    expect(await redis.zcard(keys.userSessions(userId))).toBe(5);
    expect((await store.list(userId)).length).toBe(5);
    expect(await store.resolve(parse(first.token))).toBeNull();
    const alive = (await Promise.all(rest.map((r) => store.resolve(parse(r.token))))).filter(Boolean);
    expect(alive).toHaveLength(5);
    expect(rest.reduce((n, r) => n + r.evicted, 0)).toBe(16);
  });

  it('answers 503 SERVICE_UNAVAILABLE when Redis does not answer', async () => {
    const dead = createRedis({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200, logger: createLogger('silent') });
    const s = createSessionStore({ redis: dead, keys, idleTtlMs: 1000, maxAgeMs: 2000, touchIntervalMs: 0, maxPerUser: 1 });
    const t0 = Date.now();
    await expect(s.resolve(parse('1.' + 'a'.repeat(43)))).rejects.toMatchObject({ appCode: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(Date.now() - t0).toBeLessThan(500);
    dead.disconnect();
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCountingProxy } from '../helpers/redis-proxy.ts';
import type { Db } from '../../server/db/db.ts';
import { bearer, login, register } from '../auth/helpers.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { logSize } from './log.ts';

// A request's Redis work (session lookup and touch, the rate-limit decision for whoever the lookup
// finds, the route's cache read) leaves as one preflight script call; calls of one turn of the
// event loop share one. These tests pin the round trips and who pays.

let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
let db: Db;
let a: TestApp;
let b: TestApp;
let token: string;
let userId: number;
let postPath: string;

beforeAll(async () => {
  const target = new URL(inject('redisUrl'));
  proxy = await startCountingProxy({ host: target.hostname, port: Number(target.port) });
  db = await createTestDb();
  // Two instances on one Redis and one database; A talks to Redis through the counting proxy.
  const env = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '100', TRUST_PROXY: '1', REDIS_KEY_PREFIX: testPrefix() };
  a = await createTestApp({ db, redisUrl: proxy.url, env });
  b = await createTestApp({ db, env });
  userId = (await register(a, 'preflight@example.com')).id;
  token = (await login(b, 'preflight@example.com', 'correct horse battery')).sessionId; // A never saw it
  const created = await jsonRequest(a.app, 'POST', '/posts', { title: 'Preflight', content: 'One round trip' }, bearer(token));
  postPath = `/posts/${((await created.json()) as { id: number }).id}`;
  await jsonRequest(a.app, 'GET', postPath); // cached from now on
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.close();
  await proxy?.close();
});

const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers });
const readWindow = (t: TestApp, identity: string) => logSize(t.redis, t.deps.keys.rateLimit('read', identity));

/** Round trips A made to Redis per request over `n` sequential GETs of the cached post. */
async function roundTripsPerRead(headers: Record<string, string>, n = 20): Promise<number> {
  await a.services.posts.internals.views.flush(); // views sent by the buffer's timer are not the requests'
  const before = proxy.counts().turns;
  for (let i = 0; i < n; i++) {
    const res = await jsonRequest(a.app, 'GET', postPath, undefined, headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ source: 'cache' });
  }
  return (proxy.counts().turns - before) / n;
}

describe('the request preflight', () => {
  it('a cached authenticated read costs one Redis round trip, session and rate limit included, as an anonymous one does', async () => {
    const before = await readWindow(a, `user:${userId}`);
    expect(await roundTripsPerRead(from('198.51.100.1', bearer(token)))).toBe(1);
    expect(await roundTripsPerRead(from('198.51.100.1'))).toBe(1);
    // Each read was charged once, to the right identity.
    expect(await readWindow(a, `user:${userId}`)).toBe(before + 20);
    expect(await readWindow(a, 'ip:198.51.100.1')).toBe(20);
  });

  it('requests of the same turn of the event loop share one call, each decided and charged on its own', async () => {
    const before = proxy.counts().turns;
    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => jsonRequest(a.app, 'GET', postPath, undefined, from('198.51.100.6')).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(30).fill(200));
    expect(proxy.counts().turns - before).toBeLessThan(10);
    expect(await readWindow(a, 'ip:198.51.100.6')).toBe(30);
  });

  it("a made-up token naming a real user never spends that user's budget", async () => {
    const before = await readWindow(a, `user:${userId}`);
    const forged = `${userId}.${'A'.repeat(43)}`;
    for (let i = 0; i < 5; i++) {
      const res = await jsonRequest(a.app, 'GET', postPath, undefined, from('198.51.100.3', bearer(forged)));
      expect(res.status).toBe(200); // a public read, served anonymously
    }
    expect(await readWindow(a, `user:${userId}`)).toBe(before);
    expect(await readWindow(a, 'ip:198.51.100.3')).toBe(5);
  });

  it('a cookie on a cross-site write is not taken for its user: the address pays, and nothing is written', async () => {
    const writeWindow = (identity: string) => logSize(a.redis, a.deps.keys.rateLimit('write', identity, '1m'));
    const before = await writeWindow(`user:${userId}`);
    const res = await jsonRequest(a.app, 'POST', '/posts', { title: 'CSRF', content: 'no' }, from('198.51.100.4', { cookie: `sid=${token}`, origin: 'https://evil.example' }));
    expect(res.status).toBe(403);
    expect(await writeWindow(`user:${userId}`)).toBe(before);
    expect(await writeWindow('ip:198.51.100.4')).toBe(1);
    const mine = await jsonRequest(a.app, 'GET', `/users/${userId}/posts`);
    expect(((await mine.json()) as { data: { title: string }[] }).data.map((p) => p.title)).toEqual(['Preflight']);
  });

  it('a session that ended elsewhere costs its former user nothing more: the address pays from the next request on', async () => {
    const { sessionId } = await login(a, 'preflight@example.com', 'correct horse battery');
    expect((await jsonRequest(a.app, 'GET', postPath, undefined, from('198.51.100.5', bearer(sessionId)))).status).toBe(200);
    expect((await jsonRequest(b.app, 'POST', '/auth/logout', undefined, bearer(sessionId))).status).toBe(200);

    const before = await readWindow(a, `user:${userId}`);
    for (let i = 0; i < 3; i++) {
      const res = await jsonRequest(a.app, 'GET', postPath, undefined, from('198.51.100.5', bearer(sessionId)));
      expect(res.status).toBe(200); // a public read, served anonymously
    }
    expect(await readWindow(a, `user:${userId}`)).toBe(before);
    expect(await readWindow(a, 'ip:198.51.100.5')).toBe(3);
  });

  it('stays exact under concurrency: 150 reads by one user across two instances, exactly the 100 allowed', async () => {
    const second = await register(a, 'preflight-2@example.com');
    const other = (await login(a, second.email, 'correct horse battery')).sessionId;
    const statuses = await Promise.all(
      Array.from({ length: 150 }, (_, i) => jsonRequest((i % 2 ? a : b).app, 'GET', postPath, undefined, bearer(other)).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    expect(await readWindow(a, `user:${second.id}`)).toBe(100);
  });
});

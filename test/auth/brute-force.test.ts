import { parseOptions } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../../server/features/auth/auth.service.ts';
import { ARGON2ID, createPasswordHasher, type PasswordHasher } from '../../server/features/auth/passwords.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { DEMO, register, scanKeys, type ErrorJson } from './helpers.ts';

// Failed logins per email and address, per email, and per client address: slowed, then refused
// with 429 + Retry-After. Each test uses its own client addresses (x-test-ip) and email, so their
// counters never meet. account-lockout.test.ts has the owner's side (issue 15, point 4).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    clientAddress: (c) => c.req.header('x-test-ip'),
    env: {
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_EMAIL: '8',
      LOGIN_MAX_FAILURES_PER_IP: '5',
      LOGIN_FAILURE_WINDOW_SECONDS: '60',
      LOGIN_SLOWDOWN_MS: '0',
    },
  });
});
afterAll(() => t.close());

let n = 0;
const freshIp = () => `192.0.2.${++n}`;
const attempt = (email: string, password: string, ip: string, requestId?: string) =>
  jsonRequest(t.app, 'POST', '/auth/login', { email, password }, { 'x-test-ip': ip, ...(requestId && { 'x-request-id': requestId }) });

async function expect429(res: Response) {
  expect(res.status).toBe(429);
  const { error } = (await res.json()) as ErrorJson;
  expect(error.code).toBe('TOO_MANY_REQUESTS');
  expect(error.retryAfter).toBeGreaterThanOrEqual(1);
  expect(error.retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get('retry-after')).toBe(String(error.retryAfter));
  expect(error.message).toBe(`Too many failed logins: try again in ${error.retryAfter} s`);
}

describe('login brute-force protection', () => {
  it('refuses the N+1-th failed login for one email from one address with 429 and Retry-After, even with the right password', async () => {
    const email = 'target-1@example.com';
    await register(t, email, 'the right password');
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await attempt(email, `guess ${i}`, ip)).status).toBe(401);
    await expect429(await attempt(email, 'guess 4', ip));
    // Refused for the window from that address: the right password gets the same 429 there (a 200 would confirm the guess).
    await expect429(await attempt(email, 'the right password', ip));
  });

  it('refuses the N+1-th failure from one client address across emails; other addresses are unaffected', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await attempt(`nobody-${i}@example.com`, 'guess', ip)).status).toBe(401);
    await expect429(await attempt('nobody-else@example.com', 'guess', ip));
    expect((await attempt(DEMO.email, DEMO.password, freshIp())).status).toBe(200);
  });

  it('a refused attempt consumes nothing from the other counter', async () => {
    const email = 'target-2@example.com';
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await attempt(email, 'guess', ip);
    // Refused by the email-and-address counter: the address' own counter keeps its 3.
    await expect429(await attempt(email, 'guess', ip));
    expect(await t.redis.get(t.deps.keys.loginAddressAttempts(ip))).toBe('3');
  });

  it('only failures count: a successful login gives its attempt back', async () => {
    const ip = freshIp();
    const email = 'target-3@example.com';
    await register(t, email, 'the right password');
    expect((await attempt(email, 'wrong', ip)).status).toBe(401);
    expect((await attempt(email, 'wrong', ip)).status).toBe(401);
    expect((await attempt(email, 'the right password', ip)).status).toBe(200);
    expect((await attempt(email, 'wrong', ip)).status).toBe(401);
    await expect429(await attempt(email, 'wrong', ip));
  });

  it('stays exact under concurrency: of 20 parallel guesses for one email from 20 addresses, exactly 8 (the per-email ceiling) are checked', async () => {
    const email = 'target-4@example.com';
    await register(t, email, 'the right password');
    const ips = Array.from({ length: 20 }, freshIp);
    const statuses = await Promise.all(ips.map((ip, i) => attempt(email, `parallel guess ${i}`, ip).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(8);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12);
  });

  it('counters expire with the window, known-address markers with the session lifetime: every key has a TTL', async () => {
    const expectTtls = async (match: string, maxMs: number) => {
      const keys = await scanKeys(t.redis, `${t.config.REDIS_KEY_PREFIX}${match}`);
      expect(keys.length, match).toBeGreaterThan(0);
      for (const key of keys) {
        const ttl = await t.redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(maxMs);
      }
    };
    await expectTtls('login-attempts:', 60_000);
    await expectTtls('login-known:', t.config.SESSION_MAX_AGE_SECONDS * 1000);
  });
});

describe('slowdown', () => {
  it('holds back attempts once half of the budget is used, before refusing', async () => {
    const slow = await createTestApp({ env: { LOGIN_MAX_FAILURES: '4', LOGIN_SLOWDOWN_MS: '1000' } });
    try {
      const timed = async (password: string) => {
        const t0 = performance.now();
        const res = await jsonRequest(slow.app, 'POST', '/auth/login', { email: DEMO.email, password });
        return { status: res.status, ms: performance.now() - t0 };
      };
      const results = [await timed('one'), await timed('two'), await timed('three'), await timed(DEMO.password)];
      expect(results.map((r) => r.status)).toEqual([401, 401, 401, 200]);
      expect(results[0]!.ms).toBeLessThan(1000);
      expect(results[1]!.ms).toBeLessThan(1000);
      // Attempts 3 and 4 are past half of 4: slowed, the right password as well (so speed does not tell).
      expect(results[2]!.ms).toBeGreaterThanOrEqual(1000);
      expect(results[3]!.ms).toBeGreaterThanOrEqual(1000);
    } finally {
      await slow.close();
    }
  });
});

describe('unknown email and wrong password', () => {
  it('answer with the same status and byte-identical bodies', async () => {
    const unknown = await attempt('no-such-user@example.com', 'password123', freshIp(), 'same-request-id');
    const wrong = await attempt(DEMO.email, 'not the password', freshIp(), 'same-request-id');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(unknown.status);
    const [a, b] = [Buffer.from(await unknown.arrayBuffer()), Buffer.from(await wrong.arrayBuffer())];
    expect(a.equals(b)).toBe(true);
    expect(JSON.parse(a.toString())).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Invalid email or password', requestId: 'same-request-id' },
    });
  });

  it('cost one argon2id verification each, with the same parameters, so they take similar time', async () => {
    const calls: string[] = [];
    const real = createPasswordHasher();
    const counting: PasswordHasher = {
      ...real,
      verify: (hash, pw) => (calls.push('verify'), real.verify(hash, pw)),
      verifyUnknownUser: (pw) => (calls.push('verifyUnknownUser'), real.verifyUnknownUser(pw)),
    };
    // No throttle here: this test is about the password check alone.
    const unthrottled = { begin: async () => ({ succeeded: async () => {} }) };
    const auth = createAuthService(t.deps, { hasher: counting, throttle: unthrottled });
    const client = { ip: freshIp(), userAgent: 'vitest' };
    await expect(auth.login({ email: 'ghost@example.com', password: 'whatever1' }, client)).rejects.toMatchObject({ message: 'Invalid email or password' });
    await expect(auth.login({ email: DEMO.email, password: 'whatever1' }, { ...client, ip: freshIp() })).rejects.toMatchObject({
      message: 'Invalid email or password',
    });
    expect(calls).toEqual(['verifyUnknownUser', 'verify']);
    const [row] = await t.db.query<{ password_hash: string }>('select password_hash from users where email = $1', [DEMO.email]);
    expect(parseOptions(row!.password_hash)).toMatchObject({ algorithm: ARGON2ID.algorithm, memoryCost: 19456, timeCost: 2, parallelism: 1 });

    // Interleaved samples; medians compared loosely (a shared 2-core machine is noisy). The bench reports the figures.
    const sample = async (email: string) => {
      const t0 = performance.now();
      await auth.login({ email, password: 'whatever1' }, { ip: freshIp(), userAgent: 'vitest' }).catch(() => {});
      return performance.now() - t0;
    };
    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      unknownMs.push(await sample(`ghost-${i}@example.com`));
      wrongMs.push(await sample(DEMO.email));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknownMs) / median(wrongMs);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

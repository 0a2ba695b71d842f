import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginDelayMs, type LoginLimits } from '../../server/features/auth/login-delay.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { register, storesSnapshot, type ErrorJson } from './helpers.ts';

// Issue 15, point 4: failed logins must slow the attacker, not lock the account's owner out.
// 3 failures per email and address, 9 per email from all addresses (not applied to an address the
// account logged in from), no delay here (the delay has its own app below).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    clientAddress: (c) => c.req.header('x-test-ip'),
    env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_EMAIL: '9', LOGIN_FAILURE_WINDOW_SECONDS: '60', LOGIN_SLOWDOWN_MS: '0' },
  });
});
afterAll(() => t.close());

let n = 0;
const freshIp = () => `198.51.100.${++n}`;
const PASSWORD = 'the owner password';
const attempt = (app: TestApp, email: string, password: string, ip: string) =>
  jsonRequest(app.app, 'POST', '/auth/login', { email, password }, { 'x-test-ip': ip });
const status = (email: string, password: string, ip: string) => attempt(t, email, password, ip).then((r) => r.status);

describe('the owner is not locked out by others', () => {
  it('failures from one address refuse that address only: the owner logs in from another', async () => {
    const email = 'victim-1@example.com';
    await register(t, email, PASSWORD);
    const attacker = freshIp();
    const tries = [];
    for (let i = 0; i < 5; i++) tries.push(await status(email, `guess ${i}`, attacker));
    expect(tries).toEqual([401, 401, 401, 429, 429]);
    expect(await status(email, PASSWORD, freshIp())).toBe(200);
    // The attacker's address stays refused, the right password included.
    expect(await status(email, PASSWORD, attacker)).toBe(429);
  });

  it('guessing spread over addresses stops at the per-email ceiling, except where the owner logged in before', async () => {
    const email = 'victim-2@example.com';
    await register(t, email, PASSWORD);
    const home = freshIp();
    expect(await status(email, PASSWORD, home)).toBe(200);
    for (let a = 0; a < 3; a++) {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) expect(await status(email, `guess ${a}.${i}`, ip)).toBe(401);
    }
    // 9 failures: an address never used for this account is refused, the right password included...
    const refused = await attempt(t, email, PASSWORD, freshIp());
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as ErrorJson).error).toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^Too many failed logins: try again in \d+ s$/) });
    // ...the owner's address is not.
    expect(await status(email, PASSWORD, home)).toBe(200);
    // Still held to its own budget there: a known address is not a free pass for guesses.
    for (let i = 0; i < 3; i++) expect(await status(email, `guess at home ${i}`, home)).toBe(401);
    expect(await status(email, PASSWORD, home)).toBe(429);
  });
});

describe('under concurrency', () => {
  it('40 parallel guesses from 10 addresses: exactly 9 checked (the ceiling), none past 3 from one address; the owner gets in meanwhile', async () => {
    const email = 'victim-3@example.com';
    await register(t, email, PASSWORD);
    const home = freshIp();
    expect(await status(email, PASSWORD, home)).toBe(200);
    const ips = Array.from({ length: 10 }, freshIp);
    const guesses = ips.flatMap((ip) => [0, 1, 2, 3].map((i) => status(email, `parallel ${i}`, ip).then((s) => ({ ip, s }))));
    const [results, owner] = await Promise.all([Promise.all(guesses), status(email, PASSWORD, home)]);
    expect(owner).toBe(200);
    expect(results.filter((r) => r.s === 401)).toHaveLength(9);
    expect(results.filter((r) => r.s === 429)).toHaveLength(31);
    for (const ip of ips) expect(results.filter((r) => r.ip === ip && r.s === 401).length).toBeLessThanOrEqual(3);
    // The counters say the same: 9 failures for the account, each address' own count within its budget.
    const { keys } = t.deps;
    const account = createHash('sha256').update(email).digest('hex');
    expect(await t.redis.get(keys.loginAccountAttempts(account))).toBe('9');
    const perAddress = await Promise.all(ips.map((ip) => t.redis.get(keys.loginAccountAttemptsFrom(account, ip))));
    expect(perAddress.reduce((sum, v) => sum + Number(v ?? 0), 0)).toBe(9);
  });
});

describe('bad input', () => {
  it('a malformed login gets its 400 and counts nothing', async () => {
    const before = await storesSnapshot(t);
    const res = await jsonRequest(t.app, 'POST', '/auth/login', { email: 'not an email', password: 7 }, { 'x-test-ip': freshIp() });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorJson).error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Invalid input: email: Invalid email address; password: Invalid input: expected string, received number',
      details: [
        { field: 'email', message: 'Invalid email address' },
        { field: 'password', message: 'Invalid input: expected string, received number' },
      ],
      requestId: expect.any(String),
    });
    expect(await storesSnapshot(t)).toEqual(before);
  });
});

describe('progressive delay', () => {
  const limits: LoginLimits = { perAddress: 5, perAccount: 100, perIp: 50, slowdownMs: 500, maxSlowdownMs: 8000 };
  const delay = (fromAll: number, opts: { fromAddress?: number; known?: boolean; fromAddressAllAccounts?: number } = {}) =>
    loginDelayMs({ fromAddress: opts.fromAddress ?? 1, fromAll, known: opts.known ?? false, fromAddressAllAccounts: opts.fromAddressAllAccounts ?? 1 }, limits);

  it('doubles with each further per-address budget an email fails from all addresses, up to the cap', () => {
    expect([1, 5, 6, 10, 11, 15, 16, 20, 21, 25, 26, 100].map((fromAll) => delay(fromAll))).toEqual([
      0, 0, 500, 500, 1000, 1000, 2000, 2000, 4000, 4000, 8000, 8000,
    ]);
  });

  it('slows an address past half of its own budgets; a known address only for those', () => {
    expect(delay(3, { fromAddress: 3 })).toBe(500);
    expect(delay(1, { fromAddressAllAccounts: 26 })).toBe(500);
    expect(delay(60, { known: true })).toBe(0);
    expect(delay(60, { known: true, fromAddress: 3 })).toBe(500);
  });

  it('holds back a fresh address once guesses spread over addresses pile up, not the owner at home', async () => {
    const slow = await createTestApp({
      clientAddress: (c) => c.req.header('x-test-ip'),
      env: { LOGIN_MAX_FAILURES: '2', LOGIN_SLOWDOWN_MS: '1500', LOGIN_MAX_SLOWDOWN_MS: '3000' },
    });
    try {
      const email = 'victim-4@example.com';
      await register(slow, email, PASSWORD);
      const home = freshIp();
      expect((await attempt(slow, email, PASSWORD, home)).status).toBe(200);
      // 4 failures from 2 addresses: two per-address budgets.
      const spread = await Promise.all([freshIp(), freshIp()].flatMap((ip) => [1, 2].map((i) => attempt(slow, email, `guess ${i}`, ip))));
      expect(spread.map((r) => r.status)).toEqual([401, 401, 401, 401]);
      const timed = async (ip: string) => {
        const started = performance.now();
        const res = await attempt(slow, email, PASSWORD, ip);
        return { status: res.status, ms: performance.now() - started };
      };
      const fresh = await timed(freshIp());
      expect(fresh.status).toBe(200);
      expect(fresh.ms).toBeGreaterThanOrEqual(3000);
      const owner = await timed(home);
      expect(owner.status).toBe(200);
      expect(owner.ms).toBeLessThan(1500);
    } finally {
      await slow.close();
    }
  });
});

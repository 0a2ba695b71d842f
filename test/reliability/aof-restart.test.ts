import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meSchema } from '../../shared/auth.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, health, logIn, signUp, timedWait } from './api.ts';
import { recordFigures } from './figures.ts';
import { countWhere, startLoad, statuses, type RunningLoad } from './load.ts';
import { scanAll, startStack, type Stack } from './stack.ts';

// Redis with the append-only file as production runs it (docker-compose.yml: appendonly yes,
// appendfsync everysec), restarted twice under light load: once gracefully (SIGTERM: SHUTDOWN
// writes the AOF out) and once crashed (SIGKILL). Sessions live only in Redis, so each one created
// before a restart must still resolve after it, on either instance.
let stack: Stack | undefined;
let load: RunningLoad | undefined;
beforeAll(async () => {
  stack = await startStack({ redis: { appendOnly: true, extraArgs: ['--appendfsync', 'everysec'] } });
}, 90_000);
afterAll(async () => {
  load?.kill();
  await stack?.stop();
}, 60_000);

describe('Redis restarted with AOF on', () => {
  it('keeps every session created before the restart (graceful and SIGKILL)', async () => {
    const { instances, probe } = stack!;
    const [a, b] = instances.map((i) => i.url) as [string, string];
    const users = ['aof-1@example.com', 'aof-2@example.com', 'aof-3@example.com'];
    const tokens: { email: string; token: string }[] = [];
    for (const [i, email] of users.entries()) tokens.push({ email, token: await signUp(i % 2 ? b : a, email) });
    // More sessions per user, from both instances.
    for (const [i, email] of [...users, ...users].entries()) tokens.push({ email, token: await logIn(i % 2 ? a : b, email) });
    const sessionKeys = async () => (await scanAll(probe, 'blog:sess:*')).length;
    expect(await sessionKeys()).toBe(tokens.length);

    load = await startLoad({
      targets: [a, b],
      token: tokens[0]!.token,
      login: { email: users[0]!, password: 'reliability-password' },
      readPostIds: { [a]: [1], [b]: [1] },
      mix: { me: 3, list: 1 },
      concurrency: 2,
      maxOps: 20_000,
      maxSeconds: 40,
      requestTimeoutMs: 5000,
    });

    const restarts: Record<string, { reconnectMs: number[]; sessionsAfter: number }> = {};
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      await stack!.stopRedis(how);
      await Promise.all([a, b].map((base) => timedWait(async () => (await health(base)) === 'degraded', { timeoutMs: 20_000, what: `${base} notices` })));
      await stack!.startRedisAgain();
      const restartedAt = performance.now();
      const reconnectMs = await Promise.all(
        [a, b].map(async (base) => {
          await waitFor(async () => (await health(base)) === 'ok', { timeoutMs: 20_000, what: `${base} reports ok` });
          return Math.round(performance.now() - restartedAt);
        }),
      );
      // Every session resolves, on both instances, as the user it was created for.
      for (const { email, token } of tokens) {
        for (const base of [a, b]) {
          const me = await call(base, 'GET', '/auth/me', undefined, token);
          expect(me.status, `${how}: ${email} on ${base}: ${JSON.stringify(me.body)}`).toBe(200);
          expect(meSchema.parse(me.body).user.email).toBe(email);
        }
      }
      restarts[how] = { reconnectMs, sessionsAfter: await sessionKeys() };
      expect(restarts[how]!.sessionsAfter).toBe(tokens.length);
    }
    const result = await load.stop();
    expect(statuses(result, 'me')['200'], 'the load ran').toBeGreaterThan(0);
    // Around the restarts: 200 or 503 with the error shape; never a 500 or a hang.
    expect(countWhere(result, (s) => s !== '200' && s !== '503'), JSON.stringify({ counts: result.counts, errors: result.errors })).toBe(0);
    expect(result.badErrorShape, result.errors.join('\n')).toBe(0);

    await recordFigures('aof-restart', {
      sessionsBefore: tokens.length,
      restarts,
      authenticatedReadsUnderLoad: statuses(result, 'me'),
    });
  }, 120_000);
});

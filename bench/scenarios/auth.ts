import { Redis } from 'ioredis';
import { createAuthService } from '../../server/features/auth/auth.service.ts';
import { createPasswordHasher } from '../../server/features/auth/passwords.ts';
import { round, runLoad } from '../lib/load.ts';
import type { BenchScenario } from '../lib/scenario.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** EVALSHA calls Redis has run, from INFO commandstats: script calls = round trips on the session path. */
async function evalshaCalls(probe: Redis): Promise<number> {
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(await probe.info('commandstats'))?.[1] ?? 0);
}

/**
 * Sessions: an authenticated GET /auth/me (one Redis round trip resolving and, when due,
 * touching the session) against the same route refused anonymously (401, no Redis), plus the
 * cost of an argon2id verification and of the two failed-login paths (unknown email, wrong password).
 */
export const authScenario: BenchScenario = {
  name: 'auth',
  async run({ buildApp, serve, settings, redisUrl }) {
    const built = await buildApp({ SEED_DEMO: 'true' });
    const server = await serve(built.app.fetch);
    const probe = new Redis(redisUrl);
    try {
      const login = await fetch(`${server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'user@example.com', password: 'password123' }),
      });
      if (login.status !== 200) throw new Error(`bench auth: demo login failed with ${login.status}`);
      const { sessionId } = (await login.json()) as { sessionId: string };
      const me = (headers: Record<string, string>) => () => ({ url: `${server.url}/auth/me`, init: { headers } });

      const anonymousLoad = () => runLoad({ ...settings, request: me({}), ok: (s) => s === 401 });
      const authedLoad = () => runLoad({ ...settings, request: me({ authorization: `Bearer ${sessionId}` }) });
      // Warm-up of both, then alternating runs (a shared machine drifts), the better run of each kept.
      await anonymousLoad();
      await authedLoad();
      const anonymousRuns = [];
      const authedRuns = [];
      let roundTripsPerRequest = 0;
      for (let i = 0; i < 2; i++) {
        anonymousRuns.push(await anonymousLoad());
        const scriptsBefore = await evalshaCalls(probe);
        const run = await authedLoad();
        roundTripsPerRequest = ((await evalshaCalls(probe)) - scriptsBefore) / run.requests;
        authedRuns.push(run);
      }
      const best = <T extends { rps: number }>(runs: T[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
      const anonymous = best(anonymousRuns);
      const authed = best(authedRuns);

      // Password checks, outside the HTTP stack and without the throttle.
      const hasher = createPasswordHasher();
      const hash = await hasher.hash('password123');
      const verifyMs: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        await hasher.verify(hash, i % 2 ? 'password123' : 'wrong');
        verifyMs.push(performance.now() - t0);
      }
      const unthrottled = { begin: async () => ({ succeeded: async () => {} }) };
      const auth = createAuthService(built.deps, { hasher, throttle: unthrottled });
      await auth.startup();
      const failedLoginMs = { unknownEmail: [] as number[], wrongPassword: [] as number[] };
      for (let i = 0; i < 40; i++) {
        for (const [kind, email] of [['unknownEmail', `nobody${i}@example.com`], ['wrongPassword', 'user@example.com']] as const) {
          const t0 = performance.now();
          await auth.login({ email, password: 'not the password' }, { ip: '127.0.0.1', userAgent: 'bench' }).catch(() => {});
          failedLoginMs[kind].push(performance.now() - t0);
        }
      }

      return {
        results: {
          anonymous401: anonymous,
          authenticated: authed,
          redisRoundTripsPerAuthenticatedRequest: round(roundTripsPerRequest, 3),
          argon2idVerifyMedianMs: round(median(verifyMs)),
          failedLoginMedianMs: { unknownEmail: round(median(failedLoginMs.unknownEmail)), wrongPassword: round(median(failedLoginMs.wrongPassword)) },
        },
        ratios: {
          'authenticated/anonymous throughput': authed.rps / anonymous.rps,
          'unknown email/wrong password login time': median(failedLoginMs.unknownEmail) / median(failedLoginMs.wrongPassword),
        },
      };
    } finally {
      probe.disconnect();
      await server.close();
      await built.close();
    }
  },
};

import os from 'node:os';
import { Hono } from 'hono';
import { withCountedApp } from '../lib/counted-app.ts';
import { round, runLoadInChild } from '../lib/load.ts';
import type { BenchContext, BenchScenario } from '../run.ts';

/**
 * Rate limiting on, with a budget the load never exhausts (100,000 per second per caller): every
 * request is really decided by the sliding-window script, none is refused.
 */
const appEnv = { SEED_DEMO: 'true', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '100000', RATE_LIMIT_WINDOW_SECONDS: '1' };

/** Requests measured one at a time through the counting proxy. */
const SEQUENTIAL = 500;
/** Rounds of bare / authenticated / anonymous runs. */
const ROUNDS = 5;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Logs in as the demo user, writes one post and reads it twice, so that it is cached. */
async function seed(url: string): Promise<{ token: string; path: string; cached: unknown }> {
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'user@example.com', password: 'password123' }),
  });
  if (login.status !== 200) throw new Error(`bench posts: login answered ${login.status}`);
  const { sessionId } = (await login.json()) as { sessionId: string };
  const created = await fetch(`${url}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionId}` },
    body: JSON.stringify({ title: 'Redis Guide', content: 'Learn Redis... '.repeat(40), tags: ['redis', 'caching'] }),
  });
  if (created.status !== 201) throw new Error(`bench posts: create answered ${created.status}`);
  const { id } = (await created.json()) as { id: number };
  const path = `/posts/${id}`;
  await fetch(`${url}${path}`).then((r) => r.arrayBuffer());
  const cached = (await (await fetch(`${url}${path}`)).json()) as { source: string };
  if (cached.source !== 'cache') throw new Error('bench posts: the post is not served from the cache');
  return { token: sessionId, path, cached };
}

/**
 * Round trips per request at concurrency 1, through a counting proxy, on an instance of its own.
 * Its background tasks are not started (the view flush, which runs every VIEW_FLUSH_INTERVAL_MS
 * whatever the traffic, is counted apart; the live reader and the analytics worker read the
 * stream on connections of their own, off the request's path), so the requests' own round trips
 * are counted, with the view sends that ride in them.
 */
function roundTrips(ctx: BenchContext) {
  return withCountedApp(ctx, appEnv, async ({ url, built, counts }) => {
    const { token, path } = await seed(url);
    const sequential = async (headers: Record<string, string>) => {
      const before = counts().turns;
      for (let i = 0; i < SEQUENTIAL; i++) {
        const res = await fetch(`${url}${path}`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`bench posts: GET ${path} answered ${res.status}`);
      }
      return (counts().turns - before) / SEQUENTIAL;
    };
    await sequential({ authorization: `Bearer ${token}` }); // warm-up
    const commandsBefore = await ctx.totalCommands();
    const authenticated = await sequential({ authorization: `Bearer ${token}` });
    // Commands Redis executed per read (the probe's INFO adds one per call; scripts count once).
    const commandsPerAuthenticatedRead = ((await ctx.totalCommands()) - commandsBefore - 1) / SEQUENTIAL;
    const anonymous = await sequential({});
    const beforeFlush = counts().turns;
    await built.services.posts.internals.views.flush();
    const perFlush = counts().turns - beforeFlush;
    return { authenticated, anonymous, commandsPerAuthenticatedRead, perFlush };
  });
}

/**
 * A cached `GET /posts/:id` through the whole app (request context, metrics, secure headers, body
 * limit, the post prefetch, session, rate limit, the route), authenticated with a Bearer token,
 * against a bare Hono route answering the same JSON, in the same run. The load comes from a child
 * process, so its CPU is not taken from the server. Also: Redis round trips per request, counted
 * by a TCP proxy at concurrency 1, authenticated and anonymous.
 */
export const postsScenario: BenchScenario = {
  name: 'posts',
  async run(ctx) {
    const { settings } = ctx;
    const trips = await roundTrips(ctx);

    const built = await ctx.buildApp(appEnv);
    const server = await ctx.serve(built.app.fetch);
    const { token, path, cached } = await seed(server.url);
    const bare = new Hono().get('/posts/:id', (c) => c.json(cached as object));
    const bareServer = await ctx.serve(bare.fetch);
    try {
      /** One run from a child process, with the CPU this process (the servers) spent on it. */
      const load = async (url: string, headers: Record<string, string> = {}, requests = settings.requests) => {
        const cpu = process.cpuUsage();
        const result = await runLoadInChild({ url, headers, requests, concurrency: settings.concurrency, maxSeconds: settings.maxSeconds });
        const used = process.cpuUsage(cpu);
        return { ...result, serverCpuUsPerRequest: round((used.user + used.system) / result.requests, 1) };
      };
      type Run = Awaited<ReturnType<typeof load>>;
      const authedUrl = `${server.url}${path}`;
      const authed = { authorization: `Bearer ${token}` };
      // Warm-up of each side, then rounds of bare / authenticated / anonymous back to back: other
      // work on a shared machine shifts all three alike within a round, so each round gives a ratio
      // and the median of them is reported (with the best run of each side, and CPU per request).
      await load(authedUrl, authed, 2000);
      await load(`${bareServer.url}${path}`, {}, 2000);
      const runs: Record<'bare' | 'authenticated' | 'anonymous', Run[]> = { bare: [], authenticated: [], anonymous: [] };
      for (let i = 0; i < ROUNDS; i++) {
        runs.bare.push(await load(`${bareServer.url}${path}`));
        runs.authenticated.push(await load(authedUrl, authed));
        runs.anonymous.push(await load(authedUrl));
      }
      const errors = [...runs.authenticated, ...runs.anonymous].reduce((n, r) => n + r.errors, 0);
      if (errors > 0) throw new Error(`bench posts: ${errors} requests failed (429 or 5xx) during the measured runs`);
      const best = (rs: Run[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));
      const medianRatio = (side: Run[]) => median(side.map((r, i) => r.rps / runs.bare[i]!.rps));
      const medianCpu = (side: Run[]) => median(side.map((r) => r.serverCpuUsPerRequest));

      return {
        results: {
          bare: best(runs.bare),
          cachedAuthenticated: best(runs.authenticated),
          cachedAnonymous: best(runs.anonymous),
          rounds: Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, rs.map((r) => r.rps)])),
          serverCpuUsPerRequestMedian: { bare: medianCpu(runs.bare), authenticated: medianCpu(runs.authenticated), anonymous: medianCpu(runs.anonymous) },
          redisRoundTripsPerRequest: {
            authenticated: round(trips.authenticated, 3),
            anonymous: round(trips.anonymous, 3),
            viewFlush: `${trips.perFlush} per flush, once per VIEW_FLUSH_INTERVAL_MS (5 s), not per request`,
            method: `TCP proxy between app and redis-server, ${SEQUENTIAL} sequential requests each: a client write burst after a reply = 1 round trip`,
          },
          redisCommandsPerAuthenticatedRead: round(trips.commandsPerAuthenticatedRead, 2),
          rateLimit: `${appEnv.RATE_LIMIT_MAX} per ${appEnv.RATE_LIMIT_WINDOW_SECONDS} s (on, never refusing)`,
          loadAverage: os.loadavg().map((l) => round(l, 1)),
        },
        ratios: {
          'cached GET /posts/:id authenticated / bare route (median of rounds)': medianRatio(runs.authenticated),
          'cached GET /posts/:id anonymous / bare route (median of rounds)': medianRatio(runs.anonymous),
          'bare / authenticated server CPU per request (median)': medianCpu(runs.bare) / medianCpu(runs.authenticated),
        },
      };
    } finally {
      await bareServer.close();
      await server.close();
      await built.close();
    }
  },
};

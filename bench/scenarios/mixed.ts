import os from 'node:os';
import { withCountedApp } from '../lib/counted-app.ts';
import { round, runInChild, type LoadResult } from '../lib/load.ts';
import { MIX, mixedRequest, type MixedKind, type MixedPlan } from '../lib/mixed-plan.ts';
import type { BenchContext, BenchScenario } from '../lib/scenario.ts';

/** Rate limiting on for every group, with budgets the load never exhausts: every request is decided, none refused. */
const appEnv = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_MAX: '100000',
  RATE_LIMIT_WINDOW_SECONDS: '1',
  RATE_LIMIT_WRITE: '100000/1s',
  RATE_LIMIT_LOGIN: '100000/1s',
  RATE_LIMIT_REGISTER: '100000/1s',
};
const USERS = 20;
const POSTS = 200;
const ROUNDS = 3;
/** Sequential requests of each kind through the counting proxy. */
const SEQUENTIAL_PER_KIND = 40;

interface KindResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}
interface MixedLoadResult extends LoadResult {
  kinds: Record<MixedKind, KindResult>;
}

async function call(url: string, init: RequestInit, expected: number): Promise<unknown> {
  const res = await fetch(url, init);
  const body = (await res.json()) as unknown;
  if (res.status !== expected) throw new Error(`bench mixed: ${init.method ?? 'GET'} ${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Users with sessions, posts with locations around Palermo, and views so that trending has a top. */
async function seed(url: string): Promise<Omit<MixedPlan, 'requests' | 'concurrency' | 'maxSeconds'>> {
  const json = { 'content-type': 'application/json' };
  const logins = Array.from({ length: USERS }, (_, i) => ({ email: `mixed-${i}@example.com`, password: `mixed password ${i}` }));
  const tokens: string[] = [];
  for (const login of logins) {
    await call(`${url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(login) }, 201);
    tokens.push(((await call(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(login) }, 200)) as { sessionId: string }).sessionId);
  }
  const postIds: number[] = [];
  for (let i = 0; i < POSTS; i++) {
    const body = { title: `Seed ${i}`, content: 'Seeded for the mixed bench. '.repeat(20), tags: ['bench', `t${i % 10}`], location: { longitude: 13 + (i % 50) / 100, latitude: 38 + (i % 40) / 100 } };
    const created = await call(`${url}/posts`, { method: 'POST', headers: { ...json, authorization: `Bearer ${tokens[i % USERS]}` }, body: JSON.stringify(body) }, 201);
    postIds.push((created as { id: number }).id);
  }
  for (let i = 0; i < 300; i++) await fetch(`${url}/posts/${postIds[i % 30]}`).then((r) => r.arrayBuffer());
  return { url, tokens, logins, postIds };
}

/**
 * Redis round trips and commands per request of each kind, sequential (concurrency 1) through a
 * counting TCP proxy on an app of its own: what one request costs when nothing shares its writes.
 * Background tasks are not started there (see BenchContext.buildApp); the stream entries the
 * requests write are read by them later, off the requests' path.
 */
function roundTrips(ctx: BenchContext) {
  return withCountedApp(ctx, appEnv, async ({ url, counts }) => {
    const plan: MixedPlan = { ...(await seed(url)), requests: 0, concurrency: 1, maxSeconds: 0 };
    const perKind: Record<string, { roundTrips: number; commands: number }> = {};
    for (const kind of Object.keys(MIX) as MixedKind[]) {
      const indices: number[] = [];
      for (let i = 0; indices.length < SEQUENTIAL_PER_KIND; i++) if (mixedRequest(plan, i).kind === kind) indices.push(i);
      const turns = counts().turns;
      const commands = await ctx.totalCommands();
      for (const i of indices) {
        const { url, init } = mixedRequest(plan, i);
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`bench mixed: ${kind} answered ${res.status}`);
      }
      // The probe's INFO adds one command per call.
      perKind[kind] = {
        roundTrips: round((counts().turns - turns) / indices.length, 2),
        commands: round(((await ctx.totalCommands()) - commands - 1) / indices.length, 2),
      };
    }
    const weighted = (k: 'roundTrips' | 'commands') => round((Object.entries(MIX) as [MixedKind, number][]).reduce((n, [kind, share]) => n + (perKind[kind]![k] * share) / 100, 0), 2);
    return { perKind, mix: { roundTrips: weighted('roundTrips'), commands: weighted('commands') } };
  });
}

const loadInChild = (plan: MixedPlan) => runInChild<MixedLoadResult>('bench/lib/mixed-load-process.ts', plan);

/**
 * The whole app under a mix of traffic (MIX: post reads, list pages, writes, logins, trending,
 * geo), half the reads signed in, rate limiting on: throughput, p50 and p99 overall and per kind
 * (median round of ROUNDS, load from a child process), and Redis round trips and commands per
 * request of each kind and of the mix (sequential, through a counting proxy). No ratio to another
 * stack: this is the figure a capacity plan starts from.
 */
export const mixedScenario: BenchScenario = {
  name: 'mixed',
  async run(ctx) {
    const trips = await roundTrips(ctx);
    const built = await ctx.buildApp(appEnv);
    const server = await ctx.serve(built.app.fetch);
    try {
      const seeded = await seed(server.url);
      const plan = (requests: number): MixedPlan => ({ ...seeded, requests, concurrency: ctx.settings.concurrency, maxSeconds: ctx.settings.maxSeconds });
      await loadInChild(plan(2000)); // warm-up
      const runs: MixedLoadResult[] = [];
      for (let i = 0; i < ROUNDS; i++) runs.push(await loadInChild(plan(ctx.settings.requests)));
      const errors = runs.reduce((n, r) => n + r.errors, 0);
      if (errors > 0) throw new Error(`bench mixed: ${errors} requests failed: ${JSON.stringify(runs.map((r) => r.kinds))}`);
      const middle = [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
      return {
        results: {
          mix: MIX,
          rounds: runs.map((r) => ({ rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms })),
          medianRound: { rps: middle.rps, p50Ms: middle.p50Ms, p99Ms: middle.p99Ms, requests: middle.requests, seconds: middle.seconds },
          perKind: Object.fromEntries(
            (Object.keys(MIX) as MixedKind[]).map((kind) => [kind, { p50Ms: middle.kinds[kind].p50Ms, p99Ms: middle.kinds[kind].p99Ms, requests: middle.kinds[kind].requests, ...trips.perKind[kind] }]),
          ),
          redisPerRequestOfTheMix: trips.mix,
          method: `load from a child process at concurrency ${ctx.settings.concurrency}, ${ctx.settings.requests} requests or ${ctx.settings.maxSeconds} s per round; round trips: ${SEQUENTIAL_PER_KIND} sequential requests per kind through a TCP proxy (a client write burst after a reply = 1 round trip), commands from INFO commandstats`,
          rateLimit: 'on for every group, budgets never exhausted',
          loadAverage: os.loadavg().map((l) => round(l, 1)),
        },
        ratios: {},
      };
    } finally {
      await server.close();
      await built.close();
    }
  },
};

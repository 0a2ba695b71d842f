import type { BuiltApp } from '../../server/app.ts';
import type { BenchContext } from './scenario.ts';
import { startCountingProxy, type TurnCounts } from '../../test/helpers/redis-proxy.ts';

export interface CountedApp {
  url: string;
  built: BuiltApp;
  /** Round trips seen so far between the app and Redis. */
  counts(): TurnCounts;
}

/**
 * Runs `measure` against an app of its own, served over HTTP, whose Redis connections go through a
 * counting proxy (bench/lib/redis-proxy.ts), with its background tasks not started: what it counts
 * is the requests' own round trips. Stops the server, the app and the proxy afterwards.
 */
export async function withCountedApp<T>(ctx: BenchContext, env: Record<string, string>, measure: (app: CountedApp) => Promise<T>): Promise<T> {
  const { hostname, port } = new URL(ctx.redisUrl);
  const proxy = await startCountingProxy({ host: hostname, port: Number(port) });
  const built = await ctx.buildApp({ ...env, REDIS_URL: proxy.url }, { background: false });
  const server = await ctx.serve(built.app.fetch);
  try {
    return await measure({ url: server.url, built, counts: proxy.counts });
  } finally {
    await server.close();
    await built.close();
    await proxy.close();
  }
}

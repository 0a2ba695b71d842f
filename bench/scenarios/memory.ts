import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { findPostgresBin, startLocalPostgres, type LocalPostgres } from '../../test/helpers/postgres.ts';
import { buildServer, startApi } from '../lib/api-process.ts';
import { runCannon } from '../lib/autocannon.ts';
import { loadFlag, type LoadFlags } from '../lib/cli.ts';
import { benchRedis } from '../lib/env.ts';
import { round } from '../lib/load.ts';
import { rssMb, rssTrend } from '../lib/memory.ts';
import type { BenchScenario } from '../lib/scenario.ts';
import { seedProduct } from './posts.ts';

/** The JS heap in use, from the app's own /metrics (prom-client's nodejs_heap_size_used_bytes), in MB. */
async function heapUsedMb(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Math.round(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN) / 1024 / 1024);
}

/**
 * `npm run bench -- memory [--stores pglite,postgres] [--rounds 5 --seconds 5 --connections 50]`: resident memory of the
 * compiled API process (production), on the embedded PGlite and on PostgreSQL (when installed):
 * idle after start-up, then after each of `--rounds` rounds of the posts bench's load (a cached,
 * authenticated `GET /posts/:id`), and whether it grows from round to round.
 */
export const memoryScenario: BenchScenario = {
  name: 'memory',
  async run(ctx) {
    const opts: LoadFlags = { rounds: 5, seconds: 5, warmup: 0, connections: 50 };
    let only: string[] = ['pglite', 'postgres'];
    const args = ctx.args ?? [];
    for (let i = 0; i < args.length; i++) {
      const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
      const value = () => inline ?? args[++i];
      if (flag === '--stores') only = (value() ?? '').split(',');
      else if (!loadFlag('memory', opts, flag, value)) throw new Error(`bench memory: unknown option ${args[i]}`);
    }
    buildServer();
    const tmp = mkdtempSync(join(os.tmpdir(), 'blog-bench-memory-'));
    const pgBin = findPostgresBin();
    let postgres: LocalPostgres | undefined;
    const stores: Record<string, Record<string, string>> = only.includes('pglite') ? { pglite: { DATA_DIR: join(tmp, 'data') } } : {};
    const results: Record<string, unknown> = {};
    const rows: string[] = [];
    try {
      if (pgBin && only.includes('postgres')) {
        postgres = await startLocalPostgres(pgBin);
        stores.postgres = { DATABASE_URL: postgres.url };
      }
      for (const [store, env] of Object.entries(stores)) {
        const redis = await benchRedis();
        try {
          // Once to create the store (a new PGlite directory, the migrations), then measured on a warm start.
          await (await startApi('node20-dist', `${store}-first`, { REDIS_URL: redis.url, SEED_DEMO: 'true', ...env }, tmp)).server.stop();
          const started = await startApi('node20-dist', store, { REDIS_URL: redis.url, SEED_DEMO: 'true', RATE_LIMIT_MAX: '100000', RATE_LIMIT_WINDOW_SECONDS: '1', ...env }, tmp);
          try {
            const afterStart = rssMb(started.server.pid);
            const { token, path } = await seedProduct(started.server.url);
            await new Promise((r) => setTimeout(r, 2000));
            const idle = rssMb(started.server.pid);
            const perRound: number[] = [];
            const rps: number[] = [];
            const heapPerRound: number[] = [];
            for (let i = 0; i < opts.rounds; i++) {
              const r = await runCannon({ url: `${started.server.url}${path}`, headers: { authorization: `Bearer ${token}` }, connections: opts.connections, pipelining: 1, workers: 0, seconds: opts.seconds, maxRequests: opts.seconds * 200_000 });
              if (r.non2xx + r.errors > 0) throw new Error(`bench memory: ${store} round ${i + 1} had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
              rps.push(r.rps);
              perRound.push(rssMb(started.server.pid));
              heapPerRound.push(await heapUsedMb(started.server.url));
            }
            const trend = rssTrend(perRound);
            results[store] = { afterStartRssMb: afterStart, idleRssMb: idle, rssMbPerRound: perRound, heapUsedMbPerRound: heapPerRound, rpsPerRound: rps, ...trend };
            rows.push(`${store.padEnd(9)} idle ${idle} MB, after each round ${perRound.join(' / ')} MB (slope ${trend.slopeMbPerRound} MB/round: ${trend.flat ? 'flat' : 'GROWING'}), JS heap used ${heapPerRound.join(' / ')} MB, ${rps.join(' / ')} req/s`);
          } finally {
            await started.server.stop();
          }
        } finally {
          await redis.close();
        }
      }
    } finally {
      postgres?.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
    return {
      table: rows.join('\n'),
      results: {
        method: `the compiled API (node dist/server/main.node.js, Node ${process.version}, NODE_ENV=production, request log on), warm start on an existing store; VmRSS from /proc/<pid>/status after start, idle 2 s after seeding one post, and after each of ${opts.rounds} rounds of autocannon (${opts.connections} connections, ${opts.seconds} s) on a cached authenticated GET /posts/:id`,
        machine: { cpus: os.cpus().length, loadAverageAfter: os.loadavg().map((l) => round(l, 2)) },
        ...results,
      },
      ratios: Object.fromEntries(Object.entries(results).map(([k, v]) => [`${k} RSS last round / idle`, round((v as { rssMbPerRound: number[] }).rssMbPerRound.at(-1)! / (v as { idleRssMb: number }).idleRssMb, 2)])),
    };
  },
};

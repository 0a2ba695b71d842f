import { serve as nodeServe } from '@hono/node-server';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp } from '../server/app.ts';
import { systemClock } from '../server/clock.ts';
import { loadConfig } from '../server/config.ts';
import { createDb } from '../server/db/db.ts';
import { migrate } from '../server/db/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { closeRedis, createRedis, createSubscriber } from '../server/redis/client.ts';
import { benchRedis } from './lib/env.ts';
import { round } from './lib/load.ts';
import { rssMb } from './lib/memory.ts';
import type { BenchContext, BenchScenario } from './lib/scenario.ts';
import { analyticsScenario } from './scenarios/analytics.ts';
import { authScenario } from './scenarios/auth.ts';
import { eventsScenario } from './scenarios/events.ts';
import { healthScenario } from './scenarios/health.ts';
import { memoryScenario } from './scenarios/memory.ts';
import { mixedScenario } from './scenarios/mixed.ts';
import { overheadScenario } from './scenarios/overhead.ts';
import { postsScenario } from './scenarios/posts.ts';
import { rateLimitScenario } from './scenarios/ratelimit.ts';
import { startupScenario } from './scenarios/startup.ts';

const scenarios: BenchScenario[] = [healthScenario, authScenario, rateLimitScenario, postsScenario, eventsScenario, analyticsScenario, mixedScenario, overheadScenario, startupScenario, memoryScenario];

async function main() {
  const only = process.argv[2];
  const redis = await benchRedis();
  const ctx: BenchContext = {
    redisUrl: redis.url,
    totalCommands: redis.totalCommands,
    args: process.argv.slice(3),
    settings: {
      requests: Number(process.env.BENCH_REQUESTS ?? 20_000),
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
      maxSeconds: Number(process.env.BENCH_SECONDS ?? 10),
    },
    async buildApp(env = {}, { background = true } = {}) {
      const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', REDIS_URL: redis.url, DATABASE_URL: 'memory://', REDIS_KEY_PREFIX: `bench:${Date.now()}:`, ANALYTICS_VISITOR_SECRET: 'bench-visitor-secret-of-32-characters', METRICS_PUBLIC: 'true', ...env });
      const logger = createLogger(config.LOG_LEVEL);
      const client = createRedis({ url: config.REDIS_URL ?? redis.url, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger });
      await client.connect();
      const db = await createDb({ url: 'memory://' });
      await migrate(db);
      const subscriber = createSubscriber(client, logger);
      const built = createApp({ config, redis: client, subscriber, db, clock: systemClock, logger });
      for (const task of built.startup) await task.run();
      if (background) built.background.forEach((t) => t.start());
      return {
        ...built,
        close: async () => {
          for (const t of built.background) await t.stop();
          await closeRedis(subscriber);
          await closeRedis(client);
          await db.close();
        },
      };
    },
    serve: (fetch) =>
      new Promise((resolve) => {
        const server = nodeServe({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
          resolve({
            url: `http://127.0.0.1:${info.port}`,
            close: () => new Promise<void>((done) => server.close(() => done())),
          }),
        );
      }),
  };
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    settings: ctx.settings,
    scenarios: {},
  };
  try {
    for (const s of scenarios.filter((s) => !only || s.name === only)) {
      process.stdout.write(`bench ${s.name} ... `);
      // This process' resident memory around the scenario: the API's, for the scenarios that run
      // the app in-process (posts, startup and memory report their server processes' own).
      const rssBefore = rssMb(process.pid);
      const out = await s.run(ctx);
      const memory = { benchProcessRssMb: { before: rssBefore, after: rssMb(process.pid) } };
      (report.scenarios as Record<string, unknown>)[s.name] = { ...out, memory };
      const ratios = Object.entries(out.ratios).map(([k, v]) => `${k} = ${round(v)}x`);
      if (out.table) {
        console.log(out.table);
        console.log(ratios.join('\n'));
      } else {
        console.log(ratios.join(', '));
        console.log(JSON.stringify(out.results, null, 2));
      }
      console.log(`bench process resident memory: ${memory.benchProcessRssMb.before} MB before, ${memory.benchProcessRssMb.after} MB after`);
    }
  } finally {
    await redis.close();
  }
  const dir = join(import.meta.dirname ?? 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2) + '\n';
  // 2026-01-31T12-00-00Z-posts.json: the ISO date of the run (colons as dashes), then what ran.
  const dated = `${(report.date as string).replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-${only ?? 'all'}.json`;
  writeFileSync(join(dir, dated), json);
  writeFileSync(join(dir, 'latest.json'), json);
  console.log(`written bench/results/${dated} and bench/results/latest.json`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

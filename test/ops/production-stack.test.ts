import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../server/db/db.ts';
import { freePort, startLocalRedis, type LocalRedis } from '../../server/redis/local-server.ts';
import { composeBytes, interpolate, readCompose } from '../helpers/compose.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { runTutorial } from '../helpers/tutorial.ts';

// docker-compose.yml's stack without Docker: the API as the image runs it (the Dockerfile's CMD on
// the output of `npm run build:server`, with the api service's environment), a redis-server, and
// PostgreSQL (the cluster test/global-setup.ts starts), each a plain process.
const postgresUrl = inject('postgresUrl');
const compose = readCompose();
const api = compose.services.api!;
const secrets = { POSTGRES_PASSWORD: 'stack-password', ANALYTICS_VISITOR_SECRET: 'stack-visitor-secret-of-32-characters', METRICS_TOKEN: 'stack-metrics-token' };

/** The Dockerfile's CMD, e.g. ["node", "dist/server/main.node.js"]. */
function dockerCmd(): string[] {
  const runtime = readFileSync('Dockerfile', 'utf8').split(/^FROM .* AS runtime$/m)[1] ?? '';
  return JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]') as string[];
}

/** VmRSS of a process, in bytes. */
const rss = (pid: number) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

describe.skipIf(!postgresUrl)('the production stack as processes: compiled API + redis-server + PostgreSQL', () => {
  let outDir = '';
  let redisDir = '';
  let redis: LocalRedis | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    // The build stage's `npm run build:server`, into a directory of its own under the checkout
    // (so that the compiled modules find node_modules as in the image).
    outDir = mkdtempSync(join('test-results', 'dist-'));
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.server.json', '--outDir', outDir], { stdio: 'pipe' });
    execFileSync(process.execPath, ['scripts/copy-server-assets.mjs', outDir], { stdio: 'pipe' });

    redisDir = mkdtempSync(join(tmpdir(), 'blog-stack-redis-'));
    const maxMemory = /--maxmemory (\S+)/.exec(compose.services.redis!.command ?? '')?.[1];
    redis = await startLocalRedis({ dir: redisDir, port: await freePort(), appendOnly: true, maxMemory });

    // The postgres service's database and user, in the local cluster.
    const url = new URL(interpolate(api.environment!.DATABASE_URL!, secrets));
    const admin = await createDb({ url: postgresUrl! });
    await admin.query(`drop database if exists ${url.pathname.slice(1)}`);
    await admin.exec(`do $$ begin create role ${url.username} login; exception when duplicate_object then null; end $$`);
    await admin.query(`create database ${url.pathname.slice(1)} owner ${url.username}`);
    await admin.close();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    rmSync(redisDir, { recursive: true, force: true });
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("starts, logs its start-up phases once, serves the tutorial's walk-through within its memory limit, and stops cleanly", async () => {
    const local = new URL(postgresUrl!);
    const env = Object.fromEntries(
      Object.entries(api.environment!).map(([k, v]) => [
        k,
        interpolate(v, secrets)
          .replace('redis://redis:6379', redis!.url)
          .replace('@postgres:5432/', `@${local.host}/`),
      ]),
    );
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/blog:stack-password@127\.0\.0\.1:\d+\/blog$/);
    const port = await freePort();
    const [bin, ...args] = dockerCmd().map((a) => a.replace(/^dist\//, `${relative('.', outDir)}/`));
    expect(bin).toBe('node');
    server = await startServerProcess([process.execPath, ...args], { ...env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: redisDir }, port, 120_000);

    await runTutorial(port);

    const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const listening = lines.filter((l) => l.msg === 'listening');
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ level: 'info', phasesMs: expect.objectContaining({ imports: expect.any(Number), redis: expect.any(Number), migrations: expect.any(Number), startupTasks: expect.any(Number) }) });
    // No TypeScript at run time: the process runs the compiled files only.
    expect(readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8')).not.toMatch(/tsx|\.ts\b/);
    expect(rss(server.child.pid!)).toBeLessThan(composeBytes(api.deploy!.resources!.limits!.memory!));

    expect(await server.stop()).toBe(0);
    server = undefined;
  }, 180_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVICTION_POLICY_ARGS, startLocalRedis } from '../../server/redis/local-server.ts';

export interface TestRedis {
  url: string;
  /** `container` when testcontainers found a Docker engine, else `process`. */
  via: 'container' | 'process';
  stop(): Promise<void>;
}

/**
 * A real Redis for the suite: a testcontainers Redis 7 when a Docker engine answers, else a
 * `redis-server` child process on a free port with its own temp dir (what CI uses here).
 */
export async function startTestRedis(): Promise<TestRedis> {
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    // The app's eviction policy, as everywhere else (server/redis/local-server.ts).
    const container = await new RedisContainer('redis:7-alpine').withCommand(['redis-server', ...EVICTION_POLICY_ARGS]).start();
    return { url: container.getConnectionUrl(), via: 'container', stop: async () => void (await container.stop()) };
  } catch (err) {
    // No Docker engine: testcontainers throws this, and we fall back. Anything else is a real failure.
    if (!/container runtime strategy/i.test(String((err as Error)?.message))) throw err;
  }
  return startProcessRedis();
}

/** A `redis-server` child on a free port; tests that stop and restart Redis use their own. */
export async function startProcessRedis(opts: { appendOnly?: boolean; maxMemory?: string; extraArgs?: string[]; port?: number; dir?: string } = {}): Promise<TestRedis & { port: number; pid: number; dir: string }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'blog-redis-'));
  const local = await startLocalRedis({ dir, appendOnly: opts.appendOnly ?? false, maxMemory: opts.maxMemory, extraArgs: opts.extraArgs, port: opts.port });
  return {
    url: local.url,
    via: 'process',
    port: local.port,
    pid: local.pid,
    dir,
    stop: async () => {
      await local.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

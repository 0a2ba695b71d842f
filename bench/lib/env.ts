import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../server/redis/local-server.ts';

/** A private redis-server for one benchmark run, with a command counter. */
export async function benchRedis(): Promise<LocalRedis & { totalCommands(): Promise<number>; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'blog-bench-'));
  const local = await startLocalRedis({ dir, appendOnly: false });
  const probe = new Redis(local.url, { lazyConnect: false });
  return {
    ...local,
    // Every command the server executed, from INFO stats; the probe's own INFO adds one each call.
    totalCommands: async () => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1] ?? 0),
    close: async () => {
      probe.disconnect();
      await local.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

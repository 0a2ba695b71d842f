import type { Health } from '../../../shared/health.ts';
import type { ServiceDeps } from '../../deps.ts';
import { eachMaster } from '../../redis/client.ts';
import { version } from '../../version.ts';

export interface HealthService {
  check(): Promise<Health>;
}

const PROBE_TIMEOUT_MS = 1000;

export function createHealthService({ redis, db, clock, startedAt }: ServiceDeps): HealthService {
  async function redisStatus(): Promise<Health['redis']> {
    // A disconnected client refuses commands at once (no offline queue), so this never waits
    // longer than the probe timeout, even on a dead Redis. On a Redis Cluster every master is
    // pinged (in parallel): up means each slot's node answers.
    if (redis.status !== 'ready') return { status: 'down', latencyMs: null };
    const t0 = performance.now();
    try {
      await Promise.race([
        eachMaster(redis, (node) => node.ping()).then((replies) => {
          if (replies.length === 0) throw new Error('no Redis node connected');
        }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS).unref()),
      ]);
      return { status: 'up', latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
    } catch {
      return { status: 'down', latencyMs: null };
    }
  }

  async function dbStatus(): Promise<Health['db']> {
    try {
      await db.ping(PROBE_TIMEOUT_MS);
      return { status: 'up' };
    } catch {
      return { status: 'down' };
    }
  }

  return {
    async check() {
      const [r, d] = await Promise.all([redisStatus(), dbStatus()]);
      // Without Redis, reads are still served from SQL: degraded. Without SQL nothing works: down.
      const status = d.status === 'down' ? 'down' : r.status === 'down' ? 'degraded' : 'ok';
      return {
        status,
        redis: r,
        db: d,
        uptimeSeconds: Math.floor((clock.now() - startedAt) / 1000),
        version,
      };
    },
  };
}

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type Cluster } from 'ioredis';
import { freePort, startLocalRedis, type LocalRedis } from '../../server/redis/local-server.ts';
import { scanKeys } from '../auth/helpers.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export interface TestCluster {
  /** `127.0.0.1:<port>` of each master, the value of REDIS_CLUSTER_NODES. */
  nodes: string[];
  /** Stops every redis-server and removes their directories; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A local Redis Cluster of `masters` masters and no replicas: redis-server children on free ports
 * (and free cluster-bus ports, `cluster-port`, Redis 7.0+), each with its own temp dir, no AOF, no
 * RDB, joined by `redis-cli --cluster create`. Resolves once every node reports cluster_state:ok
 * and knows every node. Whatever was started is stopped again if a step fails.
 */
export async function startTestCluster(masters = 3): Promise<TestCluster> {
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error(`${binary} not found: the Redis Cluster tests start a cluster from the Redis 7 binaries (npm run setup:redis)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'blog-cluster-'));
  const servers: LocalRedis[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort();
      servers.push(
        await startLocalRedis({
          dir: join(dir, `node-${i}`),
          appendOnly: false,
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort), '--cluster-node-timeout', '5000'],
        }),
      );
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitUntilFormed(servers.map((s) => s.port), masters);
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls CLUSTER INFO on every node until each sees the whole cluster healthy (at most 20 s). */
async function waitUntilFormed(ports: number[], masters: number): Promise<void> {
  const clients = ports.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 }));
  let infos: string[] = [];
  const formed = async () => {
    infos = await Promise.all(clients.map((c) => c.cluster('INFO') as Promise<string>));
    return infos.every(
      (info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes(`cluster_known_nodes:${masters}`),
    );
  };
  try {
    await waitFor(formed, { timeoutMs: 20_000, intervalMs: 100, what: `every node sees ${masters} masters and all slots ok` }).catch((err: Error) => {
      throw new Error(`${err.message}:\n${infos.join('\n')}`);
    });
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

/** The keys under `prefix` on each master (SCAN covers one node, so every master is scanned). */
export function clusterKeys(cluster: Cluster, prefix: string): Promise<string[][]> {
  return Promise.all(cluster.nodes('master').map((node) => scanKeys(node, prefix)));
}

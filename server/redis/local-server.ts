import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

export interface LocalRedis {
  url: string;
  port: number;
  pid: number;
  /** SHUTDOWN NOSAVE via SIGTERM; SIGKILL if it has not exited after 5 s. */
  stop(): Promise<void>;
}

/**
 * How a Redis for this app evicts under `maxmemory` (README, "Reliability: memory pressure"; the
 * same in docker-compose.yml, checked by scripts/setup-redis.sh).
 *
 * `volatile-ttl`: only keys with a TTL are candidates, nearest expiry first. Everything that must
 * not vanish has no TTL (streams, view counters, indexes, counters that must never go back) and is
 * never evicted; cache entries and derived keys expire within about an hour (POST_CACHE_TTL_SECONDS
 * +10%, fences at twice that), far sooner than a session in use (SESSION_TTL_SECONDS, a day, slid
 * forward by use), so they go first. `volatile-lru` would not do: a session idle for a few minutes
 * is "older" than a cache entry read a second ago. Redis samples candidates rather than sorting
 * every key; 10 samples (default 5) make picking a session while cache entries remain very unlikely.
 */
export const EVICTION_POLICY = 'volatile-ttl';
export const EVICTION_POLICY_ARGS = ['--maxmemory-policy', EVICTION_POLICY, '--maxmemory-samples', '10'] as const;

export interface LocalRedisOptions {
  /** Working directory for the AOF and RDB files. */
  dir: string;
  port?: number;
  /** Append-only file on (durable sessions across restarts) or off (throwaway test servers). */
  appendOnly?: boolean;
  /** `maxmemory`, e.g. `4mb`; unset: no limit (evicts nothing). */
  maxMemory?: string;
  extraArgs?: string[];
  binary?: string;
}

export function findRedisServer(): string | null {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return found.error || found.status !== 0 ? null : 'redis-server';
}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends PING and waits for +PONG: true when a Redis answers on host:port within `timeoutMs`. */
export function redisAnswers(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => socket.write('PING\r\n'));
    socket.once('data', (buf) => done(buf.toString().startsWith('+PONG') || buf.toString().startsWith('-NOAUTH')));
  });
}

/**
 * Starts `redis-server` as a child process on 127.0.0.1 and waits until it answers PING.
 * The child dies with us: it is stopped by `stop()`, and it runs in our process group.
 */
export async function startLocalRedis(opts: LocalRedisOptions): Promise<LocalRedis> {
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', opts.dir,
    '--appendonly', opts.appendOnly ? 'yes' : 'no',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    ...EVICTION_POLICY_ARGS,
    ...(opts.maxMemory ? ['--maxmemory', opts.maxMemory] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(opts.binary ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers('127.0.0.1', port, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || 'no answer to PING'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

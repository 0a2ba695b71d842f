import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kinds of request the load mixes. */
export const loadKinds = ['read', 'list', 'write', 'login', 'me'] as const;
export type LoadKind = (typeof loadKinds)[number];

export interface LoadConfig {
  /** Base URLs of the instances; each request goes to one of them in turn. */
  targets: string[];
  /** Bearer token for writes and `me` (created before the load starts). */
  token: string;
  /** Credentials for `login` (each successful login creates a session). */
  login: { email: string; password: string };
  /** Post ids each target reads with GET /posts/:id (each 200 counts one view), by target URL. */
  readPostIds: Record<string, number[]>;
  /** Relative weights of the request kinds. */
  mix: Partial<Record<LoadKind, number>>;
  concurrency: number;
  /** Bounds: the load stops at whichever comes first (or at SIGTERM). */
  maxOps: number;
  maxSeconds: number;
  /** A request not answered within this is recorded as `timeout` (a hang). */
  requestTimeoutMs: number;
}

/** Per kind, per target URL, per status (`200`, `503`, ... or `timeout` / `network`): how many. */
export type StatusCounts = Record<string, Record<string, Record<string, number>>>;

export interface LoadResult {
  ops: number;
  seconds: number;
  counts: StatusCounts;
  /** Ids of the posts whose POST /posts answered 201. */
  createdPostIds: number[];
  /** GET /posts/:id answered 200, per post id: the views made. */
  viewsMade: Record<string, number>;
  /** Answers >= 400 whose body is not the error shape `{ error: { code, message, requestId } }`. */
  badErrorShape: number;
  /** The first few unexpected things (network errors, bad shapes), for the failure message. */
  errors: string[];
}

/** Sums `counts` over targets (or for one target) for a kind, by status. */
export function statuses(result: LoadResult, kind: LoadKind, target?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [url, byStatus] of Object.entries(result.counts[kind] ?? {})) {
    if (target !== undefined && url !== target) continue;
    for (const [status, n] of Object.entries(byStatus)) out[status] = (out[status] ?? 0) + n;
  }
  return out;
}

/** How many answers matched `pick` (e.g. 5xx) over every kind and target, or for one kind/target. */
export function countWhere(result: LoadResult, pick: (status: string) => boolean, kind?: LoadKind, target?: string): number {
  let n = 0;
  for (const k of kind ? [kind] : loadKinds) {
    for (const [status, count] of Object.entries(statuses(result, k, target))) if (pick(status)) n += count;
  }
  return n;
}

export const is5xx = (status: string) => status.startsWith('5');
export const isFailure = (status: string) => !/^[23]/.test(status);

export interface RunningLoad {
  /** Resolves with the worker's result once it has stopped (by its bounds or by `stop()`). */
  result: Promise<LoadResult>;
  /** Asks the worker to stop (SIGTERM): it finishes the requests in flight and writes its result. */
  stop(): Promise<LoadResult>;
  /** SIGKILL, for cleanup after a failure. */
  kill(): void;
}

/**
 * Runs `load-worker.ts` as a separate process (`node --import tsx`), so the load does not share
 * an event loop with the test or with the servers. Resolves once the worker says it is sending
 * (its SIGTERM handler is in place by then); it writes its result as JSON to a temp file.
 */
export async function startLoad(config: LoadConfig): Promise<RunningLoad> {
  const dir = mkdtempSync(join(tmpdir(), 'blog-load-'));
  const configPath = join(dir, 'config.json');
  const resultPath = join(dir, 'result.json');
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/load-worker.ts', configPath, resultPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const ready = new Promise<void>((resolve) => {
    let stdout = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes('load: sending\n')) resolve();
    });
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      try {
        if (code !== 0) throw new Error(`load worker exited with ${code ?? signal}: ${stderr.trim()}`);
        resolve(JSON.parse(readFileSync(resultPath, 'utf8')) as LoadResult);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  // A caller that only kills it must not see an unhandled rejection.
  result.catch(() => {});
  // A worker that dies while starting rejects `result`, which ends the wait too.
  await Promise.race([ready, result]);
  return {
    result,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return result;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

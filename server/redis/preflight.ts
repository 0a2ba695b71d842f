import { Cluster, type ClientContext, type Result } from 'ioredis';
import { TimeoutError } from '../timeout.ts';
import type { RedisClient } from './client.ts';

/** A session to resolve, and touch when its interval has passed (0: always). */
export interface SessionPart {
  /** The record, the user's session index, the user's roles: one hash tag. */
  keys: readonly [record: string, index: string, roles: string];
  tokenHash: string;
  idleMs: number;
  touchIntervalMs: number;
}

/** A rate-limit decision for whoever the session part finds: its keys when found, else `otherKeys`. */
export interface LimitPart {
  cost: number;
  windows: readonly { limit: number; windowMs: number }[];
  /** One key per window, for the session's user; omitted when there is no session part. */
  sessionKeys?: readonly string[];
  otherKeys: readonly string[];
}

/** What one request (or one caller) asks of Redis before it is served. */
export interface PreflightEntry {
  session?: SessionPart;
  limit?: LimitPart;
  /** Keys to GET, e.g. a cache entry the route registered; they share a hash tag. */
  reads?: readonly string[];
}

export type SessionRow = [userId: string, email: string, publicId: string, createdAt: string, lastSeenAt: number, idleExpiresAt: number, absoluteExpiresAt: number, roles: string[]];
export type Decision = [allowed: 0 | 1, remaining: number, waitMs: number, window: number, charged: 0 | 1];

export interface PreflightReply {
  session: SessionRow | null;
  decision: Decision | null;
  reads: (string | null)[];
}

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** server/redis/scripts/preflight.lua: numkeys, keys, then the entries (see its header). */
    preflight(numKeys: number, ...keysAndArgs: (string | number)[]): Result<[SessionRow | null, Decision | null, (string | null)[]][], Context>;
  }
}

export interface PreflightOptions {
  redis: RedisClient;
  /** A call without an answer by then fails every entry in it. */
  timeoutMs: number;
  /**
   * Most entries in one call.
   * @default 64
   */
  maxBatch?: number;
}

/** A rate-limit decision alone (createLimiter's `limit` and `peek`): one identity's window keys. */
export interface LimitOnly {
  /** One key per window of `windows`. */
  keys: readonly string[];
  cost: number;
  /** Decide without recording or writing anything. */
  peek?: boolean;
  /** The policy's windows: decisions with the same array share a call. */
  windows: readonly { limit: number; windowMs: number }[];
}

export interface Preflight {
  /** Runs the entry with the others issued in this turn of the event loop; rejects when Redis fails or is slow. */
  run(entry: PreflightEntry): Promise<PreflightReply>;
  /**
   * A decision alone, with the others issued in this turn of the event loop for the same windows,
   * in the script's compact layout (no session, no reads); its `charged` is 0. Rejects like `run`.
   */
  limit(decision: LimitOnly): Promise<Decision>;
}

interface QueuedLimit {
  decision: LimitOnly;
  resolve(decision: Decision): void;
  reject(err: unknown): void;
}

interface Queued {
  entry: PreflightEntry;
  resolve(reply: PreflightReply): void;
  reject(err: unknown): void;
}

/**
 * The request path's Redis calls: every entry issued in one turn of the event loop leaves as one
 * `preflight.lua` call (dataloader-style, flushed by setImmediate), answered per entry. Redis runs
 * the call atomically, so entries decided together stay exact; one caller's entries in a call
 * share one session read and one read and write of each rate-limit log.
 *
 * On a Redis Cluster one call may touch one slot only: each entry runs alone, in up to two steps
 * (the session, then the limit for whoever it found beside the reads).
 */
export function createPreflight({ redis, timeoutMs, maxBatch = 64 }: PreflightOptions): Preflight {
  const cluster = redis instanceof Cluster;
  const perCall = cluster ? 1 : maxBatch;
  let queue: Queued[] = [];

  function flush(): void {
    const batch = queue;
    queue = [];
    for (let i = 0; i < batch.length; i += perCall) send(batch.slice(i, i + perCall));
  }

  /**
   * One script call for `batch`; `answer` hands each waiter its part of the reply. A call without
   * an answer by `timeoutMs` fails them all; its timer's failure waits one more turn of the event
   * loop (setImmediate), so an answer that already arrived while the process was busy wins.
   */
  function call<R, W extends { reject(err: unknown): void }>(batch: W[], keys: string[], args: (string | number)[], answer: (reply: R) => void): void {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      for (const waiter of batch) waiter.reject(err);
    };
    const timer = setTimeout(() => setImmediate(() => fail(new TimeoutError(`redis preflight: no answer within ${timeoutMs} ms`))), timeoutMs);
    (redis.preflight(keys.length, ...keys, ...args) as unknown as Promise<R>).then(
      (reply) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        answer(reply);
      },
      (err: unknown) => {
        clearTimeout(timer);
        fail(err);
      },
    );
  }

  function send(batch: Queued[]): void {
    const keys: string[] = [];
    const args: (string | number)[] = [batch.length];
    for (const { entry } of batch) encode(entry, keys, args);
    call(batch, keys, args, (replies: [SessionRow | null, Decision | null, (string | null)[]][]) => {
      for (let i = 0; i < batch.length; i++) {
        const [session, decision, reads] = replies[i]!;
        batch[i]!.resolve({ session, decision, reads });
      }
    });
  }

  let limits: QueuedLimit[] = [];

  function flushLimits(): void {
    const all = limits;
    limits = [];
    // Decisions of one policy (the same windows) share a call; a limiter has one policy.
    let start = 0;
    for (let i = 1; i <= all.length; i++) {
      if (i === all.length || all[i]!.decision.windows !== all[start]!.decision.windows || i - start === perCall) {
        sendLimits(all.slice(start, i));
        start = i;
      }
    }
  }

  /** Decisions alone, in the script's compact layout: the windows once, then keys and a cost each; 4 integers back each. */
  function sendLimits(batch: QueuedLimit[]): void {
    const windows = batch[0]!.decision.windows;
    const keys: string[] = [];
    const args: (string | number)[] = [-batch.length, windows.length];
    for (const w of windows) args.push(w.limit, w.windowMs);
    for (const { decision } of batch) {
      keys.push(...decision.keys);
      args.push(decision.peek ? 0 : decision.cost);
    }
    call(batch, keys, args, (flat: number[]) => {
      for (let i = 0, o = 0; i < batch.length; i++, o += 4) {
        batch[i]!.resolve([flat[o] as 0 | 1, flat[o + 1]!, flat[o + 2]!, flat[o + 3]!, 0]);
      }
    });
  }

  function enqueueLimit(decision: LimitOnly): Promise<Decision> {
    return new Promise((resolve, reject) => {
      if (limits.length === 0) setImmediate(flushLimits);
      limits.push({ decision, resolve, reject });
    });
  }

  function enqueue(entry: PreflightEntry): Promise<PreflightReply> {
    return new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ entry, resolve, reject });
    });
  }

  /** Cluster: the session's slot first, then the limit's and the reads' slots side by side. */
  async function runSplit({ session, limit, reads }: PreflightEntry): Promise<PreflightReply> {
    const found = session ? (await enqueue({ session })).session : null;
    const chosen = limit && { cost: limit.cost, windows: limit.windows, otherKeys: found && limit.sessionKeys ? limit.sessionKeys : limit.otherKeys };
    const [decided, read] = await Promise.all([
      chosen ? enqueue({ limit: chosen }) : undefined,
      reads?.length ? enqueue({ reads }) : undefined,
    ]);
    const decision = decided?.decision ?? null;
    if (decision) decision[4] = found && limit?.sessionKeys ? 1 : 0;
    return { session: found, decision, reads: read?.reads ?? [] };
  }

  return {
    run: cluster ? runSplit : enqueue,
    limit: enqueueLimit,
  };
}

/** Appends an entry's keys and arguments in the layout preflight.lua reads. */
function encode({ session, limit, reads }: PreflightEntry, keys: string[], args: (string | number)[]): void {
  if (session) {
    args.push(keys.length + 1, session.tokenHash, session.idleMs, session.touchIntervalMs);
    keys.push(...session.keys);
  } else {
    args.push(0);
  }
  if (limit) {
    let sessionAt = 0;
    if (session && limit.sessionKeys) {
      sessionAt = keys.length + 1;
      keys.push(...limit.sessionKeys);
    }
    const otherAt = keys.length + 1;
    keys.push(...limit.otherKeys);
    args.push(limit.windows.length, limit.cost, sessionAt, otherAt);
    for (const w of limit.windows) args.push(w.limit, w.windowMs);
  } else {
    args.push(0);
  }
  args.push(reads?.length ?? 0);
  for (const key of reads ?? []) {
    keys.push(key);
    args.push(keys.length);
  }
}

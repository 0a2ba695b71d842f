import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../../redis/client.ts';
import type { BackgroundTask } from '../../lifecycle.ts';
import type { Logger } from '../../logger.ts';

/** One stream entry: its id (`<ms>-<seq>`) and its fields. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

export interface StreamConsumerOptions {
  /** The task's name, in logs and in the entry's list of background work. */
  name: string;
  /** The command connection: XGROUP, XAUTOCLAIM, XINFO, and whatever `handle` sends. */
  redis: RedisClient;
  /**
   * Opens the dedicated connection for the blocking XREADGROUP (a blocked connection can do
   * nothing else), at start(); stop() disconnects it, which ends a read in progress at once.
   */
  openBlockingConnection(): RedisClient;
  stream: string;
  group: string;
  /** This instance's name in the group; see `consumerName()`. */
  consumer: string;
  /** Entries per XREADGROUP or XAUTOCLAIM. */
  batchSize: number;
  /** An entry pending (delivered, not acknowledged) this long belongs to a consumer presumed dead: XAUTOCLAIM takes it. */
  claimMinIdleMs: number;
  logger: Logger;
  /**
   * Processes a batch and acknowledges (XACK) each entry it finished. An entry it leaves
   * unacknowledged stays pending and is claimed again after `claimMinIdleMs`; throwing makes the
   * consumer back off before reading more.
   */
  handle(entries: StreamEntry[]): Promise<void>;
}

export interface StreamConsumer extends BackgroundTask {
  readonly consumer: string;
  /** Entries found pending whose stream entry was already trimmed away (MAXLEN): never processed. */
  stats(): { lost: number };
}

/** How long a blocking read waits for new entries before the loop looks at pending entries again. */
const MAX_BLOCK_MS = 2000;
/** A consumer with nothing pending that has not read for this long is gone: it is removed from the group. */
const GONE_AFTER_MS = 3_600_000;

/** One name per process: `<hostname>-<pid>-<random>`, so two instances, or two runs, never share one. */
export function consumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

type RawEntry = [id: string, fields: string[] | null];

function toEntries(raw: RawEntry[]): StreamEntry[] {
  return raw.flatMap(([id, flat]) => {
    // An entry trimmed away while pending comes back without fields (Redis 6.2); 7.0 reports it apart.
    if (!flat) return [];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return [{ id, fields }];
  });
}

/** XINFO replies are flat `[name, value, name, value, ...]` lists. */
function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** One group's entry of XINFO GROUPS, or undefined when the stream has no such group. */
async function groupEntry(redis: RedisClient, stream: string, group: string): Promise<Record<string, unknown> | undefined> {
  return ((await redis.xinfo('GROUPS', stream)) as unknown[][]).map(pairs).find((g) => g.name === group);
}

/** A consumer group as XINFO GROUPS reports it, with the stream's length (XLEN). */
export interface GroupInfo {
  /** Entries the stream holds. */
  length: number;
  /** Entries delivered to a consumer and not yet acknowledged. */
  pending: number;
  /** Entries not yet delivered to the group; null when Redis cannot tell (after a trim or XDEL). */
  lag: number | null;
  consumers: number;
}

/**
 * One group's figures, from XINFO GROUPS and XLEN (one round trip with auto-pipelining); null
 * when the group does not exist. Rejects when the stream does not exist yet.
 */
export async function groupInfo(redis: RedisClient, stream: string, group: string): Promise<GroupInfo | null> {
  const [info, length] = await Promise.all([groupEntry(redis, stream, group), redis.xlen(stream)]);
  if (!info) return null;
  return {
    length,
    pending: Number(info.pending ?? 0),
    lag: info.lag == null ? null : Number(info.lag),
    consumers: Number(info.consumers ?? 0),
  };
}

/**
 * A consumer group's backlog, for the `blog_api_worker_backlog_items` gauge: entries delivered and not yet
 * acknowledged (pending) plus entries not delivered yet (`lag`, when Redis knows it), from one
 * XINFO GROUPS. Rejects when the stream does not exist yet.
 */
export async function groupBacklog(redis: RedisClient, stream: string, group: string): Promise<number> {
  const info = await groupEntry(redis, stream, group);
  return info ? Number(info.pending ?? 0) + Number(info.lag ?? 0) : 0;
}

/**
 * A consumer-group worker as a BackgroundTask. Its loop:
 * 1. at start: XGROUP CREATE ... 0 MKSTREAM (BUSYGROUP, "it exists", is fine: every instance
 *    does this), and removal of consumers that are gone (nothing pending, idle for an hour);
 * 2. every `claimMinIdleMs / 2`: a pass of XAUTOCLAIM over the group's pending entries, taking
 *    those idle for `claimMinIdleMs` (their consumer died or hangs) and handling them;
 * 3. otherwise XREADGROUP ... BLOCK on its own connection for new entries (`>`), and handle them.
 * Failures (Redis down, a script error) are logged once per streak and retried with a backoff
 * up to 5 s; entries not acknowledged stay pending for step 2, so nothing is skipped.
 *
 * stop() disconnects the blocking connection, which ends a read in progress at once, lets a
 * batch being handled finish, then removes this consumer from the group if nothing is pending for
 * it. An entry the server delivered as the connection closed stays pending and is claimed by
 * step 2 of another instance (or of the next run).
 */
export function createStreamConsumer(opts: StreamConsumerOptions): StreamConsumer {
  const { redis, stream, group, consumer, batchSize, claimMinIdleMs, logger } = opts;
  const claimEveryMs = Math.max(10, Math.floor(claimMinIdleMs / 2));
  const blockMs = Math.min(MAX_BLOCK_MS, claimEveryMs);
  let lost = 0;
  let stopping = false;
  let loop: Promise<void> | null = null;
  let blocking: RedisClient | null = null;
  let wakeUp: (() => void) | null = null;

  /** Waits `ms`, or less when stop() is called. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function setUp(): Promise<void> {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.startsWith('BUSYGROUP')) throw err;
    });
    const consumers = ((await redis.xinfo('CONSUMERS', stream, group)) as unknown[][]).map(pairs);
    for (const c of consumers) {
      if (c.name !== consumer && Number(c.pending) === 0 && Number(c.idle) > GONE_AFTER_MS) {
        await redis.consumerForget(stream, group, String(c.name));
      }
    }
  }

  /** One pass over the whole pending list, a page at a time. */
  async function claimPass(): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, raw, trimmed] = (await redis.xautoclaim(stream, group, consumer, claimMinIdleMs, cursor, 'COUNT', batchSize)) as [
        string,
        RawEntry[],
        string[] | undefined,
      ];
      if (trimmed && trimmed.length > 0) {
        // XAUTOCLAIM (7.0) drops these from the pending list itself: they were trimmed (MAXLEN) before anyone processed them.
        lost += trimmed.length;
        logger.warn('pending stream entries were trimmed before being processed', { task: opts.name, count: trimmed.length });
      }
      const entries = toEntries(raw);
      if (entries.length > 0) await opts.handle(entries);
      cursor = next;
    } while (cursor !== '0-0' && !stopping);
  }

  async function readNew(connection: RedisClient): Promise<void> {
    const reply = (await connection.xreadgroup(
      'GROUP', group, consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', stream, '>',
    )) as [stream: string, entries: RawEntry[]][] | null;
    const entries = toEntries(reply?.[0]?.[1] ?? []);
    if (entries.length > 0) await opts.handle(entries);
  }

  async function run(connection: RedisClient): Promise<void> {
    let ready = false;
    let nextClaimAt = 0;
    let failures = 0;
    while (!stopping) {
      try {
        if (!ready) {
          await setUp();
          ready = true;
        }
        if (Date.now() >= nextClaimAt) {
          await claimPass();
          nextClaimAt = Date.now() + claimEveryMs;
        }
        await readNew(connection);
        if (failures > 0) logger.info('stream consumer recovered', { task: opts.name, failures });
        failures = 0;
      } catch (err) {
        if (stopping) break;
        // The stream or the group was deleted (a flush, a restore): create them again.
        if (err instanceof Error && err.message.includes('NOGROUP')) ready = false;
        if (failures === 0) logger.warn('stream consumer failed; retrying', { task: opts.name, err });
        failures++;
        await pause(Math.min(5000, 50 * 2 ** Math.min(failures, 7)));
      }
    }
  }

  return {
    name: opts.name,
    consumer,
    start() {
      if (loop) return;
      stopping = false;
      const connection = opts.openBlockingConnection();
      blocking = connection;
      loop = run(connection);
    },
    async stop() {
      if (!loop) return;
      stopping = true;
      wakeUp?.();
      blocking?.disconnect();
      await loop;
      loop = null;
      blocking = null;
      await redis.consumerForget(stream, group, consumer).catch(() => {
        // Redis is down: the next instance to start removes this consumer once it is idle.
      });
    },
    stats: () => ({ lost }),
  };
}

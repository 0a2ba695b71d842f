import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientContext, Redis, Result } from 'ioredis';

export interface LuaScript {
  /** camelCase of the file name without the key count: `release-lock-1.lua` -> `releaseLock`. */
  name: string;
  file: string;
  source: string;
  sha1: string;
  /** From the `-N` suffix; undefined means the caller passes the key count first. */
  numberOfKeys: number | undefined;
}

const scriptsDir = join(dirname(fileURLToPath(import.meta.url)), 'scripts');

function camelCase(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}

/** Reads every `.lua` file in server/redis/scripts once. */
export function loadScripts(dir = scriptsDir): LuaScript[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .sort()
    .map((file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      const match = /^(.*?)(?:-(\d+))?\.lua$/.exec(file);
      const base = match?.[1] ?? file;
      return {
        name: camelCase(base),
        file,
        source,
        sha1: createHash('sha1').update(source).digest('hex'),
        numberOfKeys: match?.[2] === undefined ? undefined : Number(match[2]),
      };
    });
}

/**
 * Registers every script as a custom command. ioredis sends EVALSHA and falls back to
 * EVAL on NOSCRIPT (after a restart or a failover), so the source travels at most once per server.
 */
export function defineScripts(redis: Pick<Redis, 'defineCommand'>, scripts: LuaScript[]): void {
  for (const s of scripts) {
    redis.defineCommand(s.name, { lua: s.source, ...(s.numberOfKeys !== undefined && { numberOfKeys: s.numberOfKeys }) });
  }
}

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** server/redis/scripts/activity-push-2.lua: 1 added, 0 already in the list or the user is gone */
    activityPush(list: string, gone: string, entry: string, keep: number, ttlMs: number): Result<0 | 1, Context>;

    /** server/redis/scripts/consumer-forget-1.lua: 1 removed, 0 kept (it has pending entries) */
    consumerForget(stream: string, group: string, consumer: string): Result<0 | 1, Context>;

    /**
     * server/redis/scripts/event-count.lua: `numKeys` keys (the stream, then the hours' count
     * hashes), the group, the TTL, then (id, field, amount, key index) per entry. Per entry: 1 acknowledged
     * and counted now, 0 acknowledged before.
     */
    eventCount(numKeys: number, ...keysAndArgs: (string | number)[]): Result<(0 | 1)[], Context>;

    /** server/redis/scripts/release-lock-1.lua */
    releaseLock(key: string, token: string): Result<0 | 1, Context>;

    /** server/redis/scripts/session-create-3.lua: {createdAt, idleExpiresAt, absoluteExpiresAt, evicted}; null: the user is gone */
    sessionCreate(
      record: string,
      index: string,
      gone: string,
      tokenHash: string,
      userId: number,
      email: string,
      publicId: string,
      ip: string,
      userAgent: string,
      idleMs: number,
      maxAgeMs: number,
      maxPerUser: number,
      recordPrefix: string,
    ): Result<[number, number, number, number] | null, Context>;

    /**
     * server/redis/scripts/user-forget.lua: `numKeys` keys (the session index, roles, their
     * version, the gone marker, then other keys of the user to delete), the record prefix and the
     * gone marker's TTL (0: none). The sessions revoked.
     */
    userForget(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;

    /** server/redis/scripts/session-list-1.lua: [publicId, createdAt, lastSeenAt, idleExpiresAt, ip, userAgent][] */
    sessionList(index: string, recordPrefix: string): Result<[string, string, string, string, string, string][], Context>;

    /** server/redis/scripts/session-revoke-1.lua: how many sessions were revoked */
    sessionRevoke(index: string, recordPrefix: string, publicId: string, mode: 'one' | 'others'): Result<number, Context>;

    /** server/redis/scripts/login-attempt-1.lua: [allowed 1|0, attempts, ms until the window ends] */
    loginAttempt(counter: string, windowMs: number, limit: number): Result<[0 | 1, number, number], Context>;

    /**
     * server/redis/scripts/login-account-attempt-3.lua: [allowed 1|0, attempts from this address,
     * from all addresses, known address 1|0, ms until the refusing window ends]
     */
    loginAccountAttempt(
      all: string,
      fromAddress: string,
      knownAddress: string,
      windowMs: number,
      perAddress: number,
      perAccount: number,
    ): Result<[0 | 1, number, number, 0 | 1, number], Context>;

    /** server/redis/scripts/login-account-release-3.lua: gives the attempt back; marks the address known when knownTtlMs > 0 */
    loginAccountRelease(all: string, fromAddress: string, knownAddress: string, knownTtlMs: number): Result<1, Context>;

    /** server/redis/scripts/login-attempt-release-1.lua: the attempts still counted */
    loginAttemptRelease(counter: string): Result<number, Context>;

    /** server/redis/scripts/roles-write-2.lua: 1 written, 0 refused (a newer version is stored) */
    rolesWrite(roles: string, version: string, rolesVersion: number, ttlMs: number, ...names: string[]): Result<0 | 1, Context>;

    /** server/redis/scripts/cache-fill-2.lua: 1 written, 0 refused (an invalidation recorded a newer version) */
    cacheFill(entry: string, fence: string, version: number, value: string, ttlMs: number): Result<0 | 1, Context>;

    /** server/redis/scripts/cache-invalidate-2.lua: the fence after the call */
    cacheInvalidate(entry: string, fence: string, version: number, fenceTtlMs: number): Result<number, Context>;

    /** server/redis/scripts/cache-generation-bump-1.lua: the new generation */
    cacheGenerationBump(generation: string, channel: string, seen: number): Result<number, Context>;

    /** server/redis/scripts/views-record-3.lua: views recorded; `counts` are post id, author id, count triples */
    viewsRecord(pending: string, postBucket: string, authorBucket: string, bucketTtlMs: number, ...counts: number[]): Result<number, Context>;

    /** server/redis/scripts/views-claim-3.lua: [batch number, 1 new | 0 leftover], [0, 0] when nothing is pending */
    viewsClaim(pending: string, flushing: string, seq: string, appliedSeq: number): Result<[number, 0 | 1], Context>;

    /** server/redis/scripts/views-snapshot-3.lua: [pending, in the flushing batch, its number, last number] */
    viewsSnapshot(pending: string, flushing: string, seq: string, field: string | number): Result<[number, number, number, number], Context>;

    /** server/redis/scripts/views-done-1.lua: 1 when the batch was deleted */
    viewsDone(flushing: string, seq: number): Result<0 | 1, Context>;

    /** server/redis/scripts/tags-query.lua: matching post ids, or null while the index is not ready */
    tagsQuery(numKeys: number, ...keysAndArgs: string[]): Result<string[] | null, Context>;

    /**
     * server/redis/scripts/trending-merge.lua: the merged window's top [member, score, ...], then
     * the rank (0-based, highest first) and score of ARGV[4], or null for each
     */
    trendingMerge(numKeys: number, ...keysAndArgs: (string | number)[]): Result<[string[], number | null, string | null], Context>;

    /** server/redis/scripts/trending-announce-2.lua: the new entry's stream id, null when the top was already announced */
    trendingAnnounce(announced: string, stream: string, top: string, ttlMs: number, maxLen: number, type: string, data: string): Result<string | null, Context>;

    /** server/redis/scripts/trending-forget.lua: the post's views removed from the buckets */
    trendingForget(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;

    /** server/redis/scripts/post-index.lua: 1 applied, 0 index not built, -1 drift found (marker dropped) */
    postIndex(numKeys: number, ...keysAndArgs: (string | number)[]): Result<1 | 0 | -1, Context>;
  }
}

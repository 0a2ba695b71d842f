/**
 * The key schema: every key the app writes is built here, under one prefix from config
 * (`REDIS_KEY_PREFIX`), with its TTL policy beside it. Features add their keys to this module,
 * never inline.
 *
 * Redis Cluster: keys that one script or MULTI touches together share a hash tag (`{...}`),
 * so they land in the same slot.
 */
export const HOUR_MS = 3_600_000;
/** The hour a trending bucket (`trendingBucket`, `authorBucket`) is named by: whole hours since the epoch. */
export const hourEpoch = (ms: number) => Math.floor(ms / HOUR_MS);
/** A trending bucket outlives the longest trending window (7 days) by an hour. */
export const TRENDING_BUCKET_TTL_MS = 7 * 24 * HOUR_MS + HOUR_MS;

export function createKeys(prefix: string) {
  const k = (...parts: (string | number)[]) => prefix + parts.join(':');
  return {
    prefix,
    /** String, SET NX PX: a short-lived lock (TTL = its PX). */
    lock: (name: string) => k('lock', name),
    /**
     * Stream: the app's event log (shared/events.ts), XADD with an approximate MAXLEN cap
     * (EVENT_STREAM_MAXLEN). No TTL: the cap bounds it, and consumers resume from ids in it.
     * Hash tag {events}: the analytics worker's count-and-acknowledge script touches this stream
     * and `eventCounts()` together (server/redis/scripts/event-count.lua).
     */
    events: () => k('{events}', 'stream'),

    // Analytics (server/features/analytics/). Days are UTC dates (`2026-01-07`), hours UTC hours (`2026-01-07T13`).

    /**
     * Hash: events per hour, `type -> count`, for the hour of each event's stream id; written only
     * by event-count.lua, with the stream under {events}. TTL: 8 days, renewed by each write.
     */
    eventCounts: (hour: string) => k('{events}', 'per-hour', hour),
    /**
     * String: the top 10 post ids (JSON) last announced as `trending.changed` for a window, compared
     * and replaced together with the XADD (trending-announce-2.lua), hence the {events} tag. TTL: the
     * longest trending window + 1 hour, renewed by each announcement; a missing key reads as an empty
     * top, so once it lapses the next tick announces the current top again if it has any posts
     * (subscribers read it as a refresh).
     */
    trendingAnnounced: (window: string) => k('{events}', 'trending-top', window),
    /**
     * HyperLogLog: the unique visitors of one post on one day (PFADD of `u:<userId>` or a keyed
     * hash of address and user agent). TTL: 8 days, renewed by each view, so a 7-day window always
     * finds its days. Hash tag {pv:<postId>}: PFCOUNT over a week's keys needs them in one slot.
     */
    postVisitors: (postId: number, day: string) => k('uv', `{pv:${postId}}`, day),
    /** String: the 7-day unique-visitor count of one post ending on `day`, cached. TTL: ANALYTICS_WEEK_CACHE_SECONDS. */
    postVisitorsWeek: (postId: number, day: string) => k('uv-week', `{pv:${postId}}`, day),
    /**
     * Bitmap: daily active users, bit <userId> set by the first authenticated request of the day.
     * TTL: 35 days, set with the first bit. Hash tag {dau}: BITOP AND across days needs one slot,
     * so every day lives on one Cluster node (a bitmap is at most max user id / 8 bytes a day).
     */
    activeUsers: (day: string) => k('{dau}', day),
    /** Bitmap: BITOP AND of `day` and the day before (users retained), a scratch result. TTL: 60 s. */
    retainedUsers: (day: string) => k('{dau}', 'retained', day),
    /**
     * Bitmap: a scratch BITOP result of the weekly retention cohorts (retention-cohorts.ts). No TTL:
     * written and deleted inside one MULTI, so it never outlives the transaction.
     */
    cohortScratch: (name: string) => k('{dau}', 'cohort', name),
    /**
     * List: one user's recent activity, newest first, JSON entries; LPUSH + LTRIM to 100 by
     * activity-push-1.lua. TTL: 30 days, renewed by each entry. Hash tag {u:<userId>}, the user's own slot.
     */
    activity: (userId: number) => k('activity', `{u:${userId}}`),

    // Auth. Everything about one user's sessions shares the hash tag {u:<userId>}, so the session
    // scripts (server/redis/scripts/session-*.lua) touch one Redis Cluster slot.

    /**
     * Hash: one session record (userId, email, publicId, createdAt, lastSeenAt, idleExpiresAt,
     * absoluteExpiresAt, ip, userAgent), named by the SHA-256 of its token, never the token.
     * TTL: PEXPIREAT the idle expiry, which never passes the absolute one.
     */
    session: (userId: number, tokenHash: string) => k('sess', `{u:${userId}}`, tokenHash),
    /** The part of `session()` before the token hash: scripts that walk the index build record keys from it. */
    sessionPrefix: (userId: number) => k('sess', `{u:${userId}}`, ''),
    /**
     * Sorted set: one user's sessions, member = token hash, score = the session's expiry (ms),
     * pruned by score whenever it is read; capped at SESSION_MAX_PER_USER.
     * TTL: PEXPIREAT the latest member's expiry.
     */
    userSessions: (userId: number) => k('sessions', `{u:${userId}}`),
    /**
     * Set: the user's roles (`admin`) as SQL's user_roles has them, written by roles-write-2.lua at
     * a grant or revoke, at each login and at start-up; absent for users with none. TTL:
     * SESSION_MAX_AGE, renewed by each write, so it outlives every session that reads it.
     * (`roles:{u:<id>}`, which ADMIN_EMAILS used to fill, is read no more and expires on its own.)
     */
    userRoles: (userId: number) => k('user-roles', `{u:${userId}}`),
    /**
     * String: present for an hour after the user's account was deleted; session-create-3.lua and
     * activity-push-2.lua write nothing for the user meanwhile (a login or an event about them
     * already in flight). TTL: 1 hour (ACCOUNT_GONE_TTL_MS), far past any request in flight.
     */
    userGone: (userId: number) => k('user-gone', `{u:${userId}}`),
    /** String: users.roles_version the roles set was written from; an older one is refused. TTL: as `userRoles`. */
    userRolesVersion: (userId: number) => k('user-roles-version', `{u:${userId}}`),
    /**
     * Set: what versions before issue 15 kept of ADMIN_EMAILS (user ids given `admin` at start-up).
     * No TTL, so start-up deletes it; nothing writes it any more.
     */
    legacyAdmins: () => k('admins'),
    /**
     * String counter: login attempts not known to have succeeded from one client address, for
     * every account, in the current window. TTL: LOGIN_FAILURE_WINDOW_SECONDS, set when created.
     */
    loginAddressAttempts: (ip: string) => k('login-attempts', 'ip', ip),
    // One account's login counters and markers share the hash tag {le:<hex SHA-256 of the email>}
    // (the email itself is never a key name), so login-account-*-3.lua touches one Cluster slot.
    /**
     * String counter: login attempts not known to have succeeded for one account, from every
     * address, in the current window. TTL: LOGIN_FAILURE_WINDOW_SECONDS, set when created.
     */
    loginAccountAttempts: (emailHash: string) => k('login-attempts', `{le:${emailHash}}`, 'all'),
    /** String counter: as `loginAccountAttempts`, from one client address only. TTL: as it. */
    loginAccountAttemptsFrom: (emailHash: string, ip: string) => k('login-attempts', `{le:${emailHash}}`, 'from', ip),
    /**
     * String marker: this address logged in to this account with the right password. TTL:
     * SESSION_MAX_AGE_SECONDS from the last such login.
     */
    loginKnownAddress: (emailHash: string, ip: string) => k('login-known', `{le:${emailHash}}`, ip),
    /**
     * String, the sliding-window log of one identity for one window of a rate-limit policy: a
     * header, then runs of (time in ms, units), oldest first (preflight.lua). TTL = the window,
     * renewed by each allowed request, so an idle identity leaves nothing behind.
     * `<prefix>rl:<policy>:{<identity>}`, plus `:<window>` (e.g. `:1m`) when the policy has
     * several windows: the identity is the hash tag, so one decision's keys share a Cluster slot.
     */
    rateLimit: (policy: string, identity: string, window?: string) =>
      window === undefined ? k('rl', policy, `{${identity}}`) : k('rl', policy, `{${identity}}`, window),

    // Posts (server/features/posts/). A cache key carries the cache generation `g<n>`: bumping the
    // generation after a Redis outage makes every entry written before it unreachable at once.

    /**
     * String counter: the cache generation. Bumped (INCR, then PUBLISH on `cacheGenerationChannel`)
     * by an instance that lost Redis, when it reaches Redis again. No TTL: it must never go back,
     * or entries of an old generation would become reachable again.
     */
    cacheGeneration: () => k('posts', 'cache-gen'),
    /** Pub/Sub channel: a new cache generation (payload: the number). */
    cacheGenerationChannel: () => k('posts', 'chan', 'cache-gen'),
    /** Pub/Sub channel: a cache fill finished or gave up (payload: the fill's name); waiters re-read the cache. */
    cacheFilledChannel: () => k('posts', 'chan', 'filled'),
    /**
     * String: one post's cache entry, `<version>|<post JSON>`, or `<fence>|null` for an id that
     * does not exist (the negative entry). Valid only while its version is not below the fence.
     * TTL: POST_CACHE_TTL_SECONDS ±10%; the negative entry POST_NEGATIVE_CACHE_TTL_SECONDS.
     * The post's hash tag `{p:<id>}` puts it in one slot with its fence (cache-fill-2.lua).
     */
    postEntry: (generation: number, postId: number) => k('post', `{p:${postId}}`, `g${generation}`),
    /**
     * String: the post's fence, the highest SQL version that an invalidation recorded (a deleted
     * post's is its last version + 1). Entries below it are never served nor written.
     * TTL: twice POST_CACHE_TTL_SECONDS, so it outlives every entry it guards.
     */
    postFence: (postId: number) => k('post', `{p:${postId}}`, 'fence'),
    /**
     * String counter: the version of every cached list page; a write INCRs it after its commit, so
     * all pages become unreachable at once (no scan). No TTL: it must never go back, or old pages
     * would become reachable again.
     */
    postListVersion: () => k('posts', 'list', '{pl}', 'version'),
    /**
     * String: one cached list page (JSON), under the generation and list version it was read at;
     * `query` names the page (`all:p1:l20`, `tags-any:a,b:p1:l20`, `user:7:p1:l20`). The hash tag
     * `{pl}` lets one MGET read it with the list version. TTL: POST_CACHE_TTL_SECONDS ±10%.
     */
    postListPage: (generation: number, version: number, query: string) =>
      k('posts', 'list', '{pl}', `g${generation}`, `v${version}`, query),

    // Views and trending buckets share the hash tag {views}: a view is one script over the pending
    // counters and the hour's bucket, and trending unions buckets. Its slot takes every view write
    // (coalesced per process, see view-recorder.ts), so on a Cluster it is a hot slot by design.

    /**
     * Hash: views counted since the last flush, post id -> count, plus `_total`.
     * No TTL: renamed to `viewsFlushing` and added to SQL every VIEW_FLUSH_INTERVAL_MS.
     */
    viewsPending: () => k('views', '{views}', 'pending'),
    /**
     * Hash: the batch being added to SQL (the renamed pending hash) plus `_seq`, its batch number.
     * No TTL: deleted once SQL has it; a leftover from a crash is re-applied idempotently first.
     */
    viewsFlushing: () => k('views', '{views}', 'flushing'),
    /** String counter: the last batch number handed out. No TTL; re-seeded from SQL if lost. */
    viewsBatchSeq: () => k('views', '{views}', 'seq'),
    /**
     * Sorted set: views per post id during one hour (`hourEpoch` = ms since the epoch / 3,600,000).
     * TTL: 7 days + 1 hour from its last write, longer than the longest trending window.
     */
    trendingBucket: (hourEpoch: number) => k('trending', '{views}', 'h', hourEpoch),
    /**
     * Sorted set: views per author id during one hour, written by the same script call as
     * `trendingBucket` (the top-authors leaderboard). TTL: as `trendingBucket`.
     */
    authorBucket: (hourEpoch: number) => k('trending', '{views}', 'authors', 'h', hourEpoch),
    /**
     * Sorted set: the merge (ZUNIONSTORE) of a window's hourly buckets of `kind` as of one hour,
     * the trending answer's cache: every caller within TRENDING_CACHE_SECONDS reads it instead of
     * merging again. The hour is in the name so that a new hour never reads an old merge.
     * TTL: TRENDING_CACHE_SECONDS.
     */
    trendingMerged: (kind: 'posts' | 'authors', window: string, hourEpoch: number) =>
      k('trending', '{views}', 'merged', kind, window, hourEpoch),

    // The tag and author indexes mirror SQL and share the hash tag {idx}, so SINTER/SUNION over any
    // tags and the index script work on a Cluster (one hot slot: they are small sets of ids).
    // No TTL: an index that silently lost members would give wrong answers; instead the `ready`
    // marker says it is complete, and without it queries go to SQL until it is rebuilt from SQL.

    /** String: present (value: when it was built, ms) while the indexes below are complete. No TTL. */
    postIndexReady: () => k('idx', '{idx}', 'ready'),
    /** Set: ids of the posts tagged `tag`. No TTL (mirrors SQL; see above). */
    tagPosts: (tag: string) => k('idx', '{idx}', 'tag', tag),
    /** Set: the tags of one post (absent when it has none). No TTL (mirrors SQL). */
    postTags: (postId: number) => k('idx', '{idx}', 'post-tags', postId),
    /** Sorted set: one author's post ids, scored by id (newest first with ZREVRANGE). No TTL (mirrors SQL). */
    userPosts: (userId: number) => k('idx', '{idx}', 'user-posts', userId),
    /** Set: every tag that has a `tagPosts` set, so a rebuild can find and drop them all. No TTL. */
    indexedTags: () => k('idx', '{idx}', 'tags'),
    /** Set: every author that has a `userPosts` set, for the same reason. No TTL. */
    indexedAuthors: () => k('idx', '{idx}', 'authors'),
    /**
     * Geo (a sorted set of geohashes): every post with a location, member = post id (GEOADD), kept
     * by the same `post-index.lua` call as the tag index and rebuilt with it. No TTL (mirrors SQL).
     */
    postLocations: () => k('idx', '{idx}', 'geo'),
  };
}

export type Keys = ReturnType<typeof createKeys>;

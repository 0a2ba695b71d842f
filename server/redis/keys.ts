/**
 * The key schema: every key the app writes is built here, under one prefix from config
 * (`REDIS_KEY_PREFIX`), with its TTL policy beside it. Features add their keys to this module,
 * never inline.
 *
 * Redis Cluster: keys that one script or MULTI touches together share a hash tag (`{...}`),
 * so they land in the same slot.
 */
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
     * Set: the user's roles (`admin`), written from ADMIN_EMAILS at start-up and at each login;
     * absent for users with none. TTL: SESSION_MAX_AGE, renewed at each login and start-up, so it
     * outlives every session that reads it.
     */
    userRoles: (userId: number) => k('roles', `{u:${userId}}`),
    /**
     * Set: the user ids given `admin` at the last start-up, so the role can be taken back when an
     * email leaves ADMIN_EMAILS. No TTL: bounded by ADMIN_EMAILS and rewritten at every start-up.
     */
    admins: () => k('admins'),
    /**
     * String counter: login attempts not known to have succeeded, for one email (hex SHA-256 of it,
     * so addresses are not key names) or one client address, in the current window.
     * TTL: LOGIN_FAILURE_WINDOW_SECONDS, set when the counter is created.
     */
    loginAttempts: (scope: 'email' | 'ip', id: string) => k('login-attempts', scope, id),
    /**
     * Sorted set, the sliding-window log of one identity under one rate-limit policy: a member per
     * request unit, scored by its time in microseconds (sliding-window.lua). At most `limit`
     * members; TTL = the window, renewed by each allowed request, so an idle identity leaves
     * nothing behind. `<prefix>ratelimit:<policy>:{<identity>}`, plus `:<window>` (e.g. `:1m`)
     * when the policy has several windows: the identity is the hash tag, so one call's keys share
     * a Cluster slot.
     */
    rateLimit: (policy: string, identity: string, window?: string) =>
      window === undefined ? k('ratelimit', policy, `{${identity}}`) : k('ratelimit', policy, `{${identity}}`, window),
  };
}

export type Keys = ReturnType<typeof createKeys>;

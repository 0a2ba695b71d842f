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

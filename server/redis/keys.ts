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
  };
}

export type Keys = ReturnType<typeof createKeys>;

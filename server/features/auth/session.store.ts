import type { RedisClient } from '../../redis/client.ts';
import { AppError } from '../../errors.ts';
import type { Keys } from '../../redis/keys.ts';
import { memoize } from '../../memo.ts';
import { createPreflight, type Preflight, type SessionPart, type SessionRow } from '../../redis/preflight.ts';
import type { AuthSession, ParsedToken } from '../../identity.ts';
import { newPublicSessionId, newSessionToken, parseSessionToken } from './session-token.ts';

/**
 * Sessions in Redis. Per user, under the hash tag `{u:<userId>}` (one Cluster slot):
 *   - a Hash per session, named by SHA-256 of its token (the token itself is never stored),
 *     expiring at its idle expiry (PEXPIREAT), which never passes its absolute expiry;
 *   - a Sorted Set indexing the user's sessions by expiry, pruned whenever it is read;
 *   - the user's roles (a Set, written by roles.ts), read together with the session.
 * Each operation is one Lua script: one round trip, atomic. See server/redis/scripts/session-*.lua.
 */
export interface SessionStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** Idle timeout, ms (SESSION_TTL_SECONDS). */
  idleTtlMs: number;
  /** Absolute lifetime, ms (SESSION_MAX_AGE_SECONDS). */
  maxAgeMs: number;
  /** At most one write per session per this interval, ms (SESSION_TOUCH_INTERVAL_SECONDS). */
  touchIntervalMs: number;
  /** SESSION_MAX_PER_USER */
  maxPerUser: number;
  /** How `resolve` reaches Redis; the app passes its request preflight. @default one of its own (1 s timeout) */
  preflight?: Preflight;
}

export interface NewSession {
  userId: number;
  email: string;
  ip: string;
  userAgent: string;
}

export interface CreatedSession {
  /** The bearer token: handed to the client once, stored nowhere. */
  token: string;
  publicId: string;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  /** Sessions of the user ended to stay within SESSION_MAX_PER_USER. */
  evicted: number;
}

/** A session as listed: no token, no token hash. Times in ms since the epoch. */
export interface StoredSessionInfo {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
}

export interface SessionStore {
  create(input: NewSession): Promise<CreatedSession>;
  /**
   * Finds the live session for a parsed token and slides its idle expiry when a touch is due
   * (`force`: always, for POST /auth/refresh). One round trip. Null when it is expired, revoked or
   * never existed.
   */
  resolve(token: ParsedToken, opts?: { force?: boolean }): Promise<AuthSession | null>;
  /** The part of a request's preflight (server/redis/preflight.ts) that resolves `token` like `resolve`. */
  part(token: ParsedToken): SessionPart;
  /** The session a preflight reply names for `token`, or null. */
  found(row: SessionRow | null, token: ParsedToken): AuthSession | null;
  /** The user's live sessions, most recently used first; never scans the keyspace. */
  list(userId: number): Promise<StoredSessionInfo[]>;
  /** Ends one session of the user by public id; false when the user has no such session. */
  revoke(userId: number, publicId: string): Promise<boolean>;
  /** Ends every session of the user except `keepPublicId`; resolves to how many ended. */
  revokeOthers(userId: number, keepPublicId: string): Promise<number>;
  /** Ends every session of the user; resolves to how many ended. */
  revokeAll(userId: number): Promise<number>;
  /**
   * For a deleted account: ends every session, drops the roles and `otherKeys` (the user's data
   * under their hash tag), and marks the user gone for ACCOUNT_GONE_TTL_MS, so a login already
   * past its password check gets no session. One script. Resolves to how many sessions ended.
   */
  forget(userId: number, otherKeys: readonly string[]): Promise<number>;
}

/** How long a deleted user stays marked gone: far longer than any login or event already in flight. */
export const ACCOUNT_GONE_TTL_MS = 3_600_000;

/** A session asked for a user whose account was deleted meanwhile (a login racing the deletion). */
export const accountGone = () => new AppError('UNAUTHORIZED', 'This account no longer exists');

/** Longest user agent kept in a record; the rest is cut, so a caller cannot bloat Redis. */
const MAX_USER_AGENT = 256;
const MAX_IP = 64;

/**
 * Redis failing (down, timing out) while a session is needed is a 503 with a clear message,
 * never a 500 and never a wait: the client is fail-fast (no offline queue, command timeout).
 */
export function sessionStoreUnavailable(cause: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Session store unavailable: sessions are in Redis, which is not answering; retry shortly', {
    cause,
  });
}

/** Awaits a Redis call, turning its failure into `sessionStoreUnavailable` (503). */
export async function orUnavailable<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw sessionStoreUnavailable(err);
  }
}

export function createSessionStore(opts: SessionStoreOptions): SessionStore {
  const { redis, keys } = opts;
  if (opts.touchIntervalMs >= opts.idleTtlMs) {
    throw new Error('session store: touchIntervalMs must be below idleTtlMs, or active sessions would expire');
  }
  const preflight = opts.preflight ?? createPreflight({ redis, timeoutMs: 1000 });

  function part({ userId, tokenHash }: ParsedToken, touchIntervalMs = opts.touchIntervalMs): SessionPart {
    return {
      keys: [keys.session(userId, tokenHash), keys.userSessions(userId), keys.userRoles(userId)],
      tokenHash,
      idleMs: opts.idleTtlMs,
      touchIntervalMs,
    };
  }
  // The request path asks for the same token's part request after request.
  const requestPart = memoize((token: ParsedToken) => part(token));

  function found(row: SessionRow | null, { userId }: ParsedToken): AuthSession | null {
    if (!row) return null;
    const [storedUserId, email, id, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, roles] = row;
    // The key is derived from the whole token, user id included, so this cannot differ; checked anyway.
    if (Number(storedUserId) !== userId) return null;
    return { id, userId, email, roles: roles.sort(), createdAt: Number(createdAt), lastSeenAt, expiresAt, absoluteExpiresAt };
  }

  return {
    async create(input) {
      const token = newSessionToken(input.userId);
      const parsed = parseSessionToken(token);
      if (!parsed) throw new Error('session store: generated a token it cannot parse');
      const publicId = newPublicSessionId();
      const created = await orUnavailable(
        redis.sessionCreate(
          keys.session(input.userId, parsed.tokenHash),
          keys.userSessions(input.userId),
          keys.userGone(input.userId),
          parsed.tokenHash,
          input.userId,
          input.email,
          publicId,
          input.ip.slice(0, MAX_IP),
          input.userAgent.slice(0, MAX_USER_AGENT),
          opts.idleTtlMs,
          opts.maxAgeMs,
          opts.maxPerUser,
          keys.sessionPrefix(input.userId),
        ),
      );
      if (!created) throw accountGone();
      const [createdAt, expiresAt, absoluteExpiresAt, evicted] = created;
      return { token, publicId, createdAt, expiresAt, absoluteExpiresAt, evicted };
    },

    async resolve(token, { force = false } = {}) {
      const reply = await orUnavailable(preflight.run({ session: part(token, force ? 0 : opts.touchIntervalMs) }));
      return found(reply.session, token);
    },

    part: requestPart,
    found,

    async list(userId) {
      const rows = await orUnavailable(redis.sessionList(keys.userSessions(userId), keys.sessionPrefix(userId)));
      return rows
        .map(([id, createdAt, lastSeenAt, expiresAt, ip, userAgent]) => ({
          id,
          createdAt: Number(createdAt),
          lastSeenAt: Number(lastSeenAt),
          expiresAt: Number(expiresAt),
          ip,
          userAgent,
        }))
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.createdAt - a.createdAt);
    },

    async revoke(userId, publicId) {
      const n = await orUnavailable(redis.sessionRevoke(keys.userSessions(userId), keys.sessionPrefix(userId), publicId, 'one'));
      return n > 0;
    },

    revokeOthers(userId, keepPublicId) {
      return orUnavailable(redis.sessionRevoke(keys.userSessions(userId), keys.sessionPrefix(userId), keepPublicId, 'others'));
    },

    // No public id is empty, so "all but ''" is all of them.
    revokeAll: (userId) => orUnavailable(redis.sessionRevoke(keys.userSessions(userId), keys.sessionPrefix(userId), '', 'others')),

    forget(userId, otherKeys) {
      const forgotten = [keys.userSessions(userId), keys.userRoles(userId), keys.userRolesVersion(userId), keys.userGone(userId), ...otherKeys];
      return orUnavailable(redis.userForget(forgotten.length, ...forgotten, keys.sessionPrefix(userId), ACCOUNT_GONE_TTL_MS));
    },
  };
}

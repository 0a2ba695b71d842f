/** The authenticated caller, as middleware resolves it from a Bearer token or the `sid` cookie. */
export interface AuthSession {
  /** Public session id (never the token, nor derivable to it). */
  id: string;
  userId: number;
  email: string;
  /** From the user's Redis set of roles, read in the same round trip as the session. */
  roles: readonly string[];
  /** Milliseconds since the epoch, by the Redis server's clock. */
  createdAt: number;
  lastSeenAt: number;
  /** Idle expiry: the session ends then unless used again. Never past `absoluteExpiresAt`. */
  expiresAt: number;
  absoluteExpiresAt: number;
}

/**
 * Why a request that presented a token has no session. `malformed`: not a token this server
 * issues (wrong shape); `unknown`: well-formed but no live session (expired, revoked, made up).
 */
export type TokenProblem = 'malformed' | 'unknown';

/** Where a token came from; named in 401 details so a caller knows which credential failed. */
export type TokenSource = 'authorization' | 'sid' | 'connectionParams';

/** What resolving a request's credentials found. */
export type Authentication =
  | { session: AuthSession; problem: null; source: TokenSource }
  | { session: null; problem: TokenProblem; source: TokenSource }
  | { session: null; problem: null; source: null };

export const anonymous: Authentication = { session: null, problem: null, source: null };

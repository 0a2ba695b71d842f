/**
 * Who is calling: the types every layer shares about a request's credential and session (the
 * preflight resolves them, the Hono env and the tRPC context carry them, features act on them).
 * Types only; the auth feature issues and checks tokens and sessions.
 */

/** A session token as presented, checked for shape and hashed: the server never keeps the token itself. */
export interface ParsedToken {
  userId: number;
  /** Hex SHA-256 of the whole token string: the only form Redis stores. */
  tokenHash: string;
}

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

/** Where a request's token came from; named in 401 details so a caller knows which credential failed. */
export type TokenSource = 'authorization' | 'sid' | 'connectionParams';

/**
 * Why a request that presented a token has no session:
 * - `malformed`: not shaped like a token this server issues (Redis is not asked);
 * - `unknown`: no live session for it (expired, revoked, made up);
 * - `cross-site`: a cookie on an unsafe request from another origin (CSRF): the cookie grants nothing;
 * - `unavailable`: Redis, which holds the sessions, did not answer.
 */
export type CredentialProblem = 'malformed' | 'unknown' | 'cross-site' | 'unavailable';

/** What a request presented to authenticate, and why it gave no session when it did not. */
export interface Credential {
  source: TokenSource;
  /** The parsed token; null when it is not shaped like a token this server issues. */
  token: ParsedToken | null;
  /** Null when the token named a live session. */
  problem: CredentialProblem | null;
}

/** The token a request presents, read before anything is asked of Redis (server/middleware/preflight.ts). */
export interface PresentedCredential {
  source: TokenSource;
  /** Null when it is not shaped like a token this server issues. */
  token: ParsedToken | null;
  /** A `sid` cookie on an unsafe request from another origin: it grants nothing (CSRF). */
  crossSite: boolean;
}

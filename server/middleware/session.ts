import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import type { AuthSession, Credential, PresentedCredential, TokenSource } from '../features/auth/auth.types.ts';
import { clearSessionCookie, readSessionCookie } from '../features/auth/session-cookie.ts';
import type { SessionStore } from '../features/auth/session.store.ts';
import { parseSessionToken, type ParsedToken } from '../features/auth/session-token.ts';
import type { Logger } from '../logger.ts';

export interface SessionOptions {
  /** Resolves a parsed token in one Redis round trip; rejects when Redis is down. */
  store: Pick<SessionStore, 'resolve'>;
  /** Whether the cookie this middleware clears carries `Secure` (outside development). */
  secureCookie: boolean;
  /** Origins besides the request's own host allowed to send cookie-authenticated unsafe requests. */
  allowedOrigins?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller's session from `Authorization: Bearer <token>` or the `sid` cookie (the
 * header wins) and sets `session` (null unless a live session was found) and `credential` (what
 * was presented and, without a session, why). It refuses nothing itself: what needs a session
 * throws `noSessionError(credential)` (`requireSession`, `authedProcedure`), and what does not
 * serves the caller anonymously. So a dead cookie or a Redis outage never breaks public reads,
 * and errors on /trpc come out in tRPC's shape.
 *
 * - No token: nothing touches Redis.
 * - A token not shaped like ours: no Redis call either (problem `malformed`, then 401).
 * - Otherwise exactly one Redis round trip (the session touch script), which also slides the
 *   idle expiry when due. Redis down: problem `unavailable` (503), within the command timeout.
 * - CSRF: browsers send cookies on cross-site requests too, so an unsafe method authenticated
 *   only by the cookie must carry an Origin (else a Referer) of this host or of `allowedOrigins`;
 *   otherwise the cookie grants nothing (problem `cross-site`, then 403) and Redis is not asked.
 *   Bearer requests are exempt: a browser never adds that header by itself.
 *
 * @example
 * app.use(session({ store: services.auth.sessions, secureCookie: true, allowedOrigins: ['https://app.example.com'] }));
 */
export function session(opts: SessionOptions): MiddlewareHandler<AppEnv> {
  if (!opts?.store || typeof opts.store.resolve !== 'function') {
    throw new Error('session middleware: a `store` with resolve() is required');
  }
  const allowedOrigins = new Set(opts.allowedOrigins ?? []);

  return async function session(c, next) {
    c.set('session', null);
    c.set('credential', null);
    const presented = readPresented(c, allowedOrigins);
    if (!presented) return next();

    const found = presented.crossSite
      ? { session: null, credential: { source: presented.source, token: presented.token, problem: 'cross-site' as const } }
      : await resolveToken(opts.store, presented.token, presented.source, c.get('log'));
    c.set('session', found.session);
    c.set('credential', found.credential);
    // A dead cookie would be sent forever; tell the browser to drop it.
    if (found.credential.problem === 'unknown' && presented.source === 'sid') clearSessionCookie(c, opts.secureCookie);
    return next();
  };
}

/**
 * The user the session middleware will find, where that can be told before it asks Redis: null
 * when the request presents no credential at all (it will be anonymous), the token's user when
 * the store has seen this very token live (`SessionStore.seenLive`), else undefined (a token not
 * seen here, a malformed one, a cross-site cookie). Lets the rate limiter send a caller's decision
 * in the same write as the session lookup. A hint, never an authorization: the session middleware
 * still decides who is calling.
 */
export function expectedCaller(opts: Pick<SessionOptions, 'allowedOrigins'> & { store: Pick<SessionStore, 'seenLive'> }): (c: Context<AppEnv>) => number | null | undefined {
  const allowedOrigins = new Set(opts.allowedOrigins ?? []);
  return (c) => {
    const presented = readPresented(c, allowedOrigins);
    if (!presented) return null;
    const { token, crossSite } = presented;
    return token && !crossSite && opts.store.seenLive(token) ? token.userId : undefined;
  };
}

/**
 * The token a request presents, parsed (hashed) once per request, with whether it is a cookie on
 * a cross-site unsafe request (CSRF): browsers send cookies on cross-site requests too, so such a
 * request must carry an Origin (else a Referer) of this host or of `allowedOrigins`.
 */
function readPresented(c: Context<AppEnv>, allowedOrigins: ReadonlySet<string>): PresentedCredential | null {
  const read = c.get('presentedCredential');
  if (read !== undefined) return read;
  const found = readToken(c);
  const presented = found && {
    source: found.source,
    token: parseSessionToken(found.token),
    crossSite: found.source === 'sid' && !SAFE_METHODS.has(c.req.method) && !sameOrigin(c, allowedOrigins),
  };
  c.set('presentedCredential', presented);
  return presented;
}

/**
 * Turns a presented token into a session: parse (no Redis for malformed tokens), then one store
 * call. Never throws: a failure is a `problem` on the credential. Also used for tokens that
 * arrive as tRPC `connectionParams` (subscriptions over SSE, where EventSource cannot send headers).
 */
export function authenticate(
  store: Pick<SessionStore, 'resolve'>,
  raw: string,
  source: TokenSource,
  log?: Logger,
): Promise<{ session: AuthSession | null; credential: Credential }> {
  return resolveToken(store, parseSessionToken(raw), source, log);
}

async function resolveToken(
  store: Pick<SessionStore, 'resolve'>,
  token: ParsedToken | null,
  source: TokenSource,
  log?: Logger,
): Promise<{ session: AuthSession | null; credential: Credential }> {
  if (!token) return { session: null, credential: { source, token, problem: 'malformed' } };
  try {
    const found = await store.resolve(token);
    return { session: found, credential: { source, token, problem: found ? null : 'unknown' } };
  } catch (err) {
    log?.warn('session not resolved: session store unavailable', { err: err instanceof Error ? (err.cause ?? err) : err });
    return { session: null, credential: { source, token, problem: 'unavailable' } };
  }
}

/** The Bearer header when there is an Authorization header at all, else the `sid` cookie. */
function readToken(c: Context<AppEnv>): { token: string; source: TokenSource } | null {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    // Anything but `Bearer <token>` still counts as presented, so it is reported as malformed.
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    return { token: match?.[1] ?? '', source: 'authorization' };
  }
  const cookie = readSessionCookie(c);
  return cookie ? { token: cookie, source: 'sid' } : null;
}

/** True when the request's Origin (else Referer) is this host or one of `allowedOrigins`. */
function sameOrigin(c: Context<AppEnv>, allowedOrigins: ReadonlySet<string>): boolean {
  const referer = c.req.header('referer');
  const origin = c.req.header('origin') ?? (referer && URL.canParse(referer) ? new URL(referer).origin : undefined);
  if (!origin || origin === 'null' || !URL.canParse(origin)) return false;
  return allowedOrigins.has(origin) || new URL(origin).host === new URL(c.req.url).host;
}

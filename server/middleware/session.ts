import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import type { AuthSession, Credential, TokenSource } from '../features/auth/auth.types.ts';
import { clearSessionCookie, readSessionCookie } from '../features/auth/session-cookie.ts';
import type { SessionStore } from '../features/auth/session.store.ts';
import { parseSessionToken } from '../features/auth/session-token.ts';

export interface SessionOptions {
  /** Resolves a parsed token in one Redis round trip; throws a 503 AppError when Redis is down. */
  store: Pick<SessionStore, 'resolve'>;
  /** Whether cookies this middleware clears carry `Secure` (outside development). */
  secureCookie: boolean;
  /** Origins besides the request's own host allowed to send cookie-authenticated unsafe requests. */
  allowedOrigins?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller's session from `Authorization: Bearer <token>` or the `sid` cookie (the
 * header wins), and sets `session` (null when anonymous or not live) and `credential` (what was
 * presented, so a later 401 can say why). It refuses nothing itself: routes and procedures that
 * need a session answer 401 (see `requireSession`, `authedProcedure`).
 *
 * - No token: nothing touches Redis.
 * - A token not shaped like ours: no Redis call either; `credential.token` is null.
 * - Otherwise exactly one Redis round trip (the session touch script), which also slides the
 *   idle expiry when due. Redis down: 503 SERVICE_UNAVAILABLE, within the command timeout.
 * - CSRF: a cookie is sent by browsers on cross-site requests too, so an unsafe method
 *   authenticated by the cookie must come with an Origin (or, lacking it, a Referer) of this
 *   host or of `allowedOrigins`, else 403. Bearer requests are exempt: a browser never attaches
 *   that header by itself.
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
    const presented = readToken(c);
    c.set('session', null);
    c.set('credential', null);
    if (!presented) return next();

    if (presented.source === 'sid' && !SAFE_METHODS.has(c.req.method)) {
      assertSameOrigin(c, allowedOrigins);
    }
    const { session: found, credential } = await authenticate(opts.store, presented.token, presented.source);
    c.set('session', found);
    c.set('credential', credential);
    // A dead cookie would be sent forever; tell the browser to drop it.
    if (!found && presented.source === 'sid') clearSessionCookie(c, opts.secureCookie);
    return next();
  };
}

/**
 * Turns a presented token into a session: parse (no Redis for malformed ones), then one store
 * call. Also used for tokens that arrive as tRPC `connectionParams` (subscriptions over SSE,
 * where EventSource cannot send headers).
 */
export async function authenticate(
  store: Pick<SessionStore, 'resolve'>,
  raw: string,
  source: TokenSource,
): Promise<{ session: AuthSession | null; credential: Credential }> {
  const token = parseSessionToken(raw);
  const credential: Credential = { source, token };
  return { session: token ? await store.resolve(token) : null, credential };
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

function assertSameOrigin(c: Context<AppEnv>, allowedOrigins: ReadonlySet<string>): void {
  const origin = c.req.header('origin') ?? refererOrigin(c.req.header('referer'));
  if (origin && origin !== 'null') {
    if (allowedOrigins.has(origin)) return;
    if (URL.canParse(origin) && new URL(origin).host === new URL(c.req.url).host) return;
  }
  throw new AppError(
    'FORBIDDEN',
    `Cross-site request refused: a cookie-authenticated ${c.req.method} needs an Origin or Referer from this site` +
      ' (or one listed in CSRF_ALLOWED_ORIGINS); API clients can send Authorization: Bearer instead',
  );
}

function refererOrigin(referer: string | undefined): string | undefined {
  return referer && URL.canParse(referer) ? new URL(referer).origin : undefined;
}
